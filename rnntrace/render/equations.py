"""A layer's equations, as a sheet states them, read from its description
(:func:`rnntrace.layers.describe`): each computed quantity's ``label`` and ``formula``
(``c = g·i + c_{t−1}·f``, ``h = h(c)·o``), in the order they are computed, with the
parameters a weighted sum uses, and what the short names of the formulas stand for
(``i = σ(z_i)``). Nothing here knows a layer type: a bidirectional layer's directions
are the sub-descriptions, each with its own equations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple


@dataclass(frozen=True)
class Equation:
    name: str                 # the left-hand side, as text: "c", "z_i"
    formula: str              # the right-hand side, as text: "g·i + c_{t−1}·f" as the layer writes it
    latex: str                # the whole equation in LaTeX math (no $)
    parameters: Tuple[str, ...] = ()   # the weights and biases it uses, as the sheet names them


@dataclass(frozen=True)
class Group:
    """The equations of one description: the layer's, or one direction's."""
    title: str                # "" for the layer itself, else the sub-description's key ("forward")
    equations: Tuple[Equation, ...]
    symbols: Tuple[Tuple[str, str], ...]   # ("i", "σ(z_i)"): a short name of the formulas and what it is


def _name(label: str) -> str:
    """``h = relu(z)`` → ``h``; ``h (concat)`` → ``h``: the quantity's own name."""
    return label.split(" = ")[0].split(" (")[0].strip()


def _strip(latex: str) -> str:
    latex = latex.strip()
    return latex[1:-1] if latex.startswith("$") and latex.endswith("$") and latex.count("$") == 2 else latex


def _parameters(compute) -> List[str]:
    found: List[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("weight", "bias"):
                if isinstance(node.get(key), str):
                    found.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(compute)
    return list(dict.fromkeys(found))


_FUNCTIONS = {"tanh": r"\tanh", "max": r"\max", "exp": r"\exp", "log": r"\log"}
_SYMBOLS = {"·": r"\cdot ", "∘": r"\circ ", "−": "-", "→": r"\rightarrow ", "←": r"\leftarrow ",
            "σ": r"\sigma ", "Σ": r"\sum ", "ᵀ": "^{T}", ";": r";\ ", "…": r"\ldots ", "%": r"\%",
            "&": r"\&", "#": r"\#", "{": r"\{", "}": r"\}"}
_TOKEN = re.compile(r"[A-Za-z]+(?:_[A-Za-z0-9]+)?|[0-9.]+|\s+|.")


def to_latex(text: str, names: Dict[str, str]) -> str:
    """A formula in the descriptions' plain text as LaTeX math: a name the layer has a
    LaTeX form for in ``names`` as that (a memory read as ``c_{t-1}``), other
    subscripts upright, σ, ·, ∘ and − as symbols."""
    out = []
    for token in _TOKEN.findall(text):
        if token in names:
            out.append(names[token])
        elif token.isspace():
            out.append(" ")
        elif "_" in token and token[0].isalpha():
            base, _, sub = token.partition("_")
            out.append(f"{base}_{{{sub if len(sub) == 1 else chr(92) + 'mathrm{' + sub + '}'}}}")
        elif token.isalpha() and len(token) > 1:
            out.append(_FUNCTIONS.get(token, r"\mathrm{" + token + "}"))
        else:
            out.append(_SYMBOLS.get(token, token))
    return "".join(out).strip()


_APPLIED = re.compile(r"^(?P<f>[^\s()]+)\((?P<arg>z(?:_(?P<sub>[A-Za-z0-9]+))?)\)$")
_WORD = re.compile(r"[A-Za-z]+(?:_[A-Za-z0-9]+)?")


def _walk(description: dict, title: str = "") -> Iterator[Tuple[str, dict]]:
    for key, value in description.items():
        if isinstance(value, dict) and "quantities" in value:
            yield from _walk(value, key)
    yield title, description


def groups(description: dict) -> List[Group]:
    """The equations of a layer, a group per description (a direction's first)."""
    out = []
    for title, node in _walk(description):
        quantities = node.get("quantities", [])
        names = {}
        for q in quantities:
            name = _name(q.get("label", q["path"]))
            if _WORD.fullmatch(name):
                names[name] = _strip(q.get("latex", name))
        equations = []
        later_words = set()
        for q in quantities:
            formula = q.get("formula")
            if not formula or q.get("kind") == "memory":
                continue
            later_words.update(_WORD.findall(formula))
            name = _name(q.get("label", q["path"]))
            if formula == name:             # g(z) = g(z): says nothing
                continue
            lhs = names.get(name) or to_latex(name, names)
            prefix = f"{title}." if title else ""
            parameters = tuple(prefix + p for p in _parameters(q.get("compute")))
            equations.append(Equation(name, formula, f"{lhs} = {to_latex(formula, names)}", parameters))
        symbols = []
        for q in quantities:                # i = σ(z_i), n = tanh(z_n), g = g(z)
            match = _APPLIED.match(q.get("label", ""))
            if not match or q.get("kind") not in ("gate", "state"):
                continue
            symbol = match.group("sub") or match.group("f")
            if symbol in later_words and symbol not in names:
                symbols.append((symbol, q["label"]))
        if equations:
            out.append(Group(title, tuple(equations), tuple(symbols)))
    return out


def symbols_latex(group: Group, description: Optional[dict] = None) -> List[str]:
    """``i = \\sigma(z_{i})`` for each short name of the group."""
    return [f"{symbol} = {to_latex(label, {})}" for symbol, label in group.symbols]
