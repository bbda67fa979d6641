"""The one table of activation functions (docs/spec.md, "Activation functions").

Each :class:`Function` says everything about one function: its numpy forward pass and
derivative (numerically stable at |z| = 1000, no overflow warnings), the symbol the
views print and its LaTeX, its definition and derivative in words, a JavaScript
expression for the page, and the names PyTorch, Keras and ONNX give it. Every other
place that needs an activation (spec reading, the views, worksheets, the page,
importers, schemas) reads this table.

A function with parameters is named in a spec ``{leaky_relu: {alpha: 0.1}}`` and inside
rnntrace by its *canonical name*, ``leaky_relu(alpha=0.1)``: the parameters that differ
from their defaults, in the table's order (``leaky_relu`` is leaky_relu with α = 0.01).
Every function here takes such a name.

Each function keeps the type of z (float64 or float32): constants and parameters are
Python numbers, which numpy applies in the array's type.
"""
from __future__ import annotations

import re
from functools import lru_cache
from collections import namedtuple
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple

import numpy as np

Array = np.ndarray

# SELU's constants (Klambauer et al. 2017), as PyTorch and Keras write them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _num(value: float) -> str:
    """A parameter as written in names and formulas: 0.1, 1, 0.2 (the shortest repr)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _exp_neg_abs(z: Array) -> Array:
    return np.exp(-np.abs(z))


# --------------------------------------------------------------------------- the forward passes

def sigmoid(z: Array) -> Array:
    # σ(z) = 1/(1+e^−z) for z ≥ 0 and e^z/(1+e^z) for z < 0: e^(−|z|) never overflows.
    e = _exp_neg_abs(z)
    d = 1.0 + e
    return np.where(z >= 0, 1.0 / d, e / d)


def _sigmoid_prime(z: Array) -> Array:
    # σ′(z) = σ(z)·σ(−z) = e^−|z| / (1 + e^−|z|)²: stays exact where σ(z) rounds to 1
    e = _exp_neg_abs(z)
    return e / ((1.0 + e) * (1.0 + e))


def _tanh_prime(z: Array) -> Array:
    # tanh′(z) = 1 − tanh² = 4e^−2|z| / (1 + e^−2|z|)²: the same, where tanh rounds to ±1
    e = np.exp(-2.0 * np.abs(z))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def softmax(z: Array) -> Array:
    # Shifting by max(z) changes nothing mathematically and keeps e^z ≤ 1.
    e = np.exp(z - np.max(z))
    return e / e.sum()


def linear(z: Array) -> Array:
    return np.array(z, copy=True)


def relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def hard_sigmoid(z: Array, alpha: float = 0.2, beta: float = 0.5) -> Array:
    # Keras 2 and ONNX HardSigmoid: clip(α·z + β, 0, 1)
    return np.clip(alpha * z + beta, 0.0, 1.0)


def _hard_sigmoid_prime(z: Array, alpha: float = 0.2, beta: float = 0.5) -> Array:
    # slope α where α·z + β lies strictly inside (0, 1), 0 where it is clipped
    y = alpha * z + beta
    return np.where((y > 0) & (y < 1), z.dtype.type(alpha), z.dtype.type(0.0))


def hard_sigmoid_v3(z: Array) -> Array:
    # Keras 3 and PyTorch: relu6(z + 3)/6 = clip(z + 3, 0, 6)/6, computed as they do
    return np.clip(z + 3.0, 0.0, 6.0) / 6.0


def _elu(z: Array, alpha: float = 1.0) -> Array:
    # z for z > 0, α·(e^z − 1) below: expm1 of min(z, 0) never overflows
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _elu_prime(z: Array, alpha: float = 1.0) -> Array:
    return np.where(z > 0, z.dtype.type(1.0), alpha * np.exp(np.minimum(z, 0.0)))


def _softplus(z: Array) -> Array:
    # ln(1 + e^z) = max(z, 0) + ln(1 + e^−|z|): never overflows
    return np.maximum(z, 0.0) + np.log1p(_exp_neg_abs(z))


def _scaled_tanh_prime(z: Array, alpha: float = 1.0, beta: float = 1.0) -> Array:
    return (alpha * beta) * _tanh_prime(beta * z)


# --------------------------------------------------------------------------- the table

def _approaches_nothing(params: Mapping[str, float]) -> Tuple[float, ...]:
    return ()


class Function(namedtuple("Function", "name forward derivative symbol latex text tex prime js params torch "
                                       "keras keras2 onnx elementwise approaches",
                           defaults=((), None, None, None, None, True, _approaches_nothing))):
    """One activation function. ``forward(z, **params)`` and ``derivative(z, **params)``
    compute (``derivative`` None for softmax); ``symbol`` and ``latex`` name it in formulas;
    ``prime(z, a, p)`` writes f′ with the step's own names (``a(1 − a)``); ``text``/``tex``
    define it (``{alpha}`` stands for a parameter's value); ``js`` is a JavaScript
    expression in one number ``z`` and the parameters by name (``None`` for softmax,
    which mixes its units); ``params`` are (name, default) pairs; ``torch``, ``keras``
    (Keras 3), ``keras2`` and ``onnx`` are its names there (ONNX's operator and recurrent
    activation name); ``elementwise`` whether it works unit by unit; ``approaches`` gives
    the values it only approaches (σ: 0 and 1), so that a view can say when rounding
    reached one. (A namedtuple: a frozen dataclass of 16 fields compiles six methods when
    the module is imported, and typing.NamedTuple checks each field's type; both are
    start-up time of every run.)"""

    __slots__ = ()

    @property
    def defaults(self) -> Dict[str, float]:
        return dict(self.params)


_P = Mapping[str, str]


def _hard_sigmoid_prime_text(z: str, a: str, p: _P) -> str:
    # α where α·z + β lies in (0, 1): between −β/α and (1 − β)/α; |z| < 2.5 for Keras 2's
    alpha, beta = float(p["alpha"]), float(p["beta"])
    lo, hi = -beta / alpha, (1 - beta) / alpha
    def g(v):
        return format(v, ".6g").replace("-", "−")
    where = f"|{z}| < {g(hi)}" if g(lo) == g(-hi) else f"{g(lo)} < {z} < {g(hi)}"
    return f"{p['alpha']}·[{where}]"


TABLE: Dict[str, Function] = {f.name: f for f in (
    Function("linear", lambda z: linear(z), lambda z: np.ones_like(z), "linear", r"\mathrm{linear}",
             "linear(z) = z", r"\mathrm{linear}(z) = z", lambda z, a, p: "1", "z",
             torch="Identity", keras="linear", keras2="linear", onnx="Identity"),
    Function("sigmoid", lambda z: sigmoid(z), _sigmoid_prime, "σ", r"\sigma",
             "σ(z) = 1 / (1 + e^(−z))", r"\sigma(z) = \frac{1}{1 + e^{-z}}",
             lambda z, a, p: f"{a}(1 − {a})",
             "z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))",
             torch="Sigmoid", keras="sigmoid", keras2="sigmoid", onnx="Sigmoid", approaches=lambda p: (0.0, 1.0)),
    Function("tanh", lambda z: np.tanh(z), _tanh_prime, "tanh", r"\tanh",
             "tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))", r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
             lambda z, a, p: f"1 − {a}²", "Math.tanh(z)",
             torch="Tanh", keras="tanh", keras2="tanh", onnx="Tanh", approaches=lambda p: (-1.0, 1.0)),
    Function("relu", lambda z: relu(z), lambda z: (z > 0).astype(z.dtype), "relu", r"\mathrm{relu}",
             "relu(z) = max(0, z)", r"\mathrm{relu}(z) = \max(0, z)", lambda z, a, p: f"[{z} > 0]",
             "Number.isNaN(z) ? z : Math.max(z, 0)",
             torch="ReLU", keras="relu", keras2="relu", onnx="Relu"),
    Function("leaky_relu", lambda z, alpha: np.where(z > 0, z, alpha * z),
             lambda z, alpha: np.where(z > 0, z.dtype.type(1.0), z.dtype.type(alpha)),
             "lrelu", r"\mathrm{lrelu}",
             "lrelu(z) = z for z > 0, {alpha}·z otherwise",
             r"\mathrm{lrelu}(z) = \begin{cases} z & z > 0 \\ {alpha}\,z & \text{otherwise} \end{cases}",
             lambda z, a, p: f"[{z} > 0] + {p['alpha']}·[{z} ≤ 0]", "z > 0 ? z : alpha * z",
             params=(("alpha", 0.01),), torch="LeakyReLU", keras="leaky_relu", onnx="LeakyRelu"),
    Function("elu", _elu, _elu_prime, "elu", r"\mathrm{elu}",
             "elu(z) = z for z > 0, {alpha}·(e^z − 1) otherwise",
             r"\mathrm{elu}(z) = \begin{cases} z & z > 0 \\ {alpha}\,(e^{z} - 1) & \text{otherwise} \end{cases}",
             lambda z, a, p: f"[{z} > 0] + ({a} + {p['alpha']})·[{z} ≤ 0]", "z > 0 ? z : alpha * Math.expm1(z)",
             params=(("alpha", 1.0),), torch="ELU", keras="elu", keras2="elu", onnx="Elu",
             approaches=lambda p: (-p["alpha"],)),
    Function("selu", lambda z: SELU_SCALE * _elu(z, SELU_ALPHA),
             lambda z: SELU_SCALE * _elu_prime(z, SELU_ALPHA), "selu", r"\mathrm{selu}",
             f"selu(z) = λ·z for z > 0, λ·α·(e^z − 1) otherwise (λ = {_num(SELU_SCALE)}, α = {_num(SELU_ALPHA)})",
             r"\mathrm{selu}(z) = \lambda \begin{cases} z & z > 0 \\ \alpha\,(e^{z} - 1) & \text{otherwise} "
             rf"\end{{cases}},\ \lambda = {_num(SELU_SCALE)},\ \alpha = {_num(SELU_ALPHA)}",
             lambda z, a, p: f"λ·[{z} > 0] + ({a} + λα)·[{z} ≤ 0]",
             f"z > 0 ? {_num(SELU_SCALE)} * z : {_num(SELU_SCALE)} * {_num(SELU_ALPHA)} * Math.expm1(z)",
             torch="SELU", keras="selu", keras2="selu", onnx="Selu",
             approaches=lambda p: (-SELU_SCALE * SELU_ALPHA,)),
    Function("softplus", lambda z: _softplus(z), lambda z: sigmoid(z), "softplus", r"\mathrm{softplus}",
             "softplus(z) = ln(1 + e^z)", r"\mathrm{softplus}(z) = \ln(1 + e^{z})",
             lambda z, a, p: f"σ({z})", "Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))",
             torch="Softplus", keras="softplus", keras2="softplus", onnx="Softplus", approaches=lambda p: (0.0,)),
    Function("softsign", lambda z: z / (1.0 + np.abs(z)), lambda z: 1.0 / ((1.0 + np.abs(z)) * (1.0 + np.abs(z))),
             "softsign", r"\mathrm{softsign}",
             "softsign(z) = z / (1 + |z|)", r"\mathrm{softsign}(z) = \frac{z}{1 + |z|}",
             lambda z, a, p: f"1/(1 + |{z}|)²", "z / (1 + Math.abs(z))",
             torch="Softsign", keras="softsign", keras2="softsign", onnx="Softsign",
             approaches=lambda p: (-1.0, 1.0)),
    Function("thresholded_relu", lambda z, alpha: np.where(z > alpha, z, z.dtype.type(0.0)),
             lambda z, alpha: (z > alpha).astype(z.dtype), "threlu", r"\mathrm{threlu}",
             "threlu(z) = z for z > {alpha}, 0 otherwise",
             r"\mathrm{threlu}(z) = \begin{cases} z & z > {alpha} \\ 0 & \text{otherwise} \end{cases}",
             lambda z, a, p: f"[{z} > {p['alpha']}]", "z > alpha ? z : 0",
             params=(("alpha", 1.0),), torch="Threshold", onnx="ThresholdedRelu"),
    Function("scaled_tanh", lambda z, alpha, beta: alpha * np.tanh(beta * z), _scaled_tanh_prime,
             "stanh", r"\mathrm{stanh}",
             "stanh(z) = {alpha}·tanh({beta}·z)", r"\mathrm{stanh}(z) = {alpha} \tanh({beta}\, z)",
             lambda z, a, p: f"{p['alpha']}·{p['beta']}·(1 − tanh²({p['beta']}·{z}))",
             "alpha * Math.tanh(beta * z)", params=(("alpha", 1.0), ("beta", 1.0)), onnx="ScaledTanh",
             approaches=lambda p: (-p["alpha"], p["alpha"])),
    Function("affine", lambda z, alpha, beta: alpha * z + beta,
             lambda z, alpha, beta: np.full_like(z, alpha), "affine", r"\mathrm{affine}",
             "affine(z) = {alpha}·z + {beta}", r"\mathrm{affine}(z) = {alpha}\, z + {beta}",
             lambda z, a, p: p["alpha"], "alpha * z + beta", params=(("alpha", 1.0), ("beta", 0.0)),
             onnx="Affine"),
    Function("hard_sigmoid", hard_sigmoid, _hard_sigmoid_prime, "hardσ", r"\mathrm{hard}\sigma",
             "hardσ(z) = clip({alpha}·z + {beta}, 0, 1)",
             r"\mathrm{hard}\sigma(z) = \mathrm{clip}({alpha} z + {beta},\ 0,\ 1)",
             _hard_sigmoid_prime_text, "Math.min(Math.max(alpha * z + beta, 0), 1)", params=(("alpha", 0.2), ("beta", 0.5)),
             keras2="hard_sigmoid", onnx="HardSigmoid"),
    Function("hard_sigmoid_v3", hard_sigmoid_v3,
             lambda z: np.where((z > -3.0) & (z < 3.0), z.dtype.type(1 / 6), z.dtype.type(0.0)),
             "hardσ3", r"\mathrm{hard}\sigma_{3}",
             "hardσ3(z) = relu6(z + 3)/6 = clip(z + 3, 0, 6)/6",
             r"\mathrm{hard}\sigma_{3}(z) = \mathrm{clip}(z + 3,\ 0,\ 6) / 6",
             lambda z, a, p: f"[|{z}| < 3]/6", "Math.min(Math.max(z + 3, 0), 6) / 6",
             torch="Hardsigmoid", keras="hard_sigmoid"),
    Function("softmax", lambda z: softmax(z), None, "softmax", r"\mathrm{softmax}",
             "softmax(z)_k = e^(z_k) / Σ_j e^(z_j)", r"\mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
             lambda z, a, p: "softmax Jacobian", None, torch="Softmax", keras="softmax", keras2="softmax",
             onnx="Softmax", elementwise=False),
)}

#: Every function's name, in the table's order.
NAMES: Tuple[str, ...] = tuple(TABLE)
#: The functions a recurrent layer (or a gate) may apply: each works unit by unit.
ELEMENTWISE: Tuple[str, ...] = tuple(n for n, f in TABLE.items() if f.elementwise)


# --------------------------------------------------------------------------- names with parameters

_NAME = r"^([a-z_0-9]+)(?:\((.*)\))?$"   # name(key=value, …): compiled when a name has parameters


def canonical(name: str, params: Optional[Mapping[str, float]] = None) -> str:
    """``leaky_relu(alpha=0.1)``: the name with the parameters that differ from their
    defaults, in the table's order."""
    function = TABLE[name]
    given = dict(params or {})
    parts = [f"{key}={_num(given[key])}" for key, default in function.params
             if key in given and float(given[key]) != default]
    return f"{name}({', '.join(parts)})" if parts else name


@lru_cache(maxsize=None)
def parse(name: str) -> Tuple[Function, Tuple[Tuple[str, float], ...]]:
    """A canonical name's function and all its parameter values (defaults filled in)."""
    if name in TABLE:   # a name without parameters, the usual case
        return TABLE[name], tuple(TABLE[name].defaults.items())
    match = re.match(_NAME, name)
    if not match or match.group(1) not in TABLE:
        raise KeyError(name)
    function = TABLE[match.group(1)]
    values = function.defaults
    if match.group(2):
        for part in match.group(2).split(","):
            key, _, number = part.strip().partition("=")
            if key not in values:
                raise KeyError(name)
            values[key] = float(number)
    return function, tuple(values.items())


def function(name: str) -> Function:
    return parse(name)[0]


def parameters(name: str) -> Dict[str, float]:
    return dict(parse(name)[1])


def base(name: str) -> str:
    """``leaky_relu`` of ``leaky_relu(alpha=0.1)``."""
    return parse(name)[0].name


def spec_value(name: str) -> Any:
    """How a spec writes the function: ``tanh``, or ``{leaky_relu: {alpha: 0.1}}``."""
    f, values = parse(name)
    given = {k: v for k, v in values if v != f.defaults[k]}
    return {f.name: given} if given else f.name


def known(name: str) -> bool:
    try:
        parse(name)
    except (KeyError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- computing

def activate(name: str, z: Array) -> Array:
    f, values = parse(name)
    return f.forward(z, **dict(values)) if values else f.forward(z)


def derivative(name: str, z: Array) -> Array:
    """f′(z) of an elementwise activation."""
    f, values = parse(name)
    if f.derivative is None:
        raise ValueError(f"no elementwise derivative for {name!r}")
    return f.derivative(z, **dict(values)) if values else f.derivative(z)


def back(name: str, z: Array, a: Array, da: Array) -> Array:
    """dL/dz from dL/da through a = f(z). Softmax mixes its units: dz = a∘(da − (da·a))
    (its Jacobian, diag(a) − a·aᵀ, applied to da)."""
    if name == "softmax":
        return a * (da - float(da @ a))
    return da * derivative(name, z)


# --------------------------------------------------------------------------- writing

def _texts(name: str) -> Dict[str, str]:
    return {k: _num(v) for k, v in parse(name)[1]}


def symbol(name: str) -> str:
    """σ, tanh, lrelu: how the formulas write the function."""
    return function(name).symbol


def latex(name: str) -> str:
    return function(name).latex


def function_name(name: str) -> str:
    """An activation function as headings name it: ``σ = sigmoid``, ``hardσ = hard_sigmoid``,
    ``tanh``, ``lrelu = leaky_relu(alpha=0.1)``: the symbol the formulas use, and what it
    stands for."""
    s = symbol(name)
    return name if s == name else f"{s} = {name}"


def derivative_text(name: str, z: str, a: str) -> str:
    """f′ written with the step's own names: σ′ = a(1 − a), tanh′ = 1 − a², …"""
    return function(name).prime(z, a, _texts(name))


def definition(name: str) -> Tuple[str, str]:
    """(plain text, LaTeX) defining the function with its parameters' values."""
    f = function(name)
    values = _texts(name)
    text, tex = f.text, f.tex
    for key, v in values.items():
        text, tex = text.replace("{" + key + "}", v), tex.replace("{" + key + "}", v)
    return text, tex


def approaches(name: str) -> Tuple[float, ...]:
    f, values = parse(name)
    return f.approaches(dict(values))


def js_functions() -> str:
    """The table's elementwise functions as a JavaScript object literal, for the page's
    script (its Content-Security-Policy allows no eval, so the source is written in):
    ``{"leaky_relu": {params: {"alpha": 0.01}, f: (z, alpha) => (z > 0 ? z : alpha * z)}, …}``."""
    import json
    rows = []
    for n, f in TABLE.items():
        if f.js is not None:
            args = ", ".join(["z"] + [k for k, _ in f.params])
            rows.append(f"{json.dumps(n)}: {{params: {json.dumps(f.defaults)}, f: ({args}) => ({f.js})}}")
    return "{\n" + ",\n".join(rows) + "\n}"


def framework_names(framework: str) -> Dict[str, str]:
    """{their name: our name} for ``torch``, ``keras`` (Keras 3), ``keras2`` or ``onnx``."""
    return {getattr(f, framework): n for n, f in TABLE.items() if getattr(f, framework)}


def markdown_table() -> str:
    """The table as docs/spec.md shows it (generated: rnntrace/schemas/generate.py)."""
    def code(name):
        return f"`{name}`" if name else ""
    rows = ["| name | symbol | f(z) | f′ | parameters (default) | PyTorch | Keras 3 | Keras 2 | ONNX |",
            "|---|---|---|---|---|---|---|---|---|"]
    for n, f in TABLE.items():
        params = ", ".join(f"{k} ({_num(v)})" for k, v in f.params)
        text = f.text.split(" = ", 1)[1] if " = " in f.text else f.text
        for k, v in f.params:
            text = text.replace("{" + k + "}", {"alpha": "α", "beta": "β"}.get(k, k))
        prime = f.prime("z", "a", {k: {"alpha": "α", "beta": "β"}.get(k, k) for k, _ in f.params}) \
            if n != "hard_sigmoid" else "α where 0 < α·z + β < 1, else 0"
        text, prime = text.replace("|", "\\|"), prime.replace("|", "\\|")
        rows.append(f"| `{n}` | {f.symbol} | {text} | {prime} | {params} | {code(f.torch)} | {code(f.keras)} | "
                    f"{code(f.keras2)} | {code(f.onnx)} |")
    return "\n".join(rows)


class _Symbols(Mapping):
    """Function name → symbol (or LaTeX), for the views that index by name; any canonical
    name is a key."""

    def __init__(self, attribute: str):
        self.attribute = attribute

    def __getitem__(self, name: str) -> str:
        return getattr(parse(name)[0], self.attribute)

    def __iter__(self) -> Iterator[str]:
        return iter(TABLE)

    def __len__(self) -> int:
        return len(TABLE)


SYMBOLS: Mapping[str, str] = _Symbols("symbol")
LATEX: Mapping[str, str] = _Symbols("latex")
