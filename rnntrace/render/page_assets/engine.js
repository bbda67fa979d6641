// rnntrace page, module "engine": the network run again from the layers' descriptions
// (docs/page.md, "The page's engine"). No DOM and no layer type: each description's
// `compute` formulas are evaluated in order, step by step, in float64 (JavaScript numbers
// are IEEE-754 doubles, as numpy's are). It runs in the page and under Node, where
// tests/test_page_node.py holds it equal to Python's engine.
//   rnnEngine.run(layers, inputs, params) → per step {x, y, layers: [path → vector]}
//     layers: the descriptions (data.layers); params: layer name → weight name → array
//   rnnEngine.params(layers) → the descriptions' own weights, in that shape
//   rnnEngine.compute(c, env, weight), rnnEngine.activate(name, z, args)
"use strict";
const rnnEngine = (function () {
  // The elementwise activation functions, written in by page.py from Python's one table
  // (rnntrace/layers/activations.py): each takes one number z and its parameters,
  // {name: {params: {alpha: 0.01}, f: (z, alpha) => …}}.
  const ACTIVATIONS = /*ACTIVATION_TABLE*/ {};
  function softmax(z) {   // shifted by max(z): e^z ≤ 1, the same value
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    let s = 0;
    for (const v of e) s += v;
    return e.map((v) => v / s);
  }

  // A function by its canonical name: "tanh", or "leaky_relu(alpha=0.1)" with the
  // parameters that differ from their defaults; parsed once per name.
  const parsed = new Map();
  function elementwise(name) {
    let g = parsed.get(name);
    if (g !== undefined) return g;
    const m = /^(\w+)(?:\((.*)\))?$/.exec(name);
    const f = m && Object.prototype.hasOwnProperty.call(ACTIVATIONS, m[1]) ? ACTIVATIONS[m[1]] : null;
    if (!f) throw new Error("unknown activation " + name);
    const values = Object.assign({}, f.params);
    if (m[2]) for (const part of m[2].split(",")) {
      const [k, v] = part.trim().split("=");
      values[k] = Number(v);
    }
    const args = Object.keys(f.params).map((k) => values[k]);
    g = args.length ? (v) => f.f(v, ...args) : f.f;
    parsed.set(name, g);
    return g;
  }

  function activate(name, z) {
    if (name === "softmax") return softmax(z);
    const g = elementwise(name);
    const out = new Array(z.length);
    for (let i = 0; i < z.length; i++) out[i] = g(z[i]);
    return out;
  }

  // An operand: a path computed earlier in this step (or "x", or a memory read),
  // 1 − v, an elementwise product, or f(v).
  function operand(op, env) {
    if (typeof op === "string") {
      const v = env.get(op);
      if (v === undefined) throw new Error("no value for " + op);
      return v;
    }
    if (op.one_minus !== undefined) return operand(op.one_minus, env).map((v) => 1 - v);
    if (op.product !== undefined) {
      let out = operand(op.product[0], env);
      for (const other of op.product.slice(1)) {
        const w = operand(other, env);
        out = out.map((v, i) => v * w[i]);
      }
      return out;
    }
    if (op.apply !== undefined || op.function !== undefined) return activate(op.apply || op.function, operand(op.of, env));
    throw new Error("unknown operand " + JSON.stringify(op));
  }

  // Σ_j W[i][j]·v[j], summed in j's order as numpy's row by row (the tests hold it to 1e-12)
  function matvec(W, v) {
    const out = new Array(W.length);
    for (let i = 0; i < W.length; i++) {
      const row = W[i];
      let s = 0;
      for (let j = 0; j < row.length; j++) s += row[j] * v[j];
      out[i] = s;
    }
    return out;
  }

  function add(a, b) {
    if (a === null) return Array.from(b);
    for (let i = 0; i < a.length; i++) a[i] += b[i];     // a is always this sum's own array
    return a;
  }

  // Σ of an affine op's terms: W·v, P∘v (elementwise), a bias, or gate ∘ (Σ inner terms).
  function affine(terms, env, weight) {
    let out = null;
    for (const term of terms) {
      let v;
      if (term.bias !== undefined) v = weight(term.bias);
      else if (term.gated !== undefined) {
        const gate = operand(term.gated, env);
        v = affine(term.terms, env, weight).map((s, i) => gate[i] * s);
      } else if (term.elementwise) {
        const w = weight(term.weight), x = operand(term.of, env);
        v = w.map((p, i) => p * x[i]);
      } else v = matvec(weight(term.weight), operand(term.of, env));
      out = add(out, v);
    }
    return out;
  }

  function compute(c, env, weight) {
    switch (c.op) {
      case "affine": return affine(c.terms, env, weight);
      case "apply": return activate(c.function, operand(c.of, env));
      case "sum": {
        let out = null;
        for (const t of c.terms) out = add(out, operand(t, env));
        return out;
      }
      case "merge": {
        const [a, b] = c.of.map((p) => operand(p, env));
        if (c.how === "concat") return a.concat(b);
        if (c.how === "sum") return a.map((v, i) => v + b[i]);
        if (c.how === "mul") return a.map((v, i) => v * b[i]);
        return a.map((v, i) => (v + b[i]) / 2);   // mean, ave
      }
      default: throw new Error("unknown op " + c.op);
    }
  }

  // One layer over a whole sequence: a record (a Map, path → vector; a Map so that any
  // name works, "__proto__" too) per step.
  function runLayer(desc, xs, params, prefix) {
    const weight = (name) => {
      const w = params.get(prefix + name);
      if (w === undefined) throw new Error("no weight " + prefix + name);
      return w;
    };
    if (desc.forward && desc.backward) {
      const f = runLayer(desc.forward, xs, params, prefix + "forward.");
      const b = runLayer(desc.backward, xs.slice().reverse(), params, prefix + "backward.").reverse();
      return xs.map((x, t) => {
        const env = new Map();
        for (const [k, v] of f[t]) env.set("forward." + k, v);
        for (const [k, v] of b[t]) env.set("backward." + k, v);
        for (const q of desc.quantities) if (q.compute) env.set(q.path, compute(q.compute, env, weight));
        return env;
      });
    }
    const memory = (desc.memory || []).map((m) => m.initial.slice());
    const records = [];
    for (const x of xs) {
      const env = new Map([["x", x]]);
      (desc.memory || []).forEach((m, i) => { env.set(m.read, memory[i]); });
      for (const q of desc.quantities) if (q.compute) env.set(q.path, compute(q.compute, env, weight));
      (desc.memory || []).forEach((m, i) => { memory[i] = env.get(m.written); });
      env.delete("x");
      records.push(env);
    }
    return records;
  }

  // Each layer's weights by the names the spec and grad give them ("<block>.W", a
  // bidirectional layer's "forward.W"): its own and its directions'.
  function collect(desc, prefix, out) {
    for (const k of Object.keys(desc.parameters || {})) out.set(prefix + k, desc.parameters[k]);
    for (const side of ["forward", "backward"]) if (desc[side]) collect(desc[side], prefix + side + ".", out);
    return out;
  }

  // layer name → Map(weight name → array)
  function params(layers) {
    const out = new Map();
    for (const d of layers) out.set(d.name, collect(d, "", new Map()));
    return out;
  }

  // The whole network: per step, per layer, a Map path → vector; and each step's output y.
  function run(layers, inputs, ps) {
    let xs = inputs;
    const out = [];
    for (const desc of layers) {
      const records = runLayer(desc, xs, ps.get(desc.name), "");
      out.push(records);
      xs = records.map((r) => r.get(desc.output));
    }
    return inputs.map((x, t) => ({ x: x, layers: layers.map((d, i) => out[i][t]), y: xs[t] }));
  }

  return { ACTIVATIONS, activate, compute, run, params };
})();
if (typeof module === "object" && module.exports) module.exports = rnnEngine;
