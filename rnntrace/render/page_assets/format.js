// rnntrace page, module "format": how a float64 is written, as rnntrace.render.numbers
// writes it in Python (docs/page.md). No DOM: it runs in the page and under Node.
//   rnnFormat.pyRepr(v)        Python's repr of a float64 (the exact value, data-value)
//   rnnFormat.pyShort(v)       an editable value as a spec writes it: 3, 0.5, -10
//   rnnFormat.show(v, P)       numbers.show: rounded to P decimals, ≈0, typographic minus
//   rnnFormat.fmt(v, P)        numbers.fmt: the same with "-"
"use strict";
const rnnFormat = (function () {
  const MINUS = "\u2212";

  // Python's repr of a float64: the shortest digits that read back as the same
  // number, written as Python writes them (3.0, 0.0001, 1e-05, 1e+16).
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

  function pyShort(v) {
    const r = pyRepr(v);
    return r.endsWith(".0") ? r.slice(0, -2) : r;
  }

  // numbers.fmt: 3.0 → 3; 6.99950063 → 6.9995; 4.54e-05 → ≈0 (a rounded whole number
  // that is not one gets ≈); from 1e15 on, 1.2346e+20.
  function fmt(v, P) {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v === 0 ? 0 : v);
    if (Math.abs(v) >= 1e15) {
      let [m, e] = v.toExponential(P).split("e");
      if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
      const n = parseInt(e, 10);
      return m + "e" + (n < 0 ? "-" : "+") + (Math.abs(n) < 10 ? "0" : "") + Math.abs(n);
    }
    let text = v.toFixed(P);
    if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
    if (text === "-0" || text === "0") return "≈0";
    if (/^-?\d+$/.test(text)) return "≈" + text;
    return text;
  }

  function show(v, P) {
    if (v === null || v === undefined) return "overflow";
    return fmt(v, P).replace(/-/g, MINUS);
  }

  return { MINUS, pyRepr, pyShort, fmt, show };
})();
if (typeof module === "object" && module.exports) module.exports = rnnFormat;
