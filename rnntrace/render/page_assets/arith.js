// rnntrace page, module "arith": the arithmetic of one layer at one step, written in the
// page from the layer's description (its `compute` formulas, labels and formulas) and
// the values the page shows — so after a what-if edit it is the edited network's. For
// the values of a run it is the text of `run --explain` (rnntrace/render/explain.py);
// tests/test_page_node.py holds the two equal on every bundled example and on random
// networks. No DOM: it runs in the page and under Node.
//   rnnArith.lines(desc, record, x, opts) → [{lhs, rhs, at: ["path|unit", …]}]
//     record: Map path → vector (the layer at this step); x: the vector it read
//     opts: {precision, dtype ("float64"), symbols ({sigmoid: "σ", …}), labels (the
//           dense units are labels: z[destination]), params (the layer's weights, a Map
//           name → array as rnnEngine.params gives them; else the description's own)}
//     at: the quantities (path and unit, from 0) whose arithmetic the line is
//   rnnArith.text(line) → "lhs = rhs", as one line of --explain
//   rnnArith.memory(desc, record, t, T, precision) → Map read path → one line per unit
//   rnnArith.mostLikely(labels, y) → "destination", or "a tie between yes and no"
"use strict";
const rnnArith = (function () {
  const F = typeof rnnFormat !== "undefined" ? rnnFormat : require("./format.js");
  const WIDE = 6;     // above this many inputs (memory included), zero inputs are left out

  const arrowOf = { forward: "→", backward: "←" };

  function mostLikely(labels, y) {
    let best = [];
    let top = -Infinity;
    for (const v of y) if (!Number.isNaN(v) && v > top) top = v;
    y.forEach((v, u) => { if (v === top) best.push(String(labels[u])); });
    if (best.length > 1) return `a tie between ${best.slice(0, -1).join(", ")} and ${best[best.length - 1]}`;
    return best.length ? best[0] : "";
  }

  // what a memory or input is called in a wide layer's tags: (x3), (h1), (y2)
  const tagName = (path) => path.replace(/_prev$/, "");

  function lines(desc, record, x, opts, prefix) {
    prefix = prefix || "";
    if (desc.forward && desc.backward) return bidirectional(desc, record, x, opts);
    const P = opts.precision;
    const num = { operand: (v) => F.operand(v, P), result: (v) => F.result(v, P), plain: (v) => F.plain(v, P) };
    const get = (path) => (path === "x" ? x : record.get(path));
    const own_ = desc.parameters || {};
    const weight = (name) => (opts.params ? opts.params.get(prefix + name) : own_[name]);
    const quantities = desc.quantities;
    const applied = new Map();    // z path → the quantity applying a function to it
    for (const q of quantities) if (q.compute && q.compute.op === "apply" && typeof q.compute.of === "string") applied.set(q.compute.of, q);
    const memoryReads = new Set((desc.memory || []).map((m) => m.read));
    // how many inputs the layer has, its memory read by a weight matrix counted
    let inputs = x.length;
    const counted = new Set();
    const countMemory = (of) => {
      if (typeof of === "string") { if (memoryReads.has(of) && !counted.has(of)) { counted.add(of); inputs += get(of).length; } }
      else if (of && of.product) of.product.forEach(countMemory);
    };
    const visitTerms = (terms) => { for (const t of terms) { if (t.weight && !t.elementwise) countMemory(t.of); if (t.terms) visitTerms(t.terms); } };
    for (const q of quantities) if (q.compute && q.compute.op === "affine") visitTerms(q.compute.terms);
    const wide = inputs > WIDE;
    let dropped = 0;
    const symbols = opts.symbols || {};

    function products(v, W, name) {
      const out = [];
      v.forEach((a, j) => {
        if (wide && a === 0) { dropped++; return; }
        out.push(`${num.operand(a)}·${num.operand(W[j])}${wide ? ` (${name}${j + 1})` : ""}`);
      });
      return out;
    }

    function termsText(terms, u) {
      const parts = [];
      for (const term of terms) {
        if (term.bias !== undefined) parts.push(`1·${num.operand(weight(term.bias)[u])}`);
        else if (term.gated !== undefined) {
          const inner = termsText(term.terms, u);
          if (inner.length) parts.push(`${num.operand(get(term.gated)[u])}·(${inner.join(" + ")})`);
        } else if (term.elementwise) parts.push(`${num.operand(get(term.of)[u])}·${num.operand(weight(term.weight)[u])}`);
        else if (typeof term.of === "string") parts.push(...products(get(term.of), weight(term.weight)[u], tagName(term.of)));
        else if (term.of.product) {   // (r_j·h_j)·U_j: each memory value times its gate, then the weight
          const vs = term.of.product.map(get);
          weight(term.weight)[u].forEach((w, j) => parts.push(`(${vs.map((v) => num.operand(v[j])).join("·")})·${num.operand(w)}`));
        }
      }
      return parts;
    }

    const total = (parts) => (parts.length ? parts.join(" + ") : "0");

    // " → σ(90) = 1"; σ and tanh only approach 0 and ±1: a note where float64 reached them
    function activation(fn, symbol, z, a, name) {
      if (fn === "linear" && name) return ` → ${name} = ${num.result(a)}`;
      if (fn === "linear" && name === "") return "";
      let text = ` → ${symbol}(${num.plain(z)}) = ${num.result(a)}`;
      if (fn !== "linear" && (fn === "sigmoid" || fn === "tanh") && (a === 0 || a === 1 || a === -1) && z !== 0)
        text += ` (in ${opts.dtype || "float64"})`;
      return text;
    }

    function operandText(op, u) {
      if (typeof op === "string") return num.operand(get(op)[u]);
      if (op.one_minus !== undefined) return `(1 − ${operandText(op.one_minus, u)})`;
      if (op.product !== undefined) return op.product.map((o) => operandText(o, u)).join("·");
      const fn = op.apply || op.function;
      const inner = operandText(op.of, u);
      return fn === "linear" ? inner : `${symbols[fn] || fn}(${inner})`;
    }

    // the quantities in blocks: a quantity that reads a whole vector computed in this step
    // (W·h of a layer's output part, a softmax) starts after every unit of the ones before
    const out = [];
    const size = (q) => (record.get(q.path) || []).length;
    const labelName = (q) => q.label.split(" = ")[0].split(" (")[0];
    const suffix = (n, u) => (opts.labels ? `[${desc.units[u]}]` : n > 1 ? `[${u + 1}]` : "");
    const own = new Set(quantities.map((q) => q.path));
    let block = [];
    const blocks = [block];
    for (const q of quantities) {
      const c = q.compute;
      if (!c) continue;
      const readsWhole = (c.op === "affine" && c.terms.some((t) => t.weight && !t.elementwise && typeof t.of === "string" && own.has(t.of) && !memoryReads.has(t.of)));
      if (readsWhole && block.length) { block = []; blocks.push(block); }
      block.push(q);
    }
    for (const qs of blocks) {
      const n = qs.length ? size(qs[0]) : 0;
      const after = [];
      for (let u = 0; u < n; u++) {
        const s = suffix(n, u);
        for (const q of qs) {
          const c = q.compute;
          if (c.op === "affine") {
            const z = get(q.path)[u];
            const parts = termsText(c.terms, u);
            const f = applied.get(q.path);
            const at = [`${q.path}|${u}`];
            if (!f) { out.push({ lhs: `${q.label}${s}`, rhs: `${total(parts)} = ${num.result(z)}`, at }); continue; }
            const fn = f.compute.function;
            const a = get(f.path)[u];
            if (fn === "softmax") {
              out.push({ lhs: `${q.label}${s}`, rhs: `${total(parts)} = ${num.result(z)}`, at });
              if (u === n - 1) after.push(f);
              continue;
            }
            at.push(`${f.path}|${u}`);
            const m = /^([^ =]+)\((.+)\)$/.exec(f.label);
            if (m && m[2] === q.label) {         // a gate or block: σ(z_i), g(z), tanh(z_n)
              // a linear one written linear(z_n) shows only its result, named as z_n's
              const name = m[1] === "linear" ? q.label.replace(/^z_/, "") : null;
              out.push({ lhs: `${q.label}${s}`, rhs: `${total(parts)} = ${num.result(z)}` + activation(fn, m[1], z, a, name), at });
            } else if (fn === "linear" && labelName(f) === "y") {   // an output that is its own sum
              out.push({ lhs: `y${s}`, rhs: `${total(parts)} = ${num.result(a)}`, at });
            } else {
              out.push({ lhs: `${q.label}${s}`, rhs: `${total(parts)} = ${num.result(z)}` + activation(fn, symbols[fn] || fn, z, a, `${labelName(f)}${s}`), at });
            }
          } else if (c.op === "sum") {
            const v = get(q.path)[u];
            out.push({ lhs: `${q.label}${s}`, rhs: `${q.formula} = ${c.terms.map((t) => operandText(t, u)).join(" + ")} = ${num.result(v)}`,
                       at: [`${q.path}|${u}`] });
          }
        }
      }
      for (const f of after) {        // softmax(z) = [...] → the most likely label
        const y = get(f.path);
        let rhs = `softmax(${f.compute.of === "z" ? "z" : labelOf(quantities, f.compute.of)}) = [` + Array.from(y, num.result).join(", ") + "]";
        if (opts.labels) rhs += ` → ${mostLikely(desc.units, y)}`;
        out.push({ lhs: labelName(f), rhs, at: Array.from(y, (_, u) => `${f.path}|${u}`) });
      }
    }
    // a memory written by f(z) (shown only after its z's arrow) gets a line of its own
    for (const m of desc.memory || []) {
      const q = quantities.find((k) => k.path === m.written);
      if (q && q.compute && q.compute.op === "apply")
        out.push({ lhs: "memory", rhs: `← ${labelName(q)} = [${Array.from(get(m.written), (v) => F.show(v, P)).join(", ")}]`, at: [] });
    }
    if (dropped) {
      out.push({ lhs: "", rhs: "(terms with input 0 left out; (x3) is input x[3], (h1) memory h_prev[1])", at: [] });
    }
    return out;
  }

  function labelOf(quantities, path) {
    const q = quantities.find((k) => k.path === path);
    return q ? q.label : path;
  }

  function bidirectional(desc, record, x, opts) {
    const P = opts.precision;
    const out = [];
    for (const side of ["forward", "backward"]) {
      const sub = new Map();
      for (const [k, v] of record) if (k.startsWith(side + ".")) sub.set(k.slice(side.length + 1), v);
      for (const line of lines(desc[side], sub, x, Object.assign({}, opts, { labels: false }), `${side}.`))
        out.push({ lhs: line.lhs ? `${arrowOf[side]} ${line.lhs}` : arrowOf[side], rhs: line.rhs, at: line.at.map((a) => `${side}.${a}`) });
    }
    const merged = desc.quantities.find((q) => q.compute && q.compute.op === "merge");
    const h = record.get(merged.path);
    const [fp, bp] = merged.compute.of;
    const f = record.get(fp), b = record.get(bp);
    const how = merged.compute.how;
    if (how === "concat") {
      out.push({ lhs: "h", rhs: `concat(h→, h←) = [${Array.from(h, (v) => F.show(v, P)).join(", ")}]`, at: Array.from(h, (_, u) => `${merged.path}|${u}`) });
      return out;
    }
    h.forEach((v, u) => {
      const s = h.length > 1 ? `[${u + 1}]` : "";
      const fo = F.operand(f[u], P), bo = F.operand(b[u], P), r = F.result(v, P);
      const at = [`${merged.path}|${u}`];
      if (how === "mul") out.push({ lhs: `h${s}`, rhs: `h→·h← = ${fo}·${bo} = ${r}`, at });
      else if (how === "sum") out.push({ lhs: `h${s}`, rhs: `h→ + h← = ${fo} + ${bo} = ${r}`, at });
      else out.push({ lhs: `h${s}`, rhs: `(h→ + h←)/2 = (${fo} + ${bo})/2 = ${r}`, at });
    });
    return out;
  }

  // as explain.as_text writes one line
  function text(line) {
    const sep = line.lhs && !line.rhs.startsWith("←") ? "=" : " ";
    return `${line.lhs} ${sep} ${line.rhs}`.replace(/\s+$/, "");
  }

  // What each memory quantity read at step t: "<read> = <written> at step 3 = 6.9998"
  // ("the initial value" at the first step it runs; a backward direction runs from T).
  function memory(desc, record, t, T, P, prefix, out) {
    prefix = prefix || "";
    out = out || new Map();
    for (const side of ["forward", "backward"]) if (desc[side]) memory(desc[side], record, t, T, P, `${prefix}${side}.`, out);
    for (const m of desc.memory || []) {
      const path = prefix + m.read;
      const values = record.get(path);
      if (values === undefined) continue;
      out.set(path, Array.from(values, (v, u) => {
        const s = values.length > 1 ? `[${u + 1}]` : "";
        const vText = v === null ? "overflow" : F.result(v, P);
        let origin;
        if (prefix.startsWith("backward")) origin = t === T ? "the initial value" : `${m.written} at step ${t + 1}`;
        else origin = t === 1 ? "the initial value" : `${m.written} at step ${t - 1}`;
        return `${m.read}${s} = ${origin} = ${vText}`;
      }));
    }
    return out;
  }

  return { lines, text, memory, mostLikely };
})();
if (typeof module === "object" && module.exports) module.exports = rnnArith;
