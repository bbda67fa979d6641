// The page's engine (rnntrace/render/page_assets/engine.js) under Node, against a corpus
// that tests/test_page_node.py writes from Python's engine: every bundled example, random
// networks of every type and variant, and examples with edited weights and inputs.
// Run by that test: RNNTRACE_MODULES=<folder of the modules and corpus.json> node --test tests/js/
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");

// the modules as the page holds them (page.py writes the activation functions in)
const modules = process.env.RNNTRACE_MODULES;
const rnnEngine = require(path.join(modules, "engine.js"));
const rnnArith = require(path.join(modules, "arith.js"));
const corpus = JSON.parse(fs.readFileSync(path.join(modules, "corpus.json"), "utf-8"));

// layer name → Map(weight name → array), as the page holds them
function paramsOf(plain) {
  const out = new Map();
  for (const layer of Object.keys(plain)) out.set(layer, new Map(Object.entries(plain[layer])));
  return out;
}

function flatten(obj, prefix, out) {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (Array.isArray(v)) out.set(prefix + k, v);
    else if (v && typeof v === "object") flatten(v, prefix + k + ".", out);
  }
  return out;
}

function close(got, want, where) {
  assert.strictEqual(got.length, want.length, where);
  want.forEach((b, i) => {
    const a = got[i];
    if (b === null) { assert.ok(a === null || !Number.isFinite(a), where); return; }   // past float64 in Python
    assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${where}[${i}]: ${a} ≠ ${b}`);
  });
}

test("the corpus is not empty", () => assert.ok(corpus.cases.length > 0));

for (const c of corpus.cases) {
  test(`engine: ${c.name}`, () => {
    const steps = rnnEngine.run(c.layers, c.inputs, paramsOf(c.params));
    assert.strictEqual(steps.length, c.steps.length);
    let compared = 0;
    c.steps.forEach((want, t) => {
      close(steps[t].y, want.y, `${c.name} step ${t + 1} y`);
      c.layers.forEach((desc, i) => {
        const record = flatten(want.layers[desc.name], "", new Map());
        for (const [p, vector] of record) {
          if (p === "label") continue;
          const got = steps[t].layers[i].get(p);
          assert.ok(got !== undefined, `${c.name} step ${t + 1}: no ${desc.name}.${p}`);
          close(got, vector, `${c.name} step ${t + 1} ${desc.name}.${p}`);
          compared += vector.length;
        }
      });
    });
    assert.ok(compared > 0);
  });
}

// The arithmetic written in the page from the formulas is the text of `run --explain`,
// for the run's own weights and for edited ones (Python wrote the edited network's).
for (const c of corpus.cases) {
  test(`arithmetic: ${c.name}`, () => {
    const params = paramsOf(c.params);
    c.steps.forEach((want, t) => {
      let x = want.x;
      c.layers.forEach((desc, i) => {
        // as the page holds a run's values: views into one Float64Array
        const record = new Map([...flatten(want.layers[desc.name], "", new Map())].map(([k, v]) =>
          [k, v.includes(null) ? v : Float64Array.from(v)]));
        const opts = { precision: 4, dtype: c.dtype, symbols: corpus.symbols, labels: c.labels[i], params: params.get(desc.name) };
        const got = rnnArith.lines(desc, record, x, opts).map((l) => [l.lhs, l.rhs]);
        assert.deepStrictEqual(got, c.explain[t][i], `${c.name} step ${t + 1} ${desc.name}`);
        x = record.get(desc.output);
      });
    });
  });
}

// The charts are drawn at their pixel width: each pixel column's lowest and highest value.
const rnnCharts = require(path.join(modules, "charts.js"));
test("charts: a long series is reduced to each pixel column's lowest and highest value", () => {
  const T = 10000, W = 600;
  const values = Array.from({ length: T }, (_, k) => Math.sin(k / 37) * (k % 7 === 0 ? 2 : 1));
  values[5000] = null;
  const cols = rnnCharts.columns(values, T, W);
  assert.ok(cols.length <= W + 1 && cols.length >= W - 9, String(cols.length));   // 4 px margins
  // every value lies in its column's span, and each span's ends are values of that column
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  assert.strictEqual(Math.min(...cols.map((c) => c[1])), lo);
  assert.strictEqual(Math.max(...cols.map((c) => c[2])), hi);
  // the same, several units at once
  const flat = Float64Array.from(values.flatMap((v) => (v === null ? [NaN, NaN] : [v, -v])));
  const both = rnnCharts.columnsOfUnits(flat, 2, T, W);
  assert.deepStrictEqual(both[0], cols);
  assert.deepStrictEqual(both[1].map((c) => [c[0], -c[2], -c[1]]), cols);
});
