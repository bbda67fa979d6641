// rnntrace page, module "format": how a float64 is written, as rnntrace.render.numbers
// writes it in Python (docs/page.md). No DOM: it runs in the page and under Node.
//   rnnFormat.pyRepr(v)        Python's repr of a float64 (the exact value, data-value)
//   rnnFormat.pyShort(v)       an editable value as a spec writes it: 3, 0.5, -10
//   rnnFormat.show(v, P)       numbers.show: rounded to P decimals, ≈0, typographic minus
//   rnnFormat.fmt(v, P)        numbers.fmt: the same with "-"
//   rnnFormat.read(text)       a typed answer as a number, or null if it does not read as
//                              one: "−5", "-5", "6,9995" (a decimal comma), "≈0", "1e-3"
//   rnnFormat.plain, operand, result, significant (v, P): the arithmetic's numbers,
//                              as numbers.plain, operand, result, significant write them
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

  // Is the exact decimal expansion of |v| a tie after `digits` (all of whose digits are
  // given in `exact`, a string of digits)? Python rounds a tie to even, JavaScript up.
  function tie(exact, keep) {
    return exact.length > keep && exact[keep] === "5" && /^0*$/.test(exact.slice(keep + 1));
  }

  // Python's f"{v:.{P}f}": correctly rounded, a tie to even (JavaScript's toFixed rounds
  // a tie away from zero: 0.03125 → "0.0313", Python "0.0312").
  function fixed(v, P) {
    const text = v.toFixed(P);
    if (Math.abs(v) >= 1e21 || P >= 100) return text;
    // a tie is an exact …5000…: then rounding at one digit more is exact and ends in 5
    // (most numbers stop here, without writing out 100 digits)
    if (Math.abs(v).toFixed(P + 1).slice(-1) !== "5") return text;
    const all = Math.abs(v).toFixed(100);          // exact: a float64's fraction ends within 100 digits here
    const dot = all.indexOf(".");
    const digits = all.slice(0, dot) + all.slice(dot + 1);
    const keep = dot + P;
    if (!tie(digits, keep)) return text;
    const last = digits[keep - 1];
    if (last === undefined || parseInt(last, 10) % 2 === 1) return text;   // odd: up, as JavaScript did
    let down = all.slice(0, P === 0 ? dot : dot + 1 + P);
    return (v < 0 ? "-" : "") + down;
  }

  // Python's f"{v:.{d - 1}e}" as [digits of the mantissa, exponent], a tie to even.
  function expParts(v, d) {
    let [m, e] = Math.abs(v).toExponential(d - 1).split("e");
    let exp = parseInt(e, 10);
    const exact = Math.abs(v).toPrecision(100).replace(/e.*$/, "");
    const ex = exact.replace(".", "").replace(/^0+/, "");
    if (tie(ex, d) && parseInt(ex[d - 1], 10) % 2 === 0) {
      m = ex.slice(0, 1) + (d > 1 ? "." + ex.slice(1, d) : "");
      exp = Math.floor(Math.log10(Math.abs(v)));
      const check = Math.abs(v).toExponential(20).split("e");
      exp = parseInt(check[1], 10);
    }
    return [m, exp];
  }

  // Python's f"{v:.{d}g}"
  function general(v, d) {
    if (v === 0) return Object.is(v, -0) ? "-0" : "0";
    const sign = v < 0 ? "-" : "";
    const [m, exp] = expParts(v, d);
    if (exp >= -4 && exp < d) {
      let text = fixed(Math.abs(v), d - 1 - exp);
      if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
      return sign + text;
    }
    let mant = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
    return sign + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
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
    let text = fixed(v, P);
    if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
    if (text === "-0" || text === "0") return "≈0";
    if (/^-?\d+$/.test(text)) return "≈" + text;
    return text;
  }

  function show(v, P) {
    if (v === null || v === undefined) return "overflow";
    return fmt(v, P).replace(/-/g, MINUS);
  }

  // numbers.significant: P + 1 (at least 5) significant digits, never a whole number's look
  function significant(v, P) {
    if (!Number.isFinite(v) || (Number.isInteger(v) && Math.abs(v) < 1e15)) return show(v, P);
    let digits = Math.max(P + 1, 5);
    let text = general(v, digits);
    while (!/[.e]/.test(text) && digits < 17) text = general(v, ++digits);
    return text.startsWith("-") ? MINUS + text.slice(1) : text;
  }

  // numbers._loses_digits: fmt keeps fewer than two significant digits, or marks it ≈
  function losesDigits(v, P) {
    if (!Number.isFinite(v) || Number.isInteger(v)) return false;
    return fmt(v, P).startsWith("≈") || Math.abs(v) < parseFloat("1e" + (1 - P));
  }

  function plain(v, P) { return losesDigits(v, P) ? significant(v, P) : show(v, P); }

  function operand(v, P) {
    const text = plain(v, P);
    return text.startsWith(MINUS) ? "(" + text + ")" : text;
  }

  function result(v, P) {
    const text = show(v, P);
    if (losesDigits(v, P)) {
      const digits = significant(v, P);
      return text.startsWith("≈") ? `${digits} (${text})` : digits;
    }
    return text;
  }

  // A typed answer: spaces left out, the typographic minus or a dash as "-", one comma as
  // the decimal point (a phone's keyboard may offer only the comma), "≈" as the views
  // write a rounded value. Anything else that is not a plain decimal number is null.
  function read(text) {
    let t = String(text).replace(/\s+/g, "").replace(/^\+/, "").replace(/[\u2212\u2013\u2012]/g, "-").replace(/^≈/, "");
    if (!t.includes(".") && (t.match(/,/g) || []).length === 1) t = t.replace(",", ".");
    if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
    const v = Number(t);
    return Number.isFinite(v) ? v : null;
  }

  return { MINUS, read, pyRepr, pyShort, fmt, show, fixed, general, significant, plain, operand, result };
})();
if (typeof module === "object" && module.exports) module.exports = rnnFormat;
