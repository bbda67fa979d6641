// rnntrace page, module "figure": the drawing of a layer at one step, and the network
// unrolled over time. The layout is not made here: Python lays every figure out once
// (rnntrace/render/figure.py) and puts it in the data block as `figures` (docs/page.md):
// boxes with their rectangles, operator nodes (×, +, 1 − u), arrows with their routed
// points and the weights they carry. This module only draws that layout and fills in
// the numbers of the step shown (the trace's, or the edited network's).
//
//   rnnFigure.layer(page, desc, layerIndex, record, x, xPath, t) → an Element
//     desc        the layer's description (data.layers[layerIndex], docs/layers.md)
//     record      a Map: quantity path ("c", "gates.input_gate.a", "forward.h") → vector
//     x, xPath    the vector the layer reads and its path ("x", or "<below>.<output>")
//     t           the step, from 1
//   rnnFigure.unrolled(page, steps, t) → an Element: x_1 … x_T → the layers → y, step t lit
//     steps       per step {x, layers: [Map]} (what the page shows)
//   rnnFigure.legend(page) → an Element: what the colours and shapes mean
//   page: page.data, page.el, page.svg, page.show, page.numberAttrs, page.isMasked,
//         page.go(t), and (optional) page.weight(layerName, weightName) → its current
//         value, page.editor(paramName, label) → an entry that edits it (docs/page.md)
// A number drawn with numberAttrs opens its popup on a click or Enter (the page listens
// on the document); clicking or focusing a number here also lights what it was
// computed from: the arrows into its box and the boxes they come from (through ×, +).
"use strict";
const rnnFigure = (function () {
  const MAX_ROWS = 4, HEAD = 20, LINE = 16, PAD = 8;
  let uid = 0;
  // The weight whose editor is open beside the drawing ({layer, name}), and the entry
  // to focus again once an edit has redrawn the step.
  let open = null, refocus = null;

  function setOpen(page, layer, name) {
    open = { layer, name };
    const sec = document.querySelector(`[data-figure-layer="${CSS.escape(layer)}"]`);
    if (sec) {
      const old = sec.querySelector(".weight-edit");
      const panel = weightPanel(page, layer);
      if (old) old.replaceWith(panel); else sec.append(panel);
      const first = panel.querySelector("input");
      if (first) first.focus();
    }
  }

  // The open weight's entries, next to the drawing: edit one, press Enter, and the
  // page recomputes (the same entries as the weights' list further down).
  function weightPanel(page, layer) {
    const el = page.el;
    if (!open || open.layer !== layer || !page.editor) return el("div", { "class": "weight-edit", hidden: true });
    const full = `${layer}.${open.name}`;
    const w = page.weight(layer, open.name);
    const rows = Array.isArray(w[0]) ? w : [w];
    const table = el("table", { "class": "matrix" });
    rows.forEach((row, i) => {
      const tr = el("tr");
      row.forEach((_, j) => {
        const name = Array.isArray(w[0]) ? `${full}[${i}][${j}]` : `${full}[${j}]`;
        const input = page.editor(name, `${name} (beside the drawing)`);
        input.removeAttribute("data-param");       // the list below holds the page's own entries
        input.dataset.weight = name;
        input.addEventListener("focus", () => { refocus = name; });
        input.addEventListener("change", () => {
          const twin = document.querySelector(`input[data-param="${CSS.escape(name)}"]`);
          if (twin) twin.value = input.value;
        }, { capture: true });
        tr.append(el("td", {}, input));
      });
      table.append(tr);
    });
    const close = el("button", { type: "button", "class": "close-weight", "aria-label": "close the weight's editor", text: "×",
      onclick: () => { open = null; refocus = null; const p = document.querySelector(".weight-edit:not([hidden])"); if (p) p.hidden = true; } });
    const panel = el("div", { "class": "weight-edit", role: "group", "aria-label": `edit ${full}` },
      el("p", {}, el("strong", { text: full }), " — change an entry and press Enter; every number is recomputed (reset: the button at the top). ", close),
      el("div", { "class": "scroll" }, table));
    if (refocus) {
      const again = refocus;
      setTimeout(() => { const n = panel.querySelector(`input[data-weight="${CSS.escape(again)}"]`); if (n && document.body.contains(n)) n.focus(); }, 0);
    }
    return panel;
  }

  function subscript(n) { return String(n).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[+d]); }

  // A weight as its arrow's tooltip says it: its name and its values (rounded).
  function weightText(page, layer, name) {
    const w = page.weight ? page.weight(layer, name) : null;
    if (w === null || w === undefined) return `${layer}.${name}`;
    const rows = Array.isArray(w[0]) ? w : [w];
    const text = rows.slice(0, 6).map((r) => "[" + r.slice(0, 8).map((v) => page.show(v)).join(", ") + (r.length > 8 ? ", …" : "") + "]").join("\n");
    return `${layer}.${name} =\n${text}${rows.length > 6 ? "\n…" : ""}\n(click to edit)`;
  }

  // Light what node id was computed from: the arrows into it and their sources, through
  // operator nodes and function boxes (h(c)) down to the quantities.
  function light(root, fig, id) {
    for (const e of root.querySelectorAll(".lit")) e.classList.remove("lit");
    const into = {};
    fig.edges.forEach((e, k) => { if (e.kind === "flow") (into[e.to] = into[e.to] || []).push(k); });
    const byId = {};
    for (const n of fig.nodes) byId[n.id] = n;
    const seen = new Set([id]);
    const todo = [id];
    const mark = (sel) => { const n = root.querySelector(sel); if (n) n.classList.add("lit"); };
    mark(`[data-node="${CSS.escape(id)}"]`);
    while (todo.length) {
      const cur = todo.pop();
      for (const k of into[cur] || []) {
        mark(`[data-edge="${k}"]`);
        const src = fig.edges[k].from;
        mark(`[data-node="${CSS.escape(src)}"]`);
        const n = byId[src];
        if (!seen.has(src) && n && (n.kind === "op" || n.apply)) { seen.add(src); todo.push(src); }
      }
    }
  }

  function arrowDefs(page, id) {
    const S = page.svg;
    const mk = (name, cls) => S("marker", { id: name, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "9", markerHeight: "9",
      orient: "auto-start-reverse", markerUnits: "userSpaceOnUse" }, S("path", { d: "M 0 0 L 10 5 L 0 10 z", "class": cls }));
    return S("defs", {}, mk(`arrow-f${id}`, "arrowhead"), mk(`arrow-c${id}`, "arrowhead copyhead"));
  }

  function pathD(points) { return "M " + points.map((p) => `${p[0]} ${p[1]}`).join(" L "); }

  function drawEdges(page, root, fig, id, layerName) {
    const S = page.svg;
    const g = S("g", { "class": "edges" });
    fig.edges.forEach((e, k) => {
      if (!e) return;
      const cls = e.kind === "copy" ? "copy" : "flow";
      const ge = S("g", { "class": `edge ${cls}`, "data-edge": String(k), "data-from": e.from, "data-to": e.to });
      ge.append(S("path", { d: pathD(e.points), "class": "line", "marker-end": `url(#arrow-${e.kind === "copy" ? "c" : "f"}${id})` }));
      // a wide invisible twin: the arrow is easy to hover, and its weight to click
      const hit = S("path", { d: pathD(e.points), "class": "hit" });
      if (e.weight && layerName) {
        hit.append(S("title", {}, weightText(page, layerName, e.weight)));
        hit.addEventListener("click", () => setOpen(page, layerName, e.weight));
      } else if (e.kind === "copy") {
        hit.append(S("title", {}, "copied into memory: read at the next step"));
      }
      ge.append(hit);
      if (e.label_at && e.text) {
        const [lx, ly, w, h] = e.label_at;
        const label = S("text", { x: lx + 2, y: ly + h - 3, "class": "wlabel" }, e.text);
        if (e.weight && layerName) {
          label.setAttribute("tabindex", "0");
          label.setAttribute("role", "button");
          label.setAttribute("aria-label", `weight ${layerName}.${e.weight}: edit it`);
          label.append(S("title", {}, weightText(page, layerName, e.weight)));
          const go = () => setOpen(page, layerName, e.weight);
          label.addEventListener("click", go);
          label.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(); } });
        }
        ge.append(label);
      }
      g.append(ge);
    });
    root.append(g);
  }

  function layer(page, desc, layerIndex, record, x, xPath, t) {
    const S = page.svg, el = page.el;
    const fig = page.data.figures.layers[layerIndex];
    const id = "f" + (uid++);
    const root = S("svg", { viewBox: `0 0 ${fig.width} ${fig.height}`, width: fig.width, height: fig.height,
      "class": "net fig", role: "group", "aria-label": `${desc.name} at step ${t}` });
    root.append(arrowDefs(page, id));
    drawEdges(page, root, fig, id, desc.name);
    const byId = {};
    for (const n of fig.nodes) byId[n.id] = n;
    const valuesOf = (n) => {
      if (n.path === "x") return x;
      if (n.apply) {
        const of = byId[n.of];
        if (!of || !of.path) return null;        // f of an operation (a clipped value): not shown
        const v = of.path === "x" ? x : record.get(of.path.slice(desc.name.length + 1));
        if (!v || v.some((a) => a === null)) return null;
        try { return rnnEngine.activate(n.apply, v); } catch (err) { return null; }
      }
      if (!n.path) return null;
      return record.get(n.path.slice(desc.name.length + 1));
    };
    for (const n of fig.nodes) {
      const g = S("g", { "class": `node kind-${n.role}${n.kind === "op" ? " op" : ""}`, "data-node": n.id,
                         transform: `translate(${n.x} ${n.y})` });
      if (n.kind === "op") {
        const r = n.w / 2;
        g.append(S("title", {}, n.title || n.label));
        g.append(S("circle", { cx: r, cy: r, r: r }));
        g.append(S("text", { x: r, y: r + 5, "text-anchor": "middle", "class": "oplabel" }, n.label));
        root.append(g);
        continue;
      }
      g.append(S("rect", { width: n.w, height: n.h, rx: n.role === "gate" ? 12 : 4 }));
      if (n.role === "gate") {
        const v = valuesOf(n);
        const open = v && v.length && v[0] !== null ? Math.min(1, Math.max(0, v[0])) : 0;
        // how open the gate is: the shade's opacity is its value (at most 0.5, so that
        // the numbers stay readable on a wide-open gate)
        g.append(S("rect", { "class": "shade", width: n.w, height: n.h, rx: 12, "fill-opacity": (0.5 * open).toFixed(3) }));
      }
      g.append(S("title", {}, n.title ? `${n.label}: ${n.title}` : n.label));
      g.append(S("text", { x: PAD, y: 15, "class": "label" }, n.label));
      const v = valuesOf(n);
      const full = n.path === "x" ? xPath : n.path;
      (v || []).slice(0, MAX_ROWS).forEach((value, u) => {
        const ty = HEAD + LINE * u + 12;
        if (v.length > 1 && n.units && n.units[u] !== undefined) g.append(S("text", { x: PAD, y: ty, "class": "unit" }, n.units[u]));
        if (!n.path || n.apply) {          // h(c): computed in the drawing, not a quantity of the trace
          const of = byId[n.of];
          if (of && of.path && page.isMasked(of.path === "x" ? xPath : of.path)) {   // practice: it would give c away
            g.append(S("text", { x: n.w - PAD, y: ty, "text-anchor": "end", "class": "asked" }, "?"));
            return;
          }
          g.append(S("text", { x: n.w - PAD, y: ty, "text-anchor": "end", "class": "derived" }, page.show(value)));
          return;
        }
        if (page.isMasked(full)) {
          g.append(S("text", { x: n.w - PAD, y: ty, "text-anchor": "end", "class": "asked" }, "?"));
          return;
        }
        const unit = v.length > 1 ? u : null;
        const a = page.numberAttrs(full, t, unit, value);
        Object.assign(a, { x: n.w - PAD, y: ty, "text-anchor": "end", tabindex: "0", role: "button",
          "aria-label": `${full}${unit === null ? "" : "[" + (u + 1) + "]"} at step ${t}: ${page.show(value)}` });
        g.append(S("text", a, page.show(value)));
      });
      if (v && v.length > MAX_ROWS) g.append(S("text", { x: PAD, y: HEAD + LINE * MAX_ROWS + 12, "class": "unit" }, `+${v.length - MAX_ROWS} more`));
      root.append(g);
    }
    const lightFrom = (ev) => {
      const g = ev.target.closest ? ev.target.closest("[data-node]") : null;
      if (g) light(root, fig, g.dataset.node);
    };
    root.addEventListener("click", lightFrom);
    root.addEventListener("focusin", lightFrom);
    const wrap = el("div", { "class": "diagram", "data-figure-layer": desc.name }, el("div", { "class": "figure-box" }, root));
    if ((desc.memory || []).length || desc.forward)
      wrap.append(el("p", { "class": "note", text: "Dashed: copied into memory for the next step. Click a number to light up what it was computed from; hover over an arrow for its weight, click the weight's name to edit it." }));
    wrap.append(weightPanel(page, desc.name));
    return wrap;
  }

  // The lecture's slot-filling picture: a window of steps side by side.
  function unrolled(page, steps, t) {
    const S = page.svg, el = page.el, D = page.data;
    const un = D.figures.unrolled;
    const T = steps.length;
    // as many columns as the screen holds at 80 % of their size or more (a phone: two or three)
    const first = un.nodes.filter((n) => n.column === 0)[0];
    const second = un.nodes.filter((n) => n.column === 1)[0];
    const pitch = second ? second.x - first.x : first.w;
    const room = (document.getElementById("app") || document.body).clientWidth || 1000;
    const fits = Math.floor((room / 0.8 - first.x - first.w - 40) / pitch) + 1;
    const cols = Math.max(Math.min(2, un.columns), Math.min(un.columns, fits));
    const width = cols === un.columns ? un.width : first.x + (cols - 1) * pitch + first.w + 40;
    let t0 = t - Math.floor(cols / 2);
    t0 = Math.max(1, Math.min(t0, T - cols + 1));
    const id = "u" + (uid++);
    const root = S("svg", { viewBox: `0 0 ${width} ${un.height}`, width: width, height: un.height, "class": "net unrolled",
      role: "group", "aria-label": `the network over steps ${t0} to ${t0 + cols - 1}, step ${t} lit` });
    root.append(arrowDefs(page, id));
    // the current step's column, lit
    const col = un.nodes.filter((n) => n.column === t - t0);
    if (col.length) {
      const top = Math.min(...col.map((n) => n.y)) - 8, bottom = Math.max(...col.map((n) => n.y + n.h)) + 8;
      root.append(S("rect", { "class": "now", x: col[0].x - 8, y: top, width: col[0].w + 16, height: bottom - top, rx: 6 }));
    }
    const shown = (nid) => +nid.slice(nid.lastIndexOf("@") + 1) < cols;
    drawEdges(page, root, { nodes: un.nodes, edges: un.edges.map((e) => (shown(e.from) && shown(e.to) ? e : null)) }, id, null);
    for (const row of un.rows) root.append(S("text", { x: row.x, y: row.y + 5, "class": "label rowlabel" }, row.label));
    for (const n of un.nodes) {
      if (n.column >= cols) continue;
      const step = t0 + n.column;
      const s = steps[step - 1];
      let v;
      if (n.path === "x") v = s.x;
      else {
        v = s.layers[n.layer].get(n.path.slice(D.layers[n.layer].name.length + 1));
      }
      const tokens = D.tokens ? D.tokens[step - 1] : null;
      const head = n.row === "x" ? (tokens !== undefined && tokens !== null ? tokens : "x" + subscript(step))
        : (n.role === "output" ? "y" : n.path.slice(n.path.lastIndexOf(".") + 1)) + subscript(step);   // e₂, h₂, y₂
      const g = S("g", { "class": `node kind-${n.role} step-node${step === t ? " current" : ""}`, transform: `translate(${n.x} ${n.y})`,
        "data-step": String(step), tabindex: "0", role: "button", "aria-label": `go to step ${step}` });
      g.append(S("rect", { width: n.w, height: n.h, rx: 4 }));
      g.append(S("text", { x: PAD, y: 15, "class": "label" }, head));
      const hidden = n.path !== "x" && page.isMasked(n.path);     // practice: asked, not shown
      (v || []).slice(0, 3).forEach((value, u) => g.append(S("text", { x: n.w - PAD, y: HEAD + LINE * u + 12, "text-anchor": "end",
        "class": hidden ? "asked" : "derived" }, hidden ? "?" : page.show(value))));
      if (v && v.length > 3) g.append(S("text", { x: PAD, y: HEAD + LINE * 3 + 12, "class": "unit" }, `+${v.length - 3} more`));
      g.addEventListener("click", () => page.go(step));
      g.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); page.go(step); } });
      root.append(g);
    }
    return el("section", { "class": "over-time", "aria-label": "the network over time" },
      el("h2", { text: "Over time: the same weights at every step" }),
      el("div", { "class": "figure-box" }, root),
      el("p", { "class": "note", text: `Steps ${t0} to ${t0 + cols - 1} of ${T}; step ${t} is lit. Each column is the whole network at one step; the dashed arrows carry the memory to the next step${D.layers.some((d) => d.backward) ? " (to the previous one for a backward direction, which reads x_T … x_1)" : ""}. Click a column to go to its step.` }));
  }

  function legend(page) {
    const el = page.el, S = page.svg;
    const box = el("div", { "class": "legend-box", role: "list", "aria-label": "what the colours mean" });
    const kinds = page.data.figures.kinds;
    const words = { pre: "weighted sum z, before its function", gate: "gate σ(·), between 0 (closed) and 1 (open)",
      state: "value", output: "the layer's output", memory: "memory: last step's value" };
    for (const [kind, name] of kinds) {
      box.append(el("span", { "class": "legend-item", role: "listitem" },
        S("svg", { width: 26, height: 16, "class": "net swatch", "aria-hidden": "true" },
          S("g", { "class": `node kind-${kind}` }, S("rect", { x: 1, y: 1, width: 24, height: 14, rx: kind === "gate" ? 6 : 3 }))),
        el("span", { text: words[kind] || name })));
    }
    box.append(el("span", { "class": "legend-item", role: "listitem" },
      S("svg", { width: 20, height: 20, "class": "net swatch", "aria-hidden": "true" },
        S("g", { "class": "node op" }, S("circle", { cx: 10, cy: 10, r: 9 }), S("text", { x: 10, y: 14, "text-anchor": "middle", "class": "oplabel" }, "×"))),
      el("span", { text: "× multiplies, + adds, 1−u subtracts from 1" })));
    return box;
  }

  // What the page is and how to read it, in a few lines.
  function intro(page) {
    const D = page.data, el = page.el;
    // a layer's own words on how to read its figure (an LSTM's), once each
    const readings = [...new Set(D.layers.flatMap((d) => [d, d.forward, d.backward]).filter((d) => d && d.reading)
      .map((d) => d.reading))];
    const lines = [
      `This page runs the network one step at a time and shows every number it computes. ` +
      `At the top, the network over time: each column is one step, from the input x at the bottom to the output y, ` +
      `with the same weights at every step. Below, each layer at the current step, drawn as the lecture draws it: ` +
      `the input at the bottom, a box for each quantity, arrows from what a formula reads to what it computes.`,
    ];
    lines.push(...readings);
    lines.push("Step with the buttons or the ← → keys. Click a number for its arithmetic and to light up what it was computed from; " +
      "click a weight's name on an arrow to change it and see what changes.");
    return el("section", { "class": "intro", "aria-label": "how to read this page" }, ...lines.map((t) => el("p", { text: t })));
  }

  return { layer, unrolled, legend, light, intro };
})();
if (typeof module === "object" && module.exports) module.exports = rnnFigure;
