// rnntrace's interactive page, module "page": the state, the step view, the table, the
// weights, practice and the popup. Everything it shows comes from the data block that
// Python wrote (docs/page.md). The modules before it in the one script: format.js
// (rnnFormat: numbers as text), engine.js (rnnEngine: the network from the
// descriptions' formulas), figure.js (rnnFigure: the drawing of a layer), charts.js
// (rnnCharts). Nothing here knows a layer type.
"use strict";
async function rnntraceData() {
  const block = document.getElementById("rnntrace-data");
  if (block.dataset.encoding !== "gzip+base64") return JSON.parse(block.textContent);
  // base64 → bytes with a plain loop (Uint8Array.from with a callback is many times slower)
  const text = atob(block.textContent.trim());
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}
rnntraceData().then(function (D) {
  // The run's steps as the page holds them (docs/page.md, "The values"): per step x, y,
  // the word, each layer's record and label. A long run's values are kept as columns,
  // one Float64Array per quantity (T × size, as the page's engine keeps an edit's run),
  // and a record gives a step's vectors as views into them (rnnEngine.Record); a vector
  // holding a value past float64's range (JSON's null) is a plain array with null there.
  function decodeSteps() {
    if (!D.steps) {      // the steps as the trace writes them
      return D.trace.steps.map((s) => {
        const flat = new Map();
        flattenInto(s, "", flat);
        return stepOf(flat, s.token);
      });
    }
    const P_ = D.steps, n = P_.count;
    // base64 → byte planes (every number's first byte, then every second byte, …) →
    // little-endian float64, with plain loops
    const text = atob(P_.values);
    const N = text.length >> 3;
    const bytes = new Uint8Array(text.length);
    for (let b = 0, i = 0; b < 8; b++) for (let k = 0; k < N; k++, i++) bytes[k * 8 + b] = text.charCodeAt(i);
    const all = new Float64Array(bytes.buffer);
    const width = P_.columns.reduce((w, c) => w + (c[2] === null ? c[1] : 0), 0);
    const cols = new Map();      // "layers.lstm.c" → {size, data}
    const fill = (size, f) => {  // a column from f(t, j), NaN for null
      const data = new Float64Array(n * size);
      for (let t = 0, at = 0; t < n; t++) for (let j = 0; j < size; j++, at++) { const v = f(t, j); data[at] = v === null ? NaN : v; }
      return { size: size, data: data };
    };
    let off = 0;
    for (const [key, size, how] of P_.columns) {
      if (how !== null) continue;
      const o = off;
      cols.set(key, fill(size, (t, j) => all[t * width + o + j]));
      off += size;
    }
    for (const [key, size, how] of P_.columns) {
      if (how === null) continue;
      if (how[0] === "input") { cols.set(key, fill(size, (t, j) => D.inputs[t][j])); continue; }
      const src = cols.get(how[1]);
      cols.set(key, fill(size, (t, j) => {
        const u = t + how[2];
        return u >= 0 && u < n && src ? src.data[u * size + j] : how[3][j];
      }));
    }
    const layerCols = D.layers.map(() => new Map());
    const index = new Map(D.layers.map((d, i) => [d.name, i]));
    for (const [key, c] of cols) {
      if (!key.startsWith("layers.")) continue;
      const rest = key.slice(7), dot = rest.indexOf(".");
      const i = index.get(rest.slice(0, dot));
      if (i !== undefined) layerCols[i].set(rest.slice(dot + 1), c);
    }
    const whole = new Map([["x", cols.get("x")], ["y", cols.get("y")]]);
    const texts = Object.keys(P_.texts);
    const steps = [];
    for (let t = 0; t < n; t++) {
      const own = new rnnEngine.Record(whole, t, true);
      const labels = D.layers.map((d) => {
        const k = `layers.${d.name}.label`;
        return texts.includes(k) ? P_.texts[k][t] : null;
      });
      const token = P_.texts.token ? P_.texts.token[t] : null;
      steps.push({ x: own.get("x"), y: own.get("y"), token: token === undefined ? null : token,
                   layers: layerCols.map((c) => new rnnEngine.Record(c, t, true)), labels: labels });
    }
    steps.columns = layerCols;
    return steps;
  }

  function flattenInto(obj, prefix, out) {
    for (const k of Object.keys(obj)) {
      const v = obj[k];
      if (v && typeof v === "object" && !Array.isArray(v)) flattenInto(v, prefix + k + ".", out);
      else out.set(prefix + k, v);
    }
  }

  // "layers.<name>.<path>" → each layer's Map of its own paths
  function stepOf(flat, token) {
    const layers = D.layers.map(() => new Map());
    const labels = D.layers.map(() => null);
    const index = new Map(D.layers.map((d, i) => [d.name, i]));
    for (const [key, v] of flat) {
      if (!key.startsWith("layers.")) continue;
      const rest = key.slice(7);
      const dot = rest.indexOf(".");
      const i = index.get(rest.slice(0, dot));
      if (i === undefined) continue;
      const path = rest.slice(dot + 1);
      if (path === "label") labels[i] = v;
      else layers[i].set(path, v);
    }
    return { x: flat.get("x"), y: flat.get("y"), token: token === undefined ? null : token, layers, labels };
  }

  const PY = decodeSteps();
  const T = PY.length;
  const P = D.precision;
  const SVGNS = "http://www.w3.org/2000/svg";

  const { pyRepr, pyShort, MINUS } = rnnFormat;
  const show = (v) => rnnFormat.show(v, P);

  function winner(desc, record) {   // the argmax's label, for a layer whose trace names one
    if (!hasLabel(desc)) return null;
    const y = record.get(desc.output);
    let best = 0;
    for (let i = 1; i < y.length; i++) if (y[i] > y[best]) best = i;
    return desc.units[best];
  }

  function hasLabel(desc) {
    return typeof PY[0].labels[D.layers.indexOf(desc)] === "string";
  }

  function runNetwork(inputs, params) {
    const steps = rnnEngine.run(D.layers, inputs, params);
    for (const s of steps) s.labels = D.layers.map((d, i) => winner(d, s.layers[i]));
    return steps;
  }

  // The run's own steps (records are read, never written: they are shared)
  function pythonSteps() {
    const out = PY.map((s) => ({ x: s.x, y: s.y, token: s.token, layers: s.layers, labels: s.labels }));
    out.columns = PY.columns;
    return out;
  }

  const ORIGINAL_PARAMS = rnnEngine.params(D.layers);
  const copy = (v) => JSON.parse(JSON.stringify(v));
  // a deep copy of layer name → Map(weight name → array)
  const copyParams = (ps) => new Map([...ps].map(([k, m]) => [k, new Map([...m].map(([n, w]) => [n, copy(w)]))]));

  // ------------------------------------------------------------------ state

  const state = {
    t: 1,
    steps: pythonSteps(),
    edited: false,
    params: copyParams(ORIGINAL_PARAMS),
    inputs: copy(D.inputs),
    inputsSet: new Set(),   // "i,j" of every input ever edited (for the link)
    answers: new Map(),   // practice: "path|t|unit" → {text, right, tries}
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
    hashWrite();
  }

  function reset() {
    state.params = copyParams(ORIGINAL_PARAMS);
    state.inputs = copy(D.inputs);
    state.inputsSet = new Set();
    state.steps = pythonSteps();
    state.edited = false;
    for (const el of document.querySelectorAll("input[data-param]")) {
      el.value = pyShort(paramValue(el.dataset.param));
      el.removeAttribute("aria-invalid");
    }
    document.getElementById("edited").hidden = true;
    drawStep();
    drawCharts();
    hashWrite();
  }

  // ------------------------------------------------------------------ the link (URL hash)

  // The page's state in its address, so that a link shows the same step with the same
  // edits: "#t=3&w=lstm.input_gate.W%5B0%5D%5B1%5D%3A5" — key=value pairs joined by
  // "&", each value URI-encoded; t: the step; w: the edited weights and inputs as
  // "<data-param>:<value>" joined by ","; a: practice answers, as the browser keeps them
  // (JSON of [key, {text, right, tries}] pairs); any other key is kept as it is.
  function hashRead() {
    const out = new Map();
    for (const part of location.hash.replace(/^#/, "").split("&")) {
      if (!part) continue;
      const eq = part.indexOf("=");
      try { out.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1))); } catch (e) { /* not ours */ }
    }
    return out;
  }

  function edits() {   // every weight or input that differs from the run's
    const out = [];
    for (const [layer, weights] of ORIGINAL_PARAMS) for (const [name, w] of weights) {
      const now = state.params.get(layer).get(name);
      const walk = (a, b, idx) => {
        if (Array.isArray(a)) a.forEach((v, i) => walk(v, b[i], idx + `[${i}]`));
        else if (!Object.is(a, b)) out.push(`${layer}.${name}${idx}:${pyShort(b)}`);
      };
      walk(w, now, "");
    }
    // the inputs ever set (a long run's inputs are not walked), in the spec's order
    const set = [...state.inputsSet].map((k) => k.split(",").map(Number)).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [i, j] of set) {
      if (!Object.is(D.inputs[i][j], state.inputs[i][j])) out.push(`inputs[${i}][${j}]:${pyShort(state.inputs[i][j])}`);
    }
    return out;
  }

  function hashWrite() {
    const h = hashRead();
    h.set("t", String(state.t));
    const w = state.edited ? edits() : [];
    if (w.length) h.set("w", w.join(",")); else h.delete("w");
    if (D.practice) {      // the practice answers, as the browser keeps them (saveAnswers)
      if (state.answers.size) h.set("a", JSON.stringify([...state.answers])); else h.delete("a");
    }
    const text = "#" + [...h].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
    if (text !== location.hash) {
      try { history.replaceState(null, "", text); } catch (e) { /* a page without history */ }
    }
  }

  function hashApply() {   // at load: the step and the edits of the link
    const h = hashRead();
    let edited = false;
    for (const item of (h.get("w") || "").split(",")) {
      const colon = item.lastIndexOf(":");
      if (colon < 0) continue;
      const name = item.slice(0, colon), v = Number(item.slice(colon + 1).replace(MINUS, "-"));
      if (!Number.isFinite(v)) continue;
      try { if (typeof paramValue(name) !== "number") continue; } catch (e) { continue; }
      setParam(name, v);
      edited = true;
    }
    if (edited) {
      for (const input of document.querySelectorAll("input[data-param]")) input.value = pyShort(paramValue(input.dataset.param));
      state.steps = runNetwork(state.inputs, state.params);
      state.edited = true;
      document.getElementById("edited").hidden = false;
    }
    if (D.practice && h.get("a")) {     // a link's answers come before the ones this browser kept
      try {
        const given = JSON.parse(h.get("a"));
        if (Array.isArray(given)) state.answers = new Map(given.filter((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === "string"
          && e[1] && typeof e[1].text === "string"));
      } catch (e) { /* not answers */ }
    }
    const t = parseInt(h.get("t") || "", 10);
    if (Number.isFinite(t)) state.t = Math.min(T, Math.max(1, t));
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


  // A shown number: focusable, clickable, carrying its path, step, unit and exact value.
  function numberAttrs(path, t, unit, v) {
    const exact = pyRepr(v);
    return { "class": "num", "data-path": path, "data-t": String(t), "data-unit": unit === null ? null : String(unit + 1),
             "data-value": exact, "title": v === null ? "overflow" : exact };
  }

  function numButton(path, t, unit, v) {
    const a = numberAttrs(path, t, unit, v);
    a.type = "button";
    a["aria-label"] = `${path}${unit === null ? "" : "[" + (unit + 1) + "]"} at step ${t}: ${show(v)}`;
    return el("button", Object.assign(a, { text: show(v) }));
  }

  // ------------------------------------------------------------------ practice

  // Answers are kept in this browser (localStorage, per page: its title, source, asked
  // quantities and steps), so that a reload keeps them; "clear" forgets them.
  const STORE = D.practice ? "rnntrace-practice|" + JSON.stringify([D.title, D.source, D.practice.ask, T]) : null;

  function loadAnswers() {
    try {
      const saved = STORE && window.localStorage ? JSON.parse(window.localStorage.getItem(STORE) || "[]") : [];
      return new Map(Array.isArray(saved) ? saved : []);
    } catch (e) { return new Map(); }     // storage refused (a private window) or unreadable: start afresh
  }

  function saveAnswers() {
    try { if (STORE && window.localStorage) window.localStorage.setItem(STORE, JSON.stringify([...state.answers])); } catch (e) { /* kept for this visit only */ }
    hashWrite();
  }

  function clearAnswers() {
    state.answers = new Map();
    try { if (STORE && window.localStorage) window.localStorage.removeItem(STORE); } catch (e) { /* nothing kept */ }
    drawStep();
    drawScore();
    hashWrite();
  }

  function blank(path, t, unit, exact) {
    const key = `${path}|${t}|${unit}`;
    const saved = state.answers.get(key);
    const label = `${path}${unit === null ? "" : "[" + (unit + 1) + "]"} at step ${t}`;
    const status = el("span", { "class": "verdict", "aria-live": "polite", id: "v-" + key.replace(/[^\w-]/g, "_") });
    // inputmode text: a phone's decimal keypad often has no minus, and answers can be −5
    const input = el("input", { "class": "blank", type: "text", inputmode: "text", autocomplete: "off", autocapitalize: "off",
      spellcheck: "false", pattern: "\\s*[+\\-\u2212]?[0-9]*[.,]?[0-9]*([eE][+\\-]?[0-9]+)?\\s*",
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
      const yours = rnnFormat.read(text);
      if (yours === null) {          // not counted: neither right nor wrong
        state.answers.delete(key);
        status.textContent = "not a number";
        status.className = "verdict unread";
        input.setAttribute("aria-invalid", "true");
        hintBox.hidden = true;
        saveAnswers();
        drawScore();
        return;
      }
      let right = false;
      if (exact !== null) {
        // check's rule: |yours − exact| ≤ tolerance·max(1, |exact|)
        right = Math.abs(yours - exact) <= D.practice.tolerance * Math.max(1, Math.abs(exact));
      }
      const before = state.answers.get(key);
      state.answers.set(key, { text: text, right: right, tries: (before ? before.tries : 0) + (right ? 0 : 1) });
      apply(state.answers.get(key));
      saveAnswers();
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
      const v = valueAt(PY[0], path);
      n += T * (v ? v.length : 0);
    }
    return n;
  }

  function drawScore() {
    const box = document.getElementById("score");
    if (!box) return;
    const answers = [...state.answers.values()];
    const right = answers.filter((a) => a.right).length;
    box.textContent = `Score: ${right} of ${blanksTotal()} right (${answers.length} answered)`;
  }

  function valueAt(step, fullPath) {   // a trace path ("y", "lstm.c") in one step
    if (fullPath === "y") return step.y;
    const dot = fullPath.indexOf(".");
    const i = D.layers.findIndex((d) => d.name === fullPath.slice(0, dot));
    return i < 0 ? null : step.layers[i].get(fullPath.slice(dot + 1)) || null;
  }


  // A number or, in practice mode, a blank.
  function cell(path, t, unit, v) {
    if (isMasked(path) && !isAsked(path)) return el("span", { "class": "asked", title: "asked elsewhere on this sheet", text: "?" });
    if (isAsked(path)) return blank(path, t, unit, PY[t - 1] ? valueAt(PY[t - 1], path)[unit === null ? 0 : unit] : null);
    return numButton(path, t, unit, v);
  }

  // ------------------------------------------------------------------ the explanation popup

  // The arithmetic of a quantity at step t, written here from the formulas and the
  // values shown (rnnArith): the edited network's after an edit, else `run --explain`'s.
  function explainText(layerIndex, path, t, unit) {
    const u = unit === null ? 0 : unit;
    const step = state.steps[t - 1];
    const desc = D.layers[layerIndex];
    const record = step.layers[layerIndex];
    const x = layerIndex === 0 ? step.x : step.layers[layerIndex - 1].get(D.layers[layerIndex - 1].output);
    const opts = { precision: P, dtype: state.edited ? "float64" : (D.trace.dtype || "float64"), symbols: D.symbols,
                   labels: hasLabel(desc), params: state.params.get(desc.name) };
    const key = `${path}|${u}`;
    const line = rnnArith.lines(desc, record, x, opts).find((l) => l.at.includes(key));
    if (line) return rnnArith.text(line);
    const mem = rnnArith.memory(desc, record, t, T, P).get(path);
    return mem ? mem[u] : null;
  }

  function describeNumber(node) {
    const path = node.dataset.path;
    const t = parseInt(node.dataset.t, 10);
    const unit = node.dataset.unit ? parseInt(node.dataset.unit, 10) - 1 : null;
    let layerIndex = null, inner = null, title = path, lines = [], formula = null;
    if (path === "x") {
      const token = PY[t - 1].token;
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
        `Recomputed with your changes: ${show(Number(value))}, and so is the arithmetic below ` +
        `(with the original weights and inputs, ${info.path} = ${original === null ? "overflow" : show(original)}).`));
    }
    if (info.formula) body.append(el("p", { "class": "formula" }, "formula: ", el("code", { text: info.formula })));
    if (info.lines.length) body.append(el("pre", { "class": "arith", text: info.lines.join("\n") }));
    if (info.layerIndex !== null && info.layerIndex >= 0 && D.legend[info.layerIndex])
      body.append(el("p", { "class": "legend", text: D.legend[info.layerIndex] }));
    state.opener = node;
    box.hidden = false;
    document.getElementById("popup-close").focus();
  }

  function originalValue(path, t, unit) {
    if (path === "x") return PY[t - 1].x[unit || 0];
    const v = valueAt(PY[t - 1], path);
    return v ? v[unit === null ? 0 : unit] : null;
  }

  function closePopup() {
    document.getElementById("popup").hidden = true;
    if (state.opener && document.body.contains(state.opener)) state.opener.focus();
    state.opener = null;
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
    const width = Math.max(...rows.map((q) => (record.get(q.path) || []).length));
    const table = el("table", { "class": "values" });
    const head = el("tr", {}, el("th", { scope: "col", text: "quantity" }));
    for (let u = 0; u < width; u++) head.append(el("th", { scope: "col", text: desc.units && desc.units.length === width ? String(desc.units[u]) : String(u + 1) }));
    table.append(el("thead", {}, head));
    const body = el("tbody");
    for (const q of rows) {
      const v = record.get(q.path) || [];
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
    let v = state.params.get(base.slice(0, dot)).get(base.slice(dot + 1));
    for (const i of idx) v = v[i];
    return v;
  }

  function setParam(name, value) {
    if (name.startsWith("inputs[")) {
      const idx = name.match(/\d+/g).map(Number);
      state.inputs[idx[0]][idx[1]] = value;
      state.inputsSet.add(`${idx[0]},${idx[1]}`);
      return;
    }
    const m = /^(.*?)((\[\d+\])*)$/.exec(name);
    const base = m[1], idx = (m[2].match(/\d+/g) || []).map(Number);
    const dot = base.indexOf(".");
    const holder = state.params.get(base.slice(0, dot));
    const key = base.slice(dot + 1);
    if (idx.length === 0) { holder.set(key, value); return; }
    let v = holder.get(key);
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
    const all = ORIGINAL_PARAMS.get(desc.name);
    for (const [name, w] of all) {
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

  // What the figure and the charts may use of the page (their interface: figure.js).
  const pageApi = {
    data: D, T: T, el: el, svg: svg, show: show, numberAttrs: numberAttrs, isMasked: isMasked,
    quantities: (desc) => allQuantities(desc, ""), go: (t) => go(t),
    weight: (layer, name) => state.params.get(layer).get(name),
    editor: (name, label) => editor(name, label),
  };

  // A quantity over the run, {size, data: Float64Array of T × size}: the steps' own
  // column when they are kept as columns (a long run, an edit), else gathered.
  function series(i, path) {
    const c = state.steps.columns ? state.steps.columns[i].get(path) : undefined;
    if (c !== undefined) return c;
    const first = state.steps.length ? state.steps[0].layers[i].get(path) : null;
    const size = first ? first.length : 0;
    const data = new Float64Array(T * size);
    state.steps.forEach((s, t) => {
      const v = s.layers[i].get(path) || [];
      for (let j = 0; j < size; j++) data[t * size + j] = v[j] === null || v[j] === undefined ? NaN : v[j];
    });
    return { size: size, data: data };
  }

  function drawCharts() {
    rnnCharts.draw(pageApi, chartBox, series, state.t);
  }

  function moveMarkers() { rnnCharts.mark(chartBox, state.t); }

  function build() {
    const app = document.getElementById("app");
    app.append(el("header", {}, el("h1", { text: D.title }),
      el("p", { "class": "sub", text: `${D.source}: ${T} step${T === 1 ? "" : "s"}, ${D.layers.map((d) => d.heading).join("; ")}` })));
    if (D.practice) {
      app.append(el("section", { "class": "practice", "aria-label": "practice" },
        el("p", {}, `Practice: fill in ${D.practice.ask.join(", ")} at every step. An answer is right when ` +
          `|yours − exact| ≤ ${D.practice.tolerance}·max(1, |exact|). The exact values are in this file: it is for practice, not for exams.`),
        el("p", { "class": "score-line" }, el("span", { id: "score", "aria-live": "polite" }), " ",
          el("button", { type: "button", id: "clear-answers", onclick: clearAnswers, text: "clear my answers" }))));
      state.answers = loadAnswers();
    }
    app.append(rnnFigure.intro(pageApi), rnnFigure.legend(pageApi));
    stepLabel = el("span", { id: "step-label", "aria-live": "polite" });
    stepLabel.style.minWidth = `${9 + 2 * String(T).length}ch`;   // "Step t of T" never pushes the buttons
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
    hashApply();
    drawStep();
    drawCharts();
    drawScore();
  }

  function go(t) {
    t = Math.min(T, Math.max(1, t));
    if (t === state.t && stepView.childElementCount) return;
    state.t = t;
    // an open popup follows the step: the same quantity and unit at step t
    const popup = document.getElementById("popup");
    const shown = popup && !popup.hidden && state.opener ? state.opener.dataset : null;
    const follow = shown ? { path: shown.path, unit: shown.unit } : null;
    drawStep();
    moveMarkers();
    hashWrite();
    if (follow) {
      const same = [...stepView.querySelectorAll(".num")].find((n) => n.dataset.path === follow.path && n.dataset.unit === follow.unit);
      if (same) { const back = document.activeElement; openPopup(same); if (back && back !== document.body) back.focus(); }
    }
  }

  function drawStep() {
    const t = state.t;
    const step = state.steps[t - 1];
    stepLabel.textContent = `Step ${t} of ${T}`;
    slider.value = String(t);
    const focused = document.activeElement;
    const refocus = focused && focused.dataset && focused.dataset.path && !focused.classList.contains("blank") ? focused.dataset.path + "|" + focused.dataset.unit : null;
    stepView.textContent = "";
    stepView.append(rnnFigure.unrolled(pageApi, state.steps, t));
    // the input at this step, editable
    const xs = el("section", { "class": "input", "aria-label": "input" }, el("h2", { text: `input at step ${t}` }));
    const token = PY[t - 1].token;
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
      sec.append(rnnFigure.layer(pageApi, desc, i, record, x, xPath, t));
      sec.append(drawTable(desc, record, t));
      if (step.labels[i] !== null) sec.append(el("p", { "class": "winner" }, "most likely: ", el("strong", { text: step.labels[i] })));
      stepView.append(sec);
      x = record.get(desc.output);
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
    // per step {x, y, layers: [{path: vector}]}: the page's engine on the spec's inputs and weights
    run: () => runNetwork(D.inputs, ORIGINAL_PARAMS).map((s) => ({ x: Array.from(s.x), y: Array.from(s.y), labels: s.labels,
      layers: s.layers.map((r) => Object.fromEntries([...r].map(([k, v]) => [k, Array.from(v)]))) })),
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
