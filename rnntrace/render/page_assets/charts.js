// rnntrace page, module "charts": every quantity over time, one small chart per row.
// Interface (the rest of the page reaches the charts only through it):
//   rnnCharts.draw(page, box, series, t)   fills box with the charts
//     series(layerIndex, path) → {size, data}: the values shown, step after step, in one
//       Float64Array of T × size (NaN where a value is past float64's range)
//     page: as for rnnFigure (figure.js), plus page.go(t) (show step t) and page.T
//   rnnCharts.mark(box, t)                 moves every chart's marker to step t
//   rnnCharts.columns(values, T, W)        the min/max of each of W pixel columns
//   rnnCharts.ticks(T)                     the steps the step axis marks
// A chart is drawn at its pixel width: a long run's T values are reduced to the lowest
// and highest value in each pixel column (what a line through all of them would
// cover), so drawing and editing cost W points per line whatever T is.
"use strict";
const rnnCharts = (function () {
  const W = 600, H = 46, LEFT = 4;

  // x of step t (from 1) in a chart of T steps
  function sx(t, T) { return T === 1 ? W / 2 : ((t - 1) / (T - 1)) * (W - 2 * LEFT) + LEFT; }

  // values: one number (or null) per step. Returns [x, lo, hi] per pixel column that
  // holds a finite value: the column's lowest and highest value.
  function columns(values, T, width) {
    const out = [];
    let col = -1, lo = 0, hi = 0, any = false;
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      const c = Math.round(sx(k + 1, T) * width / W);
      if (c !== col) {
        if (any) out.push([col * W / width, lo, hi]);
        col = c; any = false;
      }
      if (v === null || !Number.isFinite(v)) continue;
      if (!any) { lo = hi = v; any = true; } else { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
    if (any) out.push([col * W / width, lo, hi]);
    return out;
  }

  // Steps worth a tick: every step up to 20, else a round spacing (1, 2, 5 × 10^k)
  // giving at most about 10 ticks, always with the first and the last step.
  function ticks(T) {
    if (T <= 20) return Array.from({ length: T }, (_, k) => k + 1);
    const raw = T / 10, p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw);
    const out = [1];
    for (let t = step; t < T; t += step) if (t - out[out.length - 1] >= step / 2) out.push(t);
    if (T - out[out.length - 1] < step / 2) out.pop();
    out.push(T);
    return out;
  }

  // The step axis, under every layer's charts (the same columns, so the same x for a step).
  function axis(page, T) {
    const { el, svg } = page;
    const pic = svg("svg", { viewBox: `0 0 ${W} 8`, preserveAspectRatio: "none", "class": "axis", "aria-hidden": "true" });
    const labels = el("div", { "class": "axis-labels", "aria-hidden": "true" });
    for (const t of ticks(T)) {
      pic.append(svg("line", { x1: sx(t, T), x2: sx(t, T), y1: 0, y2: 8, "class": "tick" }));
      labels.append(el("span", { style: `left: ${(sx(t, T) / W * 100).toFixed(3)}%`, text: String(t) }));
    }
    return el("tr", { "class": "axis-row" }, el("th", { scope: "row", text: "step" }), el("td", { "class": "range" }),
      el("td", { "class": "pic" }, pic, labels));
  }

  // columns() of every unit at once, from a series stored step after step (data: T ×
  // units numbers, NaN where a step has none): one pass, no array per step or unit.
  function columnsOfUnits(data, units, T, width) {
    const out = [];
    for (let u = 0; u < units; u++) out.push([]);
    const lo = new Float64Array(units), hi = new Float64Array(units), any = new Uint8Array(units);
    let col = -1;
    const flush = () => { for (let u = 0; u < units; u++) if (any[u]) out[u].push([col * W / width, lo[u], hi[u]]); any.fill(0); };
    for (let k = 0, at = 0; k < T; k++, at += units) {
      const c = Math.round(sx(k + 1, T) * width / W);
      if (c !== col) { if (col >= 0) flush(); col = c; }
      for (let u = 0; u < units; u++) {
        const a = data[at + u];
        if (!Number.isFinite(a)) continue;
        if (!any[u]) { lo[u] = hi[u] = a; any[u] = 1; } else { if (a < lo[u]) lo[u] = a; if (a > hi[u]) hi[u] = a; }
      }
    }
    if (col >= 0) flush();
    return out;
  }

  function draw(page, box, series, t) {
    const { el, svg, show, data, T } = page;
    box.textContent = "";
    box.append(el("h2", { text: "Every quantity over time" }),
      el("p", { "class": "note", text: "One row per quantity, steps from left to right on one axis for every layer; gates on 0 … 1, other rows between their own lowest and highest value (written beside them). A dot is a step; the orange line is the current step. Hover over a chart, or focus it, for its values; click to go to a step." }));
    const dots = T <= 60;
    data.layers.forEach((desc, i) => {
      const rows = page.quantities(desc).filter((q) => q.kind !== "memory" && !page.isMasked(`${desc.name}.${q.path}`));
      const caption = el("caption", {}, el("span", { text: desc.name }));
      const table = el("table", { "class": "chart" }, caption);
      let most = 0;
      for (const q of rows) {
        const { size: units, data: s } = series(i, q.path);
        most = Math.max(most, units);
        const perUnit = columnsOfUnits(s, units, T, W);
        let lo = Infinity, hi = -Infinity;
        for (const cols of perUnit) for (const [, a, b] of cols) { if (a < lo) lo = a; if (b > hi) hi = b; }
        if (q.kind === "gate") { lo = 0; hi = 1; }
        if (!(lo < hi)) { lo = (Number.isFinite(lo) ? lo : 0) - 1; hi = lo + 2; }
        const sy = (v) => H - 4 - ((v - lo) / (hi - lo)) * (H - 8);
        const pic = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", "class": "spark", role: "img", tabindex: "0",
                                 "aria-label": `${desc.name}.${q.path} over ${T} steps, from ${show(lo)} to ${show(hi)}` });
        const r1 = (v) => Math.round(v * 10) / 10;    // a tenth of a pixel is all a chart shows
        // in tenths of a unit, drawn scaled by 0.1: whole numbers are written many times
        // faster than fractions, and a tenth of a pixel is all a chart shows
        const r10 = (v) => Math.round(v * 10);
        perUnit.forEach((cols, u) => {
          // a line through the columns, each column's span as a vertical stroke
          let d = "";
          for (let k = 0; k < cols.length; k++) {
            const [x, a, b] = cols[k];
            d += (k ? "L" : "M") + r10(x) + " " + r10(sy(a));
            if (b !== a) d += "V" + r10(sy(b));
          }
          pic.append(svg("path", { d: d, transform: "scale(0.1)", "class": `series s${u % 6}` }));
          if (dots) {
            // a dot per step: a zero-length stroke with round caps stays round in the stretched chart
            let dd = "";
            for (let k = 0; k < T; k++) { const a = s[k * units + u]; if (Number.isFinite(a)) dd += `M${r1(sx(k + 1, T))} ${r1(sy(a))}h0`; }
            pic.append(svg("path", { d: dd, "class": `dots s${u % 6}` }));
          }
        });
        pic.append(svg("line", { "class": "marker", x1: sx(t, T), x2: sx(t, T), y1: 0, y2: H }));
        const hover = svg("line", { "class": "hover", x1: 0, x2: 0, y1: 0, y2: H, visibility: "hidden" });
        pic.append(hover);
        const value = el("td", { "class": "range" }, `${show(lo)} … ${show(hi)}`);
        const valueAt = (k) => {   // the values of step k, with the units' names when several
          const v = Array.from(s.subarray((k - 1) * units, k * units));
          const names = desc.units && desc.units.length === v.length ? desc.units : null;
          return `step ${k}: ` + v.map((a, u) => (v.length > 1 ? (names ? names[u] : u + 1) + " " : "") + (Number.isFinite(a) ? show(a) : "overflow")).join(", ");
        };
        const stepAt = (e) => { const r = pic.getBoundingClientRect(); return Math.min(T, Math.max(1, Math.round(((e.clientX - r.left) / r.width * W - LEFT) / (W - 2 * LEFT) * (T - 1)) + 1)); };
        const showStep = (k) => {
          value.textContent = valueAt(k);
          value.classList.add("reading");
          hover.setAttribute("x1", sx(k, T)); hover.setAttribute("x2", sx(k, T)); hover.setAttribute("visibility", "visible");
        };
        const hide = () => { value.textContent = `${show(lo)} … ${show(hi)}`; value.classList.remove("reading"); hover.setAttribute("visibility", "hidden"); };
        pic.addEventListener("mousemove", (e) => showStep(T === 1 ? 1 : stepAt(e)));
        pic.addEventListener("mouseleave", hide);
        pic.addEventListener("focus", () => showStep(+(box.dataset.current || t)));
        pic.addEventListener("blur", hide);
        pic.addEventListener("keydown", (e) => { if (e.key === "Enter") page.go(+(box.dataset.current || t)); });
        pic.addEventListener("click", (e) => page.go(T === 1 ? 1 : stepAt(e)));
        table.append(el("tr", {}, el("th", { scope: "row", text: q.label }), value, el("td", { "class": "pic" }, pic)));
      }
      if (most > 1) {      // the legend of units: which colour is which unit
        const legend = el("span", { "class": "units" }, " units: ");
        for (let u = 0; u < most; u++) {
          const name = desc.units && desc.units.length === most ? desc.units[u] : String(u + 1);
          legend.append(el("span", { "class": `unit-key k${u % 6}` }, el("span", { "class": "chip", "aria-hidden": "true" }), name), " ");
        }
        caption.append(legend);
      }
      table.append(axis(page, T));
      box.append(el("div", { "class": "scroll" }, table));
    });
    box.dataset.steps = String(T);
    box.dataset.current = String(t);
  }

  function mark(box, t) {
    box.dataset.current = String(t);
    const x = sx(t, +box.dataset.steps);
    for (const m of box.querySelectorAll("line.marker")) { m.setAttribute("x1", x); m.setAttribute("x2", x); }
  }

  return { draw, mark, columns, columnsOfUnits, ticks };
})();
if (typeof module === "object" && module.exports) module.exports = rnnCharts;
