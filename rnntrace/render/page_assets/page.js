// rnntrace's interactive page. Everything it shows comes from the data block that
// Python wrote: the layers' descriptions, the exact trace and the lines of arithmetic
// of `run --explain`. Nothing here knows a layer type: a layer is drawn from its
// description's quantities (kind, label, memory), and when a weight or an input is
// edited the network is recomputed by evaluating the descriptions' `compute` formulas,
// step by step, in float64 (JavaScript numbers are IEEE-754 doubles, as numpy's are).
"use strict";
async function rnntraceData() {
  const block = document.getElementById("rnntrace-data");
  if (block.dataset.encoding !== "gzip+base64") return JSON.parse(block.textContent);
  const bytes = Uint8Array.from(atob(block.textContent.trim()), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}
rnntraceData().then(function (D) {
  const T = D.trace.steps.length;
  const P = D.precision;
  const MINUS = "\u2212";
  const SVGNS = "http://www.w3.org/2000/svg";

  // ------------------------------------------------------------------ numbers

  // Python's repr of a float64: the shortest digits that read back as the same
  // number, written as Python writes them (3.0, 0.0001, 1e-05, 1e+16), so that
  // data-value is the exact value as the JSON trace has it.
  function pyRepr(v) {
    if (v === null || v === undefined) return "null";
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
    const sign = v < 0 ? "-" : "";
    const [mant, expText] = Math.abs(v).toExponential().split("e");
    const digits = mant.replace(".", "");
    const e = parseInt(expText, 10);
    if (e < -4 || e >= 16) {
      const m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
      const ee = Math.abs(e) < 10 ? "0" + Math.abs(e) : String(Math.abs(e));
      return sign + m + "e" + (e < 0 ? "-" : "+") + ee;
    }
    if (e < 0) return sign + "0." + "0".repeat(-e - 1) + digits;
    const intPart = digits.slice(0, e + 1).padEnd(e + 1, "0");
    const frac = digits.slice(e + 1);
    return sign + intPart + "." + (frac || "0");
  }

  // Rounded for display as the panels round (numbers.fmt): 6.9995, ≈0, a typographic minus.
  function show(v) {
    if (v === null || v === undefined) return "overflow";
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : MINUS + "inf";
    let text;
    if (Number.isInteger(v) && Math.abs(v) < 1e15) text = String(v === 0 ? 0 : v);
    else if (Math.abs(v) >= 1e15) text = v.toExponential(P).replace(/\.?0+e/, "e");
    else {
      text = v.toFixed(P);
      if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
      if (text === "-0" || text === "0") text = "≈0";
      else if (/^-?\d+$/.test(text)) text = "≈" + text;
    }
    return text.replace(/-/g, MINUS);
  }

  // ------------------------------------------------------------------ the engine

  // The elementwise activation functions, written in by page.py from Python's one table
  // (rnntrace/layers/activations.py): each takes one number z and its parameters.
  const ACTIVATIONS = /*ACTIVATION_TABLE*/ {};
  function softmax(z) {   // shifted by max(z): e^z ≤ 1, the same value
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    let s = 0;
    for (const v of e) s += v;
    return e.map((v) => v / s);
  }

  // A function by its canonical name: "tanh", or "leaky_relu(alpha=0.1)" with the
  // parameters that differ from their defaults.
  function activate(name, z) {
    if (name === "softmax") return softmax(z);
    const m = /^(\w+)(?:\((.*)\))?$/.exec(name);
    const f = m && ACTIVATIONS[m[1]];
    if (!f) throw new Error("unknown activation " + name);
    const values = Object.assign({}, f.params);
    if (m[2]) for (const part of m[2].split(",")) {
      const [k, v] = part.trim().split("=");
      values[k] = Number(v);
    }
    const args = Object.keys(f.params).map((k) => values[k]);
    return z.map((v) => f.f(v, ...args));
  }

  // An operand: a path computed earlier in this step (or "x", or a memory read),
  // 1 − v, an elementwise product, or f(v).
  function operand(op, env) {
    if (typeof op === "string") {
      const v = env[op];
      if (v === undefined) throw new Error("no value for " + op);
      return v;
    }
    if (op.one_minus !== undefined) return operand(op.one_minus, env).map((v) => 1 - v);
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

  function matvec(W, v) {
    return W.map((row) => { let s = 0; for (let j = 0; j < row.length; j++) s += row[j] * v[j]; return s; });
  }

  function add(a, b) { return a === null ? b.slice() : a.map((v, i) => v + b[i]); }

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
      case "lookup": {   // an embedding: the row of E for the id x, or Eᵀ·x for a 1-of-N x
        const table = weight(c.table), x = operand(c.of, env);
        if (c.ids) return table[Math.round(x[0])].slice();
        return table[0].map((_, j) => table.reduce((s, row, k) => s + row[j] * x[k], 0));
      }
      default: throw new Error("unknown op " + c.op);
    }
  }

  // One layer over a whole sequence: a record (path → vector) per step.
  function runLayer(desc, xs, params, prefix) {
    const weight = (name) => {
      const w = params[prefix + name];
      if (w === undefined) throw new Error("no weight " + prefix + name);
      return w;
    };
    if (desc.forward && desc.backward) {
      const f = runLayer(desc.forward, xs, params, prefix + "forward.");
      const b = runLayer(desc.backward, xs.slice().reverse(), params, prefix + "backward.").reverse();
      return xs.map((x, t) => {
        const env = {};
        for (const k in f[t]) env["forward." + k] = f[t][k];
        for (const k in b[t]) env["backward." + k] = b[t][k];
        for (const q of desc.quantities) if (q.compute) env[q.path] = compute(q.compute, env, weight);
        return env;
      });
    }
    if (desc.direction === "reverse")   // reads x_T … x_1; its record of x_t is kept at t
      return runLayer(Object.assign({}, desc, { direction: "forward" }), xs.slice().reverse(), params, prefix)
        .reverse();
    const memory = (desc.memory || []).map((m) => m.initial.slice());
    const records = [];
    for (const x of xs) {
      const env = { x: x };
      (desc.memory || []).forEach((m, i) => { env[m.read] = memory[i]; });
      for (const q of desc.quantities) if (q.compute) env[q.path] = compute(q.compute, env, weight);
      (desc.memory || []).forEach((m, i) => { memory[i] = env[m.written]; });
      delete env.x;
      records.push(env);
    }
    return records;
  }

  // The whole network: per step, per layer, path → vector; and each step's output y.
  function runNetwork(inputs, params) {
    let xs = inputs;
    const layers = [];
    for (const desc of D.layers) {
      const records = runLayer(desc, xs, params[desc.name], "");
      layers.push(records);
      xs = records.map((r) => r[desc.output]);
    }
    return inputs.map((x, t) => {
      const step = { x: x, layers: D.layers.map((d, i) => layers[i][t]), y: xs[t] };
      step.labels = D.layers.map((d, i) => winner(d, layers[i][t]));
      return step;
    });
  }

  function winner(desc, record) {   // the argmax's label, for a layer whose trace names one
    if (!hasLabel(desc)) return null;
    const y = record[desc.output];
    let best = 0;
    for (let i = 1; i < y.length; i++) if (y[i] > y[best]) best = i;
    return desc.units[best];
  }

  function hasLabel(desc) {
    const rec = D.trace.steps[0].layers[desc.name];
    return rec && typeof rec.label === "string";
  }

  // The Python trace as the same shape: path → vector.
  function flatten(obj, prefix, out) {
    for (const k in obj) {
      const v = obj[k];
      if (Array.isArray(v)) out[prefix + k] = v;
      else if (v && typeof v === "object") flatten(v, prefix + k + ".", out);
    }
    return out;
  }

  function pythonSteps() {
    return D.trace.steps.map((s) => ({
      x: s.x, y: s.y, token: s.token,
      layers: D.layers.map((d) => flatten(s.layers[d.name], "", {})),
      labels: D.layers.map((d) => (s.layers[d.name].label === undefined ? null : s.layers[d.name].label)),
    }));
  }

  // Each layer's weights by the names the spec and grad give them ("<block>.W",
  // a bidirectional layer's "forward.W"): its own and its directions'.
  function collectParams(desc, prefix, out) {
    for (const k in desc.parameters || {}) out[prefix + k] = desc.parameters[k];
    for (const side of ["forward", "backward"]) if (desc[side]) collectParams(desc[side], prefix + side + ".", out);
    return out;
  }
  const ORIGINAL_PARAMS = {};
  for (const d of D.layers) ORIGINAL_PARAMS[d.name] = collectParams(d, "", {});
  const copy = (v) => JSON.parse(JSON.stringify(v));

  // ------------------------------------------------------------------ state

  const state = {
    t: 1,
    steps: pythonSteps(),
    edited: false,
    params: copy(ORIGINAL_PARAMS),
    inputs: copy(D.inputs),
    answers: {},          // practice: "path|t|unit" → {text, right}
    opener: null,
  };
  const asked = new Set(D.practice ? D.practice.ask : []);
  // Shown as "?" without a blank: the same number under another name (y is the last
  // layer's output) and what the next step reads from memory of an asked quantity.
  const masked = new Set(asked);
  if (asked.size) {
    const last = D.layers[D.layers.length - 1];
    const out = `${last.name}.${last.output}`;
    if (asked.has("y")) masked.add(out);
    if (asked.has(out)) masked.add("y");
    const memories = (desc, prefix) => {
      for (const m of desc.memory || []) if (masked.has(prefix + m.written)) masked.add(prefix + m.read);
      for (const side of ["forward", "backward"]) if (desc[side]) memories(desc[side], prefix + side + ".");
    };
    for (const d of D.layers) memories(d, d.name + ".");
  }

  function isAsked(fullPath) { return asked.has(fullPath); }
  function isMasked(fullPath) { return masked.has(fullPath); }

  function recompute() {
    state.steps = runNetwork(state.inputs, state.params);
    state.edited = true;
    drawStep();
    drawCharts();
    document.getElementById("edited").hidden = false;
  }

  function reset() {
    state.params = copy(ORIGINAL_PARAMS);
    state.inputs = copy(D.inputs);
    state.steps = pythonSteps();
    state.edited = false;
    for (const el of document.querySelectorAll("input[data-param]")) {
      el.value = pyShort(paramValue(el.dataset.param));
      el.removeAttribute("aria-invalid");
    }
    document.getElementById("edited").hidden = true;
    drawStep();
    drawCharts();
  }

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function pyShort(v) {   // an editable value as the spec would write it: 3, 0.5, -10
    const r = pyRepr(v);
    return r.endsWith(".0") ? r.slice(0, -2) : r;
  }

  // A shown number: focusable, clickable, carrying its path, step, unit and exact value.
  function numberAttrs(path, t, unit, v) {
    return { "class": "num", "data-path": path, "data-t": String(t), "data-unit": unit === null ? null : String(unit + 1),
             "data-value": pyRepr(v), "title": v === null ? "overflow" : pyRepr(v) };
  }

  function numButton(path, t, unit, v) {
    const a = numberAttrs(path, t, unit, v);
    a.type = "button";
    a["aria-label"] = `${path}${unit === null ? "" : "[" + (unit + 1) + "]"} at step ${t}: ${show(v)}`;
    return el("button", Object.assign(a, { text: show(v) }));
  }

  // ------------------------------------------------------------------ practice

  function blank(path, t, unit, exact) {
    const key = `${path}|${t}|${unit}`;
    const saved = state.answers[key];
    const label = `${path}${unit === null ? "" : "[" + (unit + 1) + "]"} at step ${t}`;
    const status = el("span", { "class": "verdict", "aria-live": "polite", id: "v-" + key.replace(/[^\w-]/g, "_") });
    const input = el("input", { "class": "blank", type: "text", inputmode: "decimal", autocomplete: "off",
      "aria-label": "your value for " + label, "data-path": path, "data-t": String(t),
      "data-unit": unit === null ? null : String(unit + 1), "aria-describedby": status.id, size: "7" });
    const hintBox = el("span", { "class": "hint", hidden: true });
    const apply = (answer) => {
      if (!answer) return;
      input.value = answer.text;
      status.textContent = answer.right ? "right" : "wrong";
      status.className = "verdict " + (answer.right ? "right" : "wrong");
      input.setAttribute("aria-invalid", answer.right ? "false" : "true");
      if (!answer.right && answer.tries > 0) {
        const hint = (D.practice.hints[path] || {})[String(t)];
        const text = hint ? hint[unit === null ? 0 : unit] : "";
        if (text) { hintBox.textContent = "hint: " + text; hintBox.hidden = false; }
      } else hintBox.hidden = true;
    };
    const mark = () => {
      const text = input.value.trim();
      if (text === "") return;
      const yours = Number(text.replace(MINUS, "-"));
      let right = false;
      if (Number.isFinite(yours) && exact !== null) {
        // check's rule: |yours − exact| ≤ tolerance·max(1, |exact|)
        right = Math.abs(yours - exact) <= D.practice.tolerance * Math.max(1, Math.abs(exact));
      }
      const before = state.answers[key];
      state.answers[key] = { text: text, right: right, tries: (before ? before.tries : 0) + (right ? 0 : 1) };
      apply(state.answers[key]);
      drawScore();
    };
    input.addEventListener("change", mark);
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); mark(); } });
    apply(saved);
    return el("span", { "class": "blank-wrap" }, input, status, hintBox);
  }

  function blanksTotal() {
    let n = 0;
    for (const path of asked) {
      const v = valueAt(D.trace.steps[0], path);
      n += T * (v ? v.length : 0);
    }
    return n;
  }

  function drawScore() {
    const box = document.getElementById("score");
    if (!box) return;
    const answers = Object.values(state.answers);
    const right = answers.filter((a) => a.right).length;
    box.textContent = `Score: ${right} of ${blanksTotal()} blanks right (${answers.length} answered)`;
  }

  function valueAt(stepDict, fullPath) {   // a path of the trace JSON in one step
    if (fullPath === "y") return stepDict.y;
    const [layer, ...rest] = fullPath.split(".");
    let cur = stepDict.layers[layer];
    for (const part of rest) { if (!cur) return null; cur = cur[part]; }
    return cur;
  }

  // A number or, in practice mode, a blank.
  function cell(path, t, unit, v) {
    if (isMasked(path) && !isAsked(path)) return el("span", { "class": "asked", title: "asked elsewhere on this sheet", text: "?" });
    if (isAsked(path)) return blank(path, t, unit, D.trace.steps[t - 1] ? valueAt(D.trace.steps[t - 1], path)[unit === null ? 0 : unit] : null);
    return numButton(path, t, unit, v);
  }

  // ------------------------------------------------------------------ the explanation popup

  function whereOf(i, t) {
    const steps = D.explain.where_steps[i] || {};
    return steps[String(t)] || D.explain.where[i];
  }

  function explainText(layerIndex, path, t, unit) {
    const u = unit === null ? 0 : unit;
    const index = (whereOf(layerIndex, t) || {})[path];
    if (index && index[u] !== null && index[u] !== undefined) return D.explain.lines[t - 1][layerIndex][index[u]];
    const mem = D.explain.memory[t - 1][layerIndex][path];
    if (mem) return mem[u];
    return null;
  }

  function describeNumber(node) {
    const path = node.dataset.path;
    const t = parseInt(node.dataset.t, 10);
    const unit = node.dataset.unit ? parseInt(node.dataset.unit, 10) - 1 : null;
    let layerIndex = null, inner = null, title = path, lines = [], formula = null;
    if (path === "x") {
      const token = D.trace.steps[t - 1].token;
      lines.push(`x${unit === null ? "" : "[" + (unit + 1) + "]"} is input ${unit === null ? "" : unit + 1 + " "}of step ${t}, as the spec gives it (inputs[${t - 1}]${unit === null ? "" : "[" + unit + "]"})` +
                 (token !== undefined && token !== null ? `; the word ${token} encoded 1-of-N` : ""));
    } else if (path === "y") {
      layerIndex = D.layers.length - 1;
      inner = D.layers[layerIndex].output;
      lines.push(`y = the output of the last layer, ${D.layers[layerIndex].name}.${inner}`);
    } else {
      const dot = path.indexOf(".");
      layerIndex = D.layers.findIndex((d) => d.name === path.slice(0, dot));
      inner = path.slice(dot + 1);
    }
    if (layerIndex !== null && layerIndex >= 0) {
      const q = findQuantity(D.layers[layerIndex], inner);
      if (q && q.formula) formula = q.formula;
      const text = explainText(layerIndex, inner, t, unit);
      if (text) lines.push(text);
    }
    return { path, t, unit, title, lines, formula, layerIndex };
  }

  function findQuantity(desc, path) {
    for (const q of desc.quantities) if (q.path === path) return q;
    for (const side of ["forward", "backward"]) {
      if (desc[side] && path.startsWith(side + ".")) return findQuantity(desc[side], path.slice(side.length + 1));
    }
    return null;
  }

  function openPopup(node) {
    const info = describeNumber(node);
    const box = document.getElementById("popup");
    const body = document.getElementById("popup-body");
    body.textContent = "";
    const where = `${info.path}${info.unit === null ? "" : "[" + (info.unit + 1) + "]"} at step ${info.t}`;
    document.getElementById("popup-title").textContent = where;
    const value = node.dataset.value;
    body.append(el("p", { "class": "exact" }, "exact value: ", el("code", { text: value })));
    if (state.edited) {
      const original = originalValue(info.path, info.t, info.unit);
      body.append(el("p", { "class": "note" },
        `Recomputed with your changes: ${show(Number(value))}. The arithmetic below was written by rnntrace for the ` +
        `original weights and inputs (where ${info.path} = ${original === null ? "overflow" : show(original)}).`));
    }
    if (info.formula) body.append(el("p", { "class": "formula" }, "formula: ", el("code", { text: info.formula })));
    if (info.lines.length) body.append(el("pre", { "class": "arith", text: info.lines.join("\n") }));
    if (info.layerIndex !== null && info.layerIndex >= 0 && D.explain.legend[info.layerIndex])
      body.append(el("p", { "class": "legend", text: D.explain.legend[info.layerIndex] }));
    state.opener = node;
    box.hidden = false;
    document.getElementById("popup-close").focus();
  }

  function originalValue(path, t, unit) {
    const v = valueAt(D.trace.steps[t - 1], path === "x" ? "x" : path);
    if (path === "x") return D.trace.steps[t - 1].x[unit || 0];
    return v ? v[unit === null ? 0 : unit] : null;
  }

  function closePopup() {
    document.getElementById("popup").hidden = true;
    if (state.opener && document.body.contains(state.opener)) state.opener.focus();
    state.opener = null;
  }

  // ------------------------------------------------------------------ the drawing of a layer

  // Quantities as boxes in columns by how far they are from the inputs (x and the
  // memory read): the flow of the lecture's figures, left to right, from the formulas.
  function refs(c, out) {
    if (c === null || c === undefined) return out;
    if (typeof c === "string") { out.push(c); return out; }
    if (Array.isArray(c)) { c.forEach((v) => refs(v, out)); return out; }
    for (const k in c) {
      if (k === "weight" || k === "bias" || k === "op" || k === "function" || k === "how" || k === "apply" || k === "elementwise") continue;
      refs(c[k], out);
    }
    return out;
  }

  function layout(desc) {
    // What the formulas read that is not one of these quantities (x, or a direction's
    // output read by a merge) is drawn as an input on the left.
    const own = new Set(desc.quantities.map((q) => q.path));
    const read = [];
    for (const q of desc.quantities) for (const r of refs(q.compute, [])) if (!own.has(r) && !read.includes(r)) read.push(r);
    const memoryReads = new Set((desc.memory || []).map((m) => m.read));
    const nodes = read.filter((r) => !memoryReads.has(r)).map((r) => ({
      path: r, kind: "input", label: r.replace(/^forward\./, "→ ").replace(/^backward\./, "← ") }));
    for (const q of desc.quantities) nodes.push(q);
    const depth = {};
    for (const n of nodes) if (n.kind === "input") depth[n.path] = 0;
    const deps = {};
    for (const q of desc.quantities) {
      deps[q.path] = q.compute ? [...new Set(refs(q.compute, []))] : [];
      depth[q.path] = q.compute ? 1 + Math.max(0, ...deps[q.path].map((p) => (depth[p] === undefined ? 0 : depth[p]))) : 0;
    }
    const columns = [];
    for (const n of nodes) {
      const d = depth[n.path] || 0;
      (columns[d] = columns[d] || []).push(n);
    }
    return { nodes, depth, deps, columns: columns.map((c) => c || []) };
  }

  const BOX_W = 124, COL_GAP = 34, LINE_H = 17, PAD = 8, ROW_GAP = 14, MAX_SHOWN = 4;

  // xPath: what this layer reads, as the trace names it ("x", or the layer below's output).
  function drawLayer(desc, layerIndex, record, x, xPath, t, prefix, namePath) {
    // Nested directions (bidirectional) are drawn as their own diagrams above the merge.
    const wrap = el("div", { "class": "diagram" });
    if (desc.forward && desc.backward) {
      for (const [side, arrow] of [["forward", "→ reads x_1 … x_t"], ["backward", "← reads x_T … x_t"]]) {
        const sub = {};
        for (const k in record) if (k.startsWith(side + ".")) sub[k.slice(side.length + 1)] = record[k];
        wrap.append(el("p", { "class": "side", text: `${side} (${desc[side].type}) ${arrow}` }));
        wrap.append(drawLayer(desc[side], layerIndex, sub, x, xPath, t, prefix + side + ".", namePath));
      }
    }
    const { columns, deps, depth } = layout(desc);
    const pos = {};
    const valueOf = (n) => (n.path === "x" ? x : record[n.path]);
    const heights = columns.map((col) => col.reduce((h, n) => h + boxHeight(valueOf(n)) + ROW_GAP, 0));
    const H = Math.max(60, ...heights) + 28;
    const W = columns.length * (BOX_W + COL_GAP) - COL_GAP + 16;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "group",
                              "aria-label": `${desc.name || prefix.slice(0, -1)} at step ${t}`, "class": "net" });
    const defs = svg("defs", {}, svg("marker", { id: `arrow-${layerIndex}-${prefix.replace(/\W/g, "")}`, viewBox: "0 0 10 10", refX: "9", refY: "5",
      markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, svg("path", { d: "M 0 0 L 10 5 L 0 10 z", "class": "arrowhead" })));
    root.append(defs);
    const marker = `url(#arrow-${layerIndex}-${prefix.replace(/\W/g, "")})`;
    columns.forEach((col, ci) => {
      let y = 10;
      for (const n of col) {
        const v = valueOf(n);
        const h = boxHeight(v);
        pos[n.path] = { x: 8 + ci * (BOX_W + COL_GAP), y, h };
        y += h + ROW_GAP;
      }
    });
    const edges = svg("g", { "class": "edges" });
    for (const q of desc.quantities) {
      for (const d of deps[q.path] || []) {
        const a = pos[d], b = pos[q.path];
        if (!a || !b) continue;
        const x1 = a.x + BOX_W, y1 = a.y + a.h / 2, x2 = b.x, y2 = b.y + b.h / 2;
        const mid = (x1 + x2) / 2;
        edges.append(svg("path", { d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2 - 2} ${y2}`, "marker-end": marker }));
      }
    }
    // The copy into memory: what is written at t is read at the next step.
    for (const m of desc.memory || []) {
      const a = pos[m.written], b = pos[m.read];
      if (!a || !b) continue;
      const x1 = a.x + BOX_W / 2, y1 = a.y + a.h, x2 = b.x + BOX_W / 2, y2 = b.y + b.h;
      edges.append(svg("path", { "class": "copy", d: `M ${x1} ${y1} C ${x1} ${H - 4}, ${x2} ${H - 4}, ${x2} ${y2 + 2}`, "marker-end": marker }));
    }
    root.append(edges);
    for (const col of columns) for (const n of col) {
      const v = valueOf(n);
      const p = pos[n.path];
      const g = svg("g", { "class": `node kind-${n.kind}`, transform: `translate(${p.x} ${p.y})` });
      const rect = svg("rect", { width: BOX_W, height: p.h, rx: n.kind === "gate" ? 16 : 5 });
      g.append(rect);
      if (n.kind === "gate" && v && v.length) {
        // how open the gate is: the shade's opacity is its value (0 closed … 1 open)
        const open = Math.min(1, Math.max(0, v[0] === null ? 0 : v[0]));
        // (at most 0.5, so that the numbers stay readable on a wide-open gate)
        g.append(svg("rect", { "class": "shade", width: BOX_W, height: p.h, rx: 16, "fill-opacity": (0.5 * open).toFixed(3) }));
      }
      g.append(svg("text", { x: PAD, y: 15, "class": "label" }, n.label));
      const full = n.path === "x" ? xPath : namePath + prefix + n.path;
      (v || []).slice(0, MAX_SHOWN).forEach((value, u) => {
        const unit = v.length > 1 ? u : null;
        const ty = 15 + LINE_H * (u + 1);
        if (v.length > 1) g.append(svg("text", { x: PAD, y: ty, "class": "unit" }, unitName(n, v, u, desc, xPath)));
        if (isMasked(full)) {
          g.append(svg("text", { x: BOX_W - PAD, y: ty, "text-anchor": "end", "class": "asked" }, "?"));
          return;
        }
        const a = numberAttrs(full, t, unit, value);
        a.x = BOX_W - PAD; a.y = ty; a["text-anchor"] = "end"; a.tabindex = "0"; a.role = "button";
        a["aria-label"] = `${full}${unit === null ? "" : "[" + (u + 1) + "]"} at step ${t}: ${show(value)}`;
        g.append(svg("text", a, show(value)));
      });
      if (v && v.length > MAX_SHOWN) g.append(svg("text", { x: PAD, y: 15 + LINE_H * (MAX_SHOWN + 1), "class": "more" }, `+${v.length - MAX_SHOWN} more`));
      root.append(g);
    }
    const box = el("div", { "class": "scroll" }, root);
    wrap.append(box);
    if (W > 340) wrap.append(el("p", { "class": "scroll-hint", text: "the drawing scrolls sideways; the table below has every number" }));
    if ((desc.memory || []).length)
      wrap.append(el("p", { "class": "note", text: "dashed: copied into memory for the next step (" +
        desc.memory.map((m) => `${m.written} → ${m.read}`).join(", ") + ")" }));
    return wrap;
  }

  // A row's name in a box: a word of the lexicon for the input, a dense layer's label
  // for its own quantities, else the unit's number.
  function unitName(n, v, u, desc, xPath) {
    if (n.path === "x") return xPath === "x" && D.lexicon && D.lexicon.length === v.length ? String(D.lexicon[u]).slice(0, 7) : String(u + 1);
    if (n.kind !== "input" && desc.units && desc.units.length === v.length) return String(desc.units[u]).slice(0, 7);
    return String(u + 1);
  }

  function boxHeight(v) {
    const n = Math.min(v ? v.length : 1, MAX_SHOWN) + (v && v.length > MAX_SHOWN ? 1 : 0);
    return 22 + LINE_H * Math.max(1, n);
  }

  // Every quantity of a layer as a table row: label, then one cell per unit.
  function allQuantities(desc, prefix) {
    const out = [];
    if (desc.forward && desc.backward) {
      for (const side of ["forward", "backward"])
        for (const q of allQuantities(desc[side], prefix + side + "."))
          out.push(Object.assign({}, q, { label: (side === "forward" ? "→ " : "← ") + q.label }));
    }
    for (const q of desc.quantities) out.push(Object.assign({}, q, { path: prefix + q.path }));
    return out;
  }

  function drawTable(desc, record, t) {
    const rows = allQuantities(desc, "");
    const width = Math.max(...rows.map((q) => (record[q.path] || []).length));
    const table = el("table", { "class": "values" });
    const head = el("tr", {}, el("th", { scope: "col", text: "quantity" }));
    for (let u = 0; u < width; u++) head.append(el("th", { scope: "col", text: desc.units && desc.units.length === width ? String(desc.units[u]) : String(u + 1) }));
    table.append(el("thead", {}, head));
    const body = el("tbody");
    for (const q of rows) {
      const v = record[q.path] || [];
      const tr = el("tr", { "class": "kind-" + q.kind }, el("th", { scope: "row", text: q.label }));
      v.forEach((value, u) => tr.append(el("td", {}, cell(`${desc.name}.${q.path}`, t, v.length > 1 ? u : null, value))));
      body.append(tr);
    }
    table.append(body);
    return el("div", { "class": "scroll" }, table);
  }

  // ------------------------------------------------------------------ weights and inputs

  function paramValue(name) {   // "<layer>.<block>.W[0][1]" or "inputs[2][1]" → its current value
    const m = /^(.*?)((\[\d+\])*)$/.exec(name);
    if (name.startsWith("inputs[")) {
      const idx = name.match(/\d+/g).map(Number);
      return state.inputs[idx[0]][idx[1]];
    }
    const base = m[1], idx = (m[2].match(/\d+/g) || []).map(Number);
    const dot = base.indexOf(".");
    let v = state.params[base.slice(0, dot)][base.slice(dot + 1)];
    for (const i of idx) v = v[i];
    return v;
  }

  function setParam(name, value) {
    if (name.startsWith("inputs[")) {
      const idx = name.match(/\d+/g).map(Number);
      state.inputs[idx[0]][idx[1]] = value;
      return;
    }
    const m = /^(.*?)((\[\d+\])*)$/.exec(name);
    const base = m[1], idx = (m[2].match(/\d+/g) || []).map(Number);
    const dot = base.indexOf(".");
    const holder = state.params[base.slice(0, dot)];
    const key = base.slice(dot + 1);
    if (idx.length === 0) { holder[key] = value; return; }
    let v = holder[key];
    for (const i of idx.slice(0, -1)) v = v[i];
    v[idx[idx.length - 1]] = value;
  }

  function editor(name, label) {
    const input = el("input", { type: "text", inputmode: "decimal", "class": "param", "data-param": name,
                                value: pyShort(paramValue(name)), "aria-label": label || name, size: "6" });
    input.addEventListener("change", () => {
      const v = Number(input.value.trim().replace(MINUS, "-"));
      if (input.value.trim() === "" || !Number.isFinite(v)) { input.setAttribute("aria-invalid", "true"); return; }
      input.removeAttribute("aria-invalid");
      setParam(name, v);
      recompute();
    });
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") input.dispatchEvent(new Event("change")); });
    return input;
  }

  function weightsPanel(desc) {
    const box = el("details", { "class": "weights" }, el("summary", { text: `weights of ${desc.name} (edit one to see what changes)` }));
    const all = ORIGINAL_PARAMS[desc.name];
    for (const name in all) {
      const w = all[name];
      const full = `${desc.name}.${name}`;
      const table = el("table", { "class": "matrix" }, el("caption", { text: full }));
      const rows = Array.isArray(w[0]) ? w : [w];
      rows.forEach((row, i) => {
        const tr = el("tr");
        row.forEach((_, j) => tr.append(el("td", {}, editor(Array.isArray(w[0]) ? `${full}[${i}][${j}]` : `${full}[${j}]`))));
        table.append(tr);
      });
      box.append(el("div", { "class": "scroll" }, table));
    }
    return box;
  }

  // ------------------------------------------------------------------ the page

  let stepView, chartBox, stepLabel, slider;

  function build() {
    const app = document.getElementById("app");
    app.append(el("header", {}, el("h1", { text: D.title }),
      el("p", { "class": "sub", text: `${D.source}: ${T} step${T === 1 ? "" : "s"}, ${D.layers.map((d) => d.heading).join("; ")}` })));
    if (D.practice) {
      app.append(el("section", { "class": "practice", "aria-label": "practice" },
        el("p", {}, `Practice: fill in ${D.practice.ask.join(", ")} at every step. An answer is right when ` +
          `|yours − exact| ≤ ${D.practice.tolerance}·max(1, |exact|). The exact values are in this file: it is for practice, not for exams.`),
        el("p", { id: "score", "aria-live": "polite" })));
    }
    stepLabel = el("span", { id: "step-label", "aria-live": "polite" });
    slider = el("input", { type: "range", id: "slider", min: "1", max: String(T), value: "1", "aria-label": "step", step: "1" });
    slider.addEventListener("input", () => go(parseInt(slider.value, 10)));
    const btn = (text, label, f) => el("button", { type: "button", "aria-label": label, onclick: f, text });
    app.append(el("nav", { "class": "stepper", "aria-label": "steps" },
      btn("|◀", "first step", () => go(1)), btn("◀", "previous step", () => go(state.t - 1)), stepLabel,
      btn("▶", "next step", () => go(state.t + 1)), btn("▶|", "last step", () => go(T)), slider,
      el("span", { "class": "keys", text: "keys: ← → Home End" })));
    const float32 = D.trace.dtype === "float32";
    app.append(el("p", { id: "edited", "class": "edited", hidden: true }, "You changed a weight or an input: every number below is recomputed in this page" +
      (float32 ? ", in float64 (the run itself was in float32). " : ". "),
      el("button", { type: "button", id: "reset", onclick: reset, text: "reset" })));
    stepView = el("div", { id: "step" });
    app.append(stepView);
    const weights = el("section", { "class": "all-weights", "aria-label": "weights" }, el("h2", { text: "What if: the weights" }));
    for (const d of D.layers) weights.append(weightsPanel(d));
    chartBox = el("section", { "class": "charts", "aria-label": "every quantity over time" });
    app.append(chartBox, weights);
    app.append(el("footer", {}, "Every number is exact float64, rounded only for display; click one (or focus it and press Enter) for its arithmetic. Made by rnntrace."));
    const popup = el("div", { id: "popup", role: "dialog", "aria-modal": "false", "aria-labelledby": "popup-title", hidden: true },
      el("div", { "class": "popup-head" }, el("h2", { id: "popup-title" }),
        el("button", { type: "button", id: "popup-close", "aria-label": "close", onclick: closePopup, text: "×" })),
      el("div", { id: "popup-body" }));
    document.body.append(popup);
    drawStep();
    drawCharts();
    drawScore();
  }

  function go(t) {
    t = Math.min(T, Math.max(1, t));
    if (t === state.t && stepView.childElementCount) return;
    state.t = t;
    drawStep();
    moveMarkers();
  }

  function drawStep() {
    const t = state.t;
    const step = state.steps[t - 1];
    stepLabel.textContent = `Step ${t} of ${T}`;
    slider.value = String(t);
    const focused = document.activeElement;
    const refocus = focused && focused.dataset && focused.dataset.path && !focused.classList.contains("blank") ? focused.dataset.path + "|" + focused.dataset.unit : null;
    stepView.textContent = "";
    // the input at this step, editable
    const xs = el("section", { "class": "input", "aria-label": "input" }, el("h2", { text: `input at step ${t}` }));
    const token = D.trace.steps[t - 1].token;
    if (token !== undefined && token !== null) {
      const changed = state.inputs[t - 1].some((v, j) => v !== D.inputs[t - 1][j]);
      xs.append(el("p", { "class": "word" }, "word ", el("strong", { text: token }), changed ? " (its 1-of-N input edited)" : null));
    }
    const row = el("p", { "class": "x" }, "x = ");
    step.x.forEach((v, j) => {
      const lex = D.lexicon ? D.lexicon[j] : null;
      const name = `inputs[${t - 1}][${j}]`;
      const input = editor(name, `input ${j + 1}${lex ? " (" + lex + ")" : ""} at step ${t}`);
      input.value = pyShort(state.inputs[t - 1][j]);
      Object.assign(input.dataset, { path: "x", t: String(t), unit: String(j + 1), value: pyRepr(v) });
      row.append(el("label", { "class": "xin" }, lex ? el("span", { "class": "lex", text: lex }) : null, input));
    });
    xs.append(row);
    stepView.append(xs);
    let x = step.x, xPath = "x";
    D.layers.forEach((desc, i) => {
      const record = step.layers[i];
      const sec = el("section", { "class": "layer", "aria-label": desc.name }, el("h2", { text: desc.heading }));
      sec.append(drawLayer(desc, i, record, x, xPath, t, "", desc.name + "."));
      sec.append(drawTable(desc, record, t));
      if (step.labels[i] !== null) sec.append(el("p", { "class": "winner" }, "most likely: ", el("strong", { text: step.labels[i] })));
      stepView.append(sec);
      x = record[desc.output];
      xPath = `${desc.name}.${desc.output}`;
    });
    const out = el("section", { "class": "output", "aria-label": "output" }, el("h2", { text: `output at step ${t}` }));
    const yRow = el("p", {}, "y = ");
    step.y.forEach((v, u) => yRow.append(cell("y", t, step.y.length > 1 ? u : null, v), " "));
    out.append(yRow);
    stepView.append(out);
    if (refocus) {
      const [p, u] = refocus.split("|");
      const same = [...stepView.querySelectorAll(".num")].find((n) => n.dataset.path === p && String(n.dataset.unit) === u);
      if (same) same.focus();
    }
  }

  // ------------------------------------------------------------------ charts

  function drawCharts() {
    chartBox.textContent = "";
    chartBox.append(el("h2", { text: "Every quantity over time" }),
      el("p", { "class": "note", text: "Gates on 0 … 1, other rows between their own lowest and highest value; the line marks the current step. Click a chart to go to a step." }));
    const W = 600, H = 46;
    D.layers.forEach((desc, i) => {
      const rows = allQuantities(desc, "").filter((q) => q.kind !== "memory" && !isMasked(`${desc.name}.${q.path}`));
      const table = el("table", { "class": "chart" }, el("caption", { text: desc.name }));
      for (const q of rows) {
        const series = state.steps.map((s) => s.layers[i][q.path] || []);
        const units = series[0].length;
        let lo = Infinity, hi = -Infinity;
        if (q.kind === "gate") { lo = 0; hi = 1; }
        else for (const v of series) for (const a of v) if (a !== null && Number.isFinite(a)) { lo = Math.min(lo, a); hi = Math.max(hi, a); }
        if (!(lo < hi)) { lo = (Number.isFinite(lo) ? lo : 0) - 1; hi = lo + 2; }
        const sx = (t) => (T === 1 ? W / 2 : ((t - 1) / (T - 1)) * (W - 8) + 4);
        const sy = (v) => H - 4 - ((v - lo) / (hi - lo)) * (H - 8);
        const pic = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", "class": "spark", role: "img",
                                 "aria-label": `${desc.name}.${q.path} over ${T} steps, from ${show(lo)} to ${show(hi)}` });
        for (let u = 0; u < units; u++) {
          const pts = [];
          series.forEach((v, k) => { if (v[u] !== null && Number.isFinite(v[u])) pts.push(`${sx(k + 1).toFixed(1)},${sy(v[u]).toFixed(1)}`); });
          pic.append(svg("polyline", { points: pts.join(" "), "class": `series s${u % 6}` }));
        }
        const mk = svg("line", { "class": "marker", x1: sx(state.t), x2: sx(state.t), y1: 0, y2: H });
        pic.append(mk);
        pic.addEventListener("click", (e) => {
          const r = pic.getBoundingClientRect();
          go(Math.round(((e.clientX - r.left) / r.width) * (T - 1)) + 1);
        });
        table.append(el("tr", {}, el("th", { scope: "row", text: q.label }), el("td", { "class": "range", text: `${show(lo)} … ${show(hi)}` }), el("td", { "class": "pic" }, pic)));
      }
      chartBox.append(el("div", { "class": "scroll" }, table));
    });
  }

  function moveMarkers() {
    const W = 600;
    const x = T === 1 ? W / 2 : ((state.t - 1) / (T - 1)) * (W - 8) + 4;
    for (const m of chartBox.querySelectorAll("line.marker")) { m.setAttribute("x1", x); m.setAttribute("x2", x); }
  }

  // ------------------------------------------------------------------ keys and clicks

  document.addEventListener("click", (e) => {
    const n = e.target.closest ? e.target.closest(".num") : null;
    if (n && !n.matches("input")) openPopup(n);
  });
  document.addEventListener("keydown", (e) => {
    const target = e.target;
    if (e.key === "Escape" && !document.getElementById("popup").hidden) { closePopup(); return; }
    if ((e.key === "Enter" || e.key === " ") && target.classList && target.classList.contains("num") && target.tagName.toLowerCase() === "text") {
      e.preventDefault();
      openPopup(target);
      return;
    }
    const typing = target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable;
    if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
    const moves = { ArrowRight: () => go(state.t + 1), ArrowLeft: () => go(state.t - 1), Home: () => go(1), End: () => go(T) };
    if (moves[e.key]) { e.preventDefault(); moves[e.key](); }
  });

  // For tests and scripts: the page's engine and state, read-only in spirit.
  window.rnntrace = {
    run: (inputs, params) => runNetwork(inputs || D.inputs, params || ORIGINAL_PARAMS),
    data: D,
    go: go,
    step: () => state.t,
    pyRepr: pyRepr,
  };

  build();
  document.body.dataset.ready = "true";   // drawn: for scripts and tests that wait for it
}).catch(function (error) {
  document.getElementById("app").textContent = "This page could not be drawn: " + error;
  throw error;
});
