// rnntrace page, module "engine": the network run again from the layers' descriptions
// (docs/page.md, "The page's engine"). No DOM and no layer type: each description's
// `compute` formulas are evaluated in order, step by step, in float64 (JavaScript numbers
// are IEEE-754 doubles, as numpy's are). It runs in the page and under Node, where
// tests/test_page_node.py holds it equal to Python's engine.
//   rnnEngine.run(layers, inputs, params) → per step {x, y, layers: [Record]}, a Record
//     being a step's path → vector (get(path), iterable as a Map), and .columns: per
//     layer path → {size, data: Float64Array of T × size}
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
    // ONNX's clip: a pre-activation cut to [−clip, clip] before its activation
    if (op.clip !== undefined) return operand(op.of, env).map((v) => Math.min(Math.max(v, -op.clip), op.clip));
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
        if (c.how === "concat") return Array.from(a).concat(Array.from(b));
        if (c.how === "sum") return a.map((v, i) => v + b[i]);
        if (c.how === "mul") return a.map((v, i) => v * b[i]);
        return a.map((v, i) => (v + b[i]) / 2);   // mean, ave
      }
      case "lookup": {   // an embedding: the row of E for the id x, or Eᵀ·x for a 1-of-N x
        const table = weight(c.table), x = operand(c.of, env);
        if (c.ids) return Array.from(table[Math.round(x[0])]);
        // a 1-of-N x picks its row, read exactly (a product would add 0·E[j]: −0 → 0, 0·∞ → NaN)
        const hot = x.reduce((found, v, k) => (v === 0 ? found : found === -1 && v === 1 ? k : -2), -1);
        if (hot >= 0) return Array.from(table[hot]);
        return table[0].map((_, j) => table.reduce((s, row, k) => s + row[j] * x[k], 0));
      }
      default: throw new Error("unknown op " + c.op);
    }
  }

  // A layer's values over the whole run: per quantity path one Float64Array of T × size
  // numbers, step after step ({size, data}). An edit recomputes every step (a weight
  // reaches all of them), so the run keeps no Map and no array per step: each step's
  // vectors are copied into the columns, and the temporaries die young.
  function store(cols, T, path, t, v) {
    let c = cols.get(path);
    if (c === undefined) { c = { size: v.length, data: new Float64Array(T * v.length) }; cols.set(path, c); }
    c.data.set(v, t * c.size);
  }

  // The same columns with the steps in the reverse order (a backward direction's run)
  function reversed(cols, T) {
    const out = new Map();
    for (const [path, c] of cols) {
      const data = new Float64Array(c.data.length);
      for (let t = 0; t < T; t++) data.set(c.data.subarray((T - 1 - t) * c.size, (T - t) * c.size), t * c.size);
      out.set(path, { size: c.size, data: data });
    }
    return out;
  }

  // A step's record, as the page reads it: path → the vector at step t, a view into the
  // columns (no copy); iterable as [path, vector] pairs, like a Map. With `nulls`, a
  // vector holding a value past float64's range is given as an array with null there
  // (the JSON trace's null; the run's own values, docs/page.md).
  class Record {
    constructor(cols, t, nulls) { this.cols = cols; this.t = t; this.nulls = !!nulls; }
    get(path) {
      const c = this.cols.get(path);
      if (c === undefined) return undefined;
      const v = c.data.subarray(this.t * c.size, (this.t + 1) * c.size);
      if (this.nulls) for (let j = 0; j < v.length; j++) if (!Number.isFinite(v[j])) return Array.from(v, (a) => (Number.isFinite(a) ? a : null));
      return v;
    }
    has(path) { return this.cols.has(path); }
    keys() { return this.cols.keys(); }
    *[Symbol.iterator]() { for (const p of this.cols.keys()) yield [p, this.get(p)]; }
  }

  // One layer over a whole sequence (xs: a vector per step): its columns (above).
  function runLayer(desc, xs, params, prefix) {
    const T = xs.length;
    const weight = (name) => {
      const w = params.get(prefix + name);
      if (w === undefined) throw new Error("no weight " + prefix + name);
      return w;
    };
    if (desc.forward && desc.backward) {
      const f = runLayer(desc.forward, xs, params, prefix + "forward.");
      const b = reversed(runLayer(desc.backward, xs.slice().reverse(), params, prefix + "backward."), T);
      const cols = new Map();
      for (const [k, c] of f) cols.set("forward." + k, c);
      for (const [k, c] of b) cols.set("backward." + k, c);
      const env = new Map();
      for (let t = 0; t < T; t++) {
        env.clear();
        for (const [k, c] of cols) env.set(k, c.data.subarray(t * c.size, (t + 1) * c.size));
        for (const q of desc.quantities) if (q.compute) {
          const v = compute(q.compute, env, weight);
          env.set(q.path, v);
          store(cols, T, q.path, t, v);
        }
      }
      return cols;
    }
    if (desc.direction === "reverse")   // reads x_T … x_1; its record of x_t is kept at t
      return reversed(runLayer(Object.assign({}, desc, { direction: "forward" }), xs.slice().reverse(), params, prefix), T);
    const mem = desc.memory || [];
    const memory = mem.map((m) => m.initial.slice());
    const computed = desc.quantities.filter((q) => q.compute);
    const cols = new Map();
    const env = new Map();
    for (let t = 0; t < T; t++) {
      env.clear();
      env.set("x", xs[t]);
      for (let i = 0; i < mem.length; i++) env.set(mem[i].read, memory[i]);
      for (const q of computed) env.set(q.path, compute(q.compute, env, weight));
      for (let i = 0; i < mem.length; i++) memory[i] = env.get(mem[i].written);
      env.delete("x");
      for (const [k, v] of env) store(cols, T, k, t, v);
    }
    return cols;
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

  // The whole network: per step {x, y, layers: [Record]} (each layer's values kept as
  // columns, above), and `columns`: per layer its Map path → {size, data}.
  function run(layers, inputs, ps) {
    const T = inputs.length;
    let xs = inputs;
    const all = [];
    for (const desc of layers) {
      const cols = runLayer(desc, xs, ps.get(desc.name), "");
      all.push(cols);
      const out = cols.get(desc.output);
      xs = Array.from({ length: T }, (_, t) => out.data.subarray(t * out.size, (t + 1) * out.size));
    }
    const steps = inputs.map((x, t) => ({ x: x, layers: all.map((c) => new Record(c, t)), y: xs[t] }));
    steps.columns = all;
    return steps;
  }

  return { ACTIVATIONS, activate, compute, run, params, Record };
})();
if (typeof module === "object" && module.exports) module.exports = rnnEngine;
