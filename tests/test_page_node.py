"""The page's script modules under Node, without a browser: Python writes a corpus
(every bundled example, random networks of every type and variant, examples with edited
weights and inputs) and ``node --test tests/js/`` holds the page's engine to Python's
engine at 1e-12·max(1, |value|). Node is Debian's ``nodejs``; in CI its absence fails.
"""
import json
import os
import subprocess
from pathlib import Path

import numpy as np

from conftest import EXAMPLES, require_program
from test_page import random_spec

import rnntrace
from rnntrace.layers import describe
from rnntrace.layers.base import FUNCTION_SYMBOLS
from rnntrace.render.explain import record_lines
from rnntrace.render.page import SCRIPT_MODULES, module

HERE = Path(__file__).parent
KINDS = ["elman", "jordan", "lstm", "gru", "dense", "bidirectional"]


def _case(name, spec, params_from=None):
    """One corpus case: the descriptions and inputs the page holds, the weights the page
    runs with (``params_from``'s, an edited copy of the spec, when given) and Python's trace."""
    ran = params_from or spec
    layers = [describe(layer) for layer in spec.layers]
    params = {}
    for layer in ran.layers:
        params[layer.name] = _flat_params(describe(layer))
    trace = rnntrace.run(ran)
    return {"name": name, "layers": layers, "inputs": ran.inputs.tolist(), "params": params,
            "steps": trace.to_dict()["steps"], "explain": _explain(trace),
            "labels": [layer.type == "dense" and layer.labels is not None for layer in ran.layers],
            "dtype": trace.to_dict().get("dtype", "float64")}


def _explain(trace):
    """Per step, per layer, the lines ``run --explain`` writes, as (lhs, rest) pairs."""
    out = []
    for step in trace:
        x, per_layer = step.x, []
        for layer in trace.spec.layers:
            record = step.layers[layer.name]
            per_layer.append([list(line) for line in record_lines(layer, record, x, 4)])
            x = record.output
        out.append(per_layer)
    return out


def _flat_params(desc, prefix="", out=None):
    out = {} if out is None else out
    for key, value in (desc.get("parameters") or {}).items():
        out[prefix + key] = value
    for side in ("forward", "backward"):
        if side in desc:
            _flat_params(desc[side], f"{prefix}{side}.", out)
    return out


def _edited(path, seed):
    """The spec at path with every weight moved a little and one input changed."""
    spec = rnntrace.load_spec(str(path))
    rng = np.random.default_rng(seed)
    for layer in spec.layers:
        for array in _arrays(layer):
            array += rng.normal(0, 0.3, array.shape)
    spec.inputs[-1, 0] = 0.5
    return spec


def _arrays(layer):
    for side in ("forward", "backward"):
        inner = getattr(layer, side, None)
        if inner is not None and hasattr(inner, "parameters"):
            yield from _arrays(inner)
    yield from (a for a in layer.parameters().values() if isinstance(a, np.ndarray) and a.dtype.kind == "f")


def corpus():
    cases = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        spec = rnntrace.load_spec(str(path))
        cases.append(_case(path.name, spec))
        cases.append(_case(f"{path.name} edited", spec, _edited(path, 0)))
    for kind in KINDS:
        for seed in range(8):
            cases.append(_case(f"random {kind} {seed}", random_spec(kind, seed)))
    return {"cases": cases, "symbols": FUNCTION_SYMBOLS}


def test_the_page_engine_agrees_with_python_under_node(tmp_path):
    node = require_program("node", "apt-get install nodejs")
    data = corpus()
    # the edits are real: an edited example's trace differs from the example's
    plain = {c["name"]: c for c in data["cases"]}
    assert plain["lstm_example.yaml"]["steps"] != plain["lstm_example.yaml edited"]["steps"]
    (tmp_path / "corpus.json").write_text(json.dumps(data), encoding="utf-8")
    for name in SCRIPT_MODULES:
        (tmp_path / name).write_text(module(name), encoding="utf-8")
    done = subprocess.run([node, "--test", str(HERE / "js")], capture_output=True, text=True,
                          env=dict(os.environ, RNNTRACE_MODULES=str(tmp_path)))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"# pass {2 * len(data['cases']) + 2}" in done.stdout, done.stdout[-2000:]
