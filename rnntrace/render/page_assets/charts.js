// rnntrace page, module "charts": every quantity over time, one small chart per row.
// Interface (the rest of the page reaches the charts only through it):
//   rnnCharts.draw(page, box, series, t)   fills box with the charts
//     series(layerIndex, path) → an array over the steps of vectors (the values shown)
//     page: as for rnnFigure (figure.js), plus page.go(t) (show step t) and page.T
//   rnnCharts.mark(box, t)                 moves every chart's marker to step t
//   rnnCharts.columns(values, T, W)        the min/max of each of W pixel columns
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

  function draw(page, box, series, t) {
    const { el, svg, show, data, T } = page;
    box.textContent = "";
    box.append(el("h2", { text: "Every quantity over time" }),
      el("p", { "class": "note", text: "Gates on 0 … 1, other rows between their own lowest and highest value; the line marks the current step. Click a chart to go to a step." }));
    data.layers.forEach((desc, i) => {
      const rows = page.quantities(desc).filter((q) => q.kind !== "memory" && !page.isMasked(`${desc.name}.${q.path}`));
      const table = el("table", { "class": "chart" }, el("caption", { text: desc.name }));
      for (const q of rows) {
        const s = series(i, q.path);
        const units = s.length ? (s[0] || []).length : 0;
        const perUnit = [];
        let lo = Infinity, hi = -Infinity;
        for (let u = 0; u < units; u++) {
          const cols = columns(s.map((v) => (v ? v[u] : null)), T, W);
          perUnit.push(cols);
          for (const [, a, b] of cols) { if (a < lo) lo = a; if (b > hi) hi = b; }
        }
        if (q.kind === "gate") { lo = 0; hi = 1; }
        if (!(lo < hi)) { lo = (Number.isFinite(lo) ? lo : 0) - 1; hi = lo + 2; }
        const sy = (v) => H - 4 - ((v - lo) / (hi - lo)) * (H - 8);
        const pic = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", "class": "spark", role: "img",
                                 "aria-label": `${desc.name}.${q.path} over ${T} steps, from ${show(lo)} to ${show(hi)}` });
        perUnit.forEach((cols, u) => {
          const pts = [];
          for (const [x, a, b] of cols) {
            pts.push(`${x.toFixed(1)},${sy(a).toFixed(1)}`);
            if (b !== a) pts.push(`${x.toFixed(1)},${sy(b).toFixed(1)}`);
          }
          pic.append(svg("polyline", { points: pts.join(" "), "class": `series s${u % 6}` }));
        });
        pic.append(svg("line", { "class": "marker", x1: sx(t, T), x2: sx(t, T), y1: 0, y2: H }));
        pic.addEventListener("click", (e) => {
          const r = pic.getBoundingClientRect();
          page.go(Math.round(((e.clientX - r.left) / r.width) * (T - 1)) + 1);
        });
        table.append(el("tr", {}, el("th", { scope: "row", text: q.label }), el("td", { "class": "range", text: `${show(lo)} … ${show(hi)}` }), el("td", { "class": "pic" }, pic)));
      }
      box.append(el("div", { "class": "scroll" }, table));
    });
    box.dataset.steps = String(T);
  }

  function mark(box, t) {
    const x = sx(t, +box.dataset.steps);
    for (const m of box.querySelectorAll("line.marker")) { m.setAttribute("x1", x); m.setAttribute("x2", x); }
  }

  return { draw, mark, columns };
})();
if (typeof module === "object" && module.exports) module.exports = rnnCharts;
