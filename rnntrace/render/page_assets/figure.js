// rnntrace page, module "figure": the drawing of one layer at one step. This file is the
// whole drawing of the figure; the rest of the page reaches it only through this
// interface (so the drawing can be replaced without touching the other modules):
//
//   rnnFigure.layer(page, desc, layerIndex, record, x, xPath, t) → an Element
//     desc        the layer's description (data.layers[layerIndex], docs/layers.md)
//     record      a Map: quantity path ("c", "gates.input_gate.a", "forward.h") → vector
//                 at step t (what the page shows: the trace, or the edited network's)
//     x, xPath    the vector the layer reads and its path ("x", or "<below>.<output>")
//     t           the step, from 1
//   page: what the figure may use of the page
//     page.data             the data block (docs/page.md)
//     page.el(tag, attrs, ...children), page.svg(tag, attrs, ...children)   DOM helpers
//     page.show(v)          a value as shown (rounded, ≈0, typographic minus)
//     page.numberAttrs(fullPath, t, unit, v)   the attributes of a shown number
//                           (class "num", data-path, data-t, data-unit, data-value);
//                           a number with them is clickable (its popup) and tested
//     page.isMasked(fullPath)   practice: the value is asked, show "?" instead
//     page.quantities(desc)     every quantity of a layer, directions' first (→/← labels)
// A number drawn with numberAttrs and tabindex="0", role="button" opens its popup on a
// click or Enter (the page listens on the document).
"use strict";
const rnnFigure = (function () {
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
  function drawLayer(page, desc, layerIndex, record, x, xPath, t, prefix, namePath) {
    const { el, svg, show, numberAttrs, isMasked } = page;
    // Nested directions (bidirectional) are drawn as their own diagrams above the merge.
    const wrap = el("div", { "class": "diagram" });
    if (desc.forward && desc.backward) {
      for (const [side, arrow] of [["forward", "→ reads x_1 … x_t"], ["backward", "← reads x_T … x_t"]]) {
        const sub = new Map();
        for (const [k, v] of record) if (k.startsWith(side + ".")) sub.set(k.slice(side.length + 1), v);
        wrap.append(el("p", { "class": "side", text: `${side} (${desc[side].type}) ${arrow}` }));
        wrap.append(drawLayer(page, desc[side], layerIndex, sub, x, xPath, t, prefix + side + ".", namePath));
      }
    }
    const { columns, deps, depth } = layout(desc);
    const pos = {};
    const valueOf = (n) => (n.path === "x" ? x : record.get(n.path));
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
        if (v.length > 1) g.append(svg("text", { x: PAD, y: ty, "class": "unit" }, unitName(page.data, n, v, u, desc, xPath)));
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
  function unitName(D, n, v, u, desc, xPath) {
    if (n.path === "x") return xPath === "x" && D.lexicon && D.lexicon.length === v.length ? String(D.lexicon[u]).slice(0, 7) : String(u + 1);
    if (n.kind !== "input" && desc.units && desc.units.length === v.length) return String(desc.units[u]).slice(0, 7);
    return String(u + 1);
  }

  function boxHeight(v) {
    const n = Math.min(v ? v.length : 1, MAX_SHOWN) + (v && v.length > MAX_SHOWN ? 1 : 0);
    return 22 + LINE_H * Math.max(1, n);
  }

  return {
    layer: (page, desc, layerIndex, record, x, xPath, t) => drawLayer(page, desc, layerIndex, record, x, xPath, t, "", desc.name + "."),
  };
})();
