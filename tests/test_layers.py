"""The layer homes: every description says what the engine computes, the views name no
gate themselves, and the modules import each other without a cycle."""
import re

import numpy as np
import pytest

import rnntrace
from rnntrace.layers import TYPES, describe, formula
from rnntrace.spec import spec_from_dict

from conftest import EXAMPLES, ROOT, schema
from test_grad_networks import build, dense, elman, gru, jordan, lstm, network
from test_grad_fd import NETWORKS

PACKAGE = ROOT / "rnntrace"


def engine_values(record, prefix=""):
    """Every array of a record by its path, as the trace names them."""
    out = {}
    for name in record.__dataclass_fields__:
        value = getattr(record, name)
        if name == "gates":
            for gate, g in value.items():
                out[f"{prefix}gates.{gate}.z"] = g.z
                out[f"{prefix}gates.{gate}.a"] = g.a
        elif isinstance(value, np.ndarray):
            out[prefix + name] = value
        elif value is not None and hasattr(value, "__dataclass_fields__"):
            out.update(engine_values(value, f"{prefix}{name}."))
    return out


def assert_descriptions_compute_the_trace(spec):
    trace = rnntrace.run(spec)
    described = formula.run([describe(layer) for layer in spec.layers], list(spec.inputs))
    for layer, steps in zip(spec.layers, described):
        for step, values in zip(trace, steps):
            for path, expected in engine_values(step.layers[layer.name]).items():
                assert path in values, (layer.name, path)
                np.testing.assert_allclose(values[path], expected, rtol=1e-12, atol=1e-14,
                                           err_msg=f"{layer.name}.{path} at step {step.t}")


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_s_descriptions_compute_its_trace(name):
    assert_descriptions_compute_the_trace(rnntrace.load_spec(EXAMPLES / name))


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_random_networks_descriptions_compute_their_trace(name):
    rng = np.random.default_rng(len(name))
    assert_descriptions_compute_the_trace(build(network(rng, NETWORKS[name], n_in=2, steps=4)))


def test_evaluate_recomputes_one_quantity_from_other_values():
    """A quantity from given values of what it reads: the cell from a student's gates."""
    spec = rnntrace.load_spec(EXAMPLES / "lstm_example.yaml")
    d = describe(spec.layers[0])
    values = {"gates.cell_input.a": np.array([3.0]), "gates.input_gate.a": np.array([1.0]),
              "c_prev": np.array([2.0]), "gates.forget_gate.a": np.array([0.5])}
    assert formula.evaluate(d, "c", values, np.array([3.0, 1.0, 0.0])).tolist() == [3 * 1 + 2 * 0.5]


def test_descriptions_are_plain_json():
    import json
    for path in EXAMPLES.glob("*.yaml"):
        spec = rnntrace.load_spec(path)
        for layer in spec.layers:
            text = json.dumps(describe(layer), allow_nan=False)
            assert json.loads(text)["name"] == layer.name


def test_every_type_has_a_home_with_the_whole_interface():
    needed = ("TYPE", "KEYS", "Layer", "Record", "build", "quantities", "heading", "describe", "explain",
              "legend", "grad_explain", "sheet_text", "activations", "initial_values", "ASK", "SUMMARY", "OUTPUT",
              "backward", "head")
    for name, home in TYPES.items():
        missing = [attr for attr in needed if not hasattr(home, attr)]
        assert not missing, (name, missing)
        assert home.Layer.home is home


# --------------------------------------------------------------------------- one home per type

LAYER_NAMES = ("forget_gate", "input_gate", "output_gate", "cell_input", "c_prev", "update_gate", "reset_gate",
               "y_prev", "z_out")
#: Framework importers and starter templates may name a framework's or a starter's gates.
EXEMPT = ("convert", "import_", "keras", "starters/", "packed")


def _code(text):
    """A module's text without its comments and docstrings: the maths a comment or a
    docstring writes out (c = g·i + c_prev·f) is not a second copy of the knowledge."""
    import io
    import tokenize
    kept, previous = [], tokenize.NEWLINE
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            continue
        if tok.type == tokenize.STRING and previous in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue   # a docstring (a string standing alone as a statement)
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok.type
        kept.append(tok.string)
    return " ".join(kept)


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if not any(part in rel for part in EXEMPT):
            yield rel, _code(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_a_layer_specific_name_appears_in_at_most_two_modules(name):
    found = [rel for rel, text in modules() if re.search(rf"\b{name}\b", text)]
    assert len(found) <= 2, found


def test_the_registry_checks_each_home_against_its_protocol():
    import types
    from rnntrace.layers import CompositeHome, LayerHome, _checked, composite
    elman = TYPES["elman"]
    assert isinstance(elman, LayerHome) and isinstance(TYPES["bidirectional"], CompositeHome)
    fake = types.ModuleType("fake")
    fake.__dict__.update({k: v for k, v in vars(elman).items() if k not in ("step", "legend")})
    with pytest.raises(TypeError, match="step, .*legend|legend, .*step"):
        _checked("fake", fake)
    spec = spec_from_dict({"inputs": [[1]], "layers": [{"type": "bidirectional", "forward": {
        "type": "elman", "size": 1, "W": 1, "U": 1}, "backward": {"type": "indrnn", "size": 1, "W": 1, "u": 1}}]})
    assert composite(spec.layers[0]) and not composite(spec.layers[0].forward)


def test_no_module_outside_the_homes_tests_a_layer_type_by_its_name():
    # The registry, the homes, the framework importers and the starters may name types;
    # every other module asks the home (layers.composite, an optional member filled in by
    # the registry, a field of the description): spec.py once asked hasattr(home,
    # "with_lexicon"), the figure `type in ("elman", "jordan")` for the a₁, a₂ names and
    # import-torch `"elman" in …` for its nonlinearity note (convert.unrecorded_nonlinearity).
    from rnntrace.layers import LAYER_TYPES
    found = {}
    for rel, text in modules():
        if rel.startswith("layers/") or rel.startswith("schemas/"):
            continue
        named = {t for t in LAYER_TYPES if re.search(rf"""["']{t}["']""", text)}
        if named or re.search(r"""hasattr\s*\(\s*[^)]*\bhome\b""", text):
            found[rel] = named
    for path in sorted((PACKAGE / "render" / "page_assets").glob("*.js")):   # the page's script too
        named = {t for t in LAYER_TYPES if re.search(rf"""["'`]{t}["'`]""", path.read_text(encoding="utf-8"))}
        if named:
            found[path.name] = named
    assert found == {}


def test_an_optional_member_a_home_leaves_out_is_filled_in_by_the_registry():
    # with_lexicon: the embedding names its rows by the lexicon's words; any other first
    # layer, composite or not, is given the lexicon and stays as it is
    from rnntrace.layers import OPTIONAL
    assert TYPES["embedding"].with_lexicon is not OPTIONAL["with_lexicon"]
    for kind in ("elman", "bidirectional"):
        assert TYPES[kind].with_lexicon is OPTIONAL["with_lexicon"]
    elman = {"type": "elman", "size": 1, "W": [[1, 2]], "U": 1}
    for layer in (elman, {"type": "bidirectional", "forward": elman, "backward": elman}):
        spec = spec_from_dict({"lexicon": ["yes", "no"], "inputs": "yes no", "layers": [layer]})
        assert spec.layers[0].type == layer["type"]
    spec = spec_from_dict({"lexicon": ["yes", "no"], "inputs": "yes no",
                           "layers": [{"type": "embedding", "size": 1, "E": [[1], [2]]}]})
    assert spec.layers[0].words == ("yes", "no")
