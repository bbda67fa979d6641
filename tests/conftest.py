"""Shared by the test files: where the examples are, PyTorch for the parity tests, and
the few helpers several files need (the sigmoid written out, strict JSON, the shipped
schemas). Import them with ``from conftest import …``."""
import functools
import json
import math
import os
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def sigmoid(z):
    """The logistic sigmoid written out, 1 / (1 + e^−z): the tests' own, not the engine's."""
    return 1.0 / (1.0 + math.exp(-z))


def strict_json(text):
    """Parse JSON as RFC 8259 has it: a NaN or Infinity token is an error, not a number."""
    def refuse(token):
        raise ValueError(f"not strict JSON: {token}")
    return json.loads(text, parse_constant=refuse)


def schema(name):
    """A JSON Schema as the package ships it (rnntrace/schemas/NAME)."""
    return json.loads(resources.files("rnntrace").joinpath(f"schemas/{name}").read_text("utf-8"))


def in_ci():
    """True where CI=true (or any value but empty, 0, false, no) is set."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require_program(name, install):
    """The path of a program the tests need (pdflatex, chromium); in CI its absence is a
    failure, since .ci/run installs it, elsewhere a skip that says how to install it."""
    import shutil
    path = shutil.which(name)
    if path is None:
        if in_ci():
            pytest.fail(f"{name} is not installed, but .ci/run installs it ({install})")
        pytest.skip(f"{name} is not installed ({install})")
    return path


def require_module(name, why):
    """A Python module of the test extra (IPython for the notebook test); in CI its
    absence is a failure, since .ci/run installs '.[test]', elsewhere a skip."""
    import importlib
    try:
        return importlib.import_module(name)
    except ImportError:
        if in_ci():
            pytest.fail(f"{name} is not installed, but .ci/run installs it with '.[test]' ({why})")
        pytest.skip(f"{name} is not installed (pip install -e '.[test]'; {why})", allow_module_level=True)


def require_torch():
    """PyTorch for the parity tests; in CI its absence is a failure, not a skip."""
    try:
        import torch
    except ImportError:
        if in_ci():
            pytest.fail("PyTorch is not installed, but CI must run the parity tests")
        pytest.skip("PyTorch is not installed (pip install -e '.[test]')")
    torch.set_default_dtype(torch.float64)
    return torch


def require_keras():
    """Keras 3 on the torch backend (no TensorFlow); in CI its absence is a failure.

    Keras 3 follows JAX's default of 32-bit results: its type promotion maps float64 to
    float32 (keras.src.backend.common.dtypes.BIT64_TO_BIT32_DTYPE), so a layer built
    with dtype="float64" still multiplies in float32 and agrees with float64 only to
    ~1e-7. The ``keras64`` fixture lifts that map for the test, so that a comparison
    really runs in float64."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        if in_ci():
            pytest.fail("Keras is not installed, but CI must run the Keras comparisons")
        pytest.skip("Keras is not installed (pip install -e '.[test]')")
    return keras


@pytest.fixture
def keras64(monkeypatch):
    keras = require_keras()
    from keras.src.backend.common import dtypes
    for wide in ("float64", "int64"):
        monkeypatch.delitem(dtypes.BIT64_TO_BIT32_DTYPE, wide, raising=False)
    return keras


@pytest.fixture
def torch():
    return require_torch()


@pytest.fixture
def examples():
    return EXAMPLES


# --------------------------------------------------------------------------- markers
#
# `browser`: a test that drives Chromium (a module that uses Playwright); `-m "not
# browser"` is the quick loop (CONTRIBUTING.md). `full`: the cases of the heaviest sweeps
# that the default run leaves out. Each sweep below runs, by default, a sample of its
# cases drawn with a fixed seed (the same on every run and every xdist worker); `-m full`
# runs the others, so that the default run and `-m full` together run every case
# (.ci/run runs both).

#: test function → how many of its cases the default run takes
SAMPLED = {
    "tests/test_page.py::test_every_example_page_shows_the_json_trace_at_every_step": 4,
    "tests/test_page.py::test_clicking_every_number_shows_the_explain_arithmetic": 3,
    "tests/test_page_cli.py::test_every_quantity_gets_the_line_that_computes_it": 6,
    "tests/test_page_cli.py::test_each_example_page_is_small_self_contained_and_embeds_the_exact_trace": 6,
    "tests/test_worksheet.py::test_every_examples_latex_sheet_fits_the_page": 5,
    "tests/test_schema.py::test_the_trace_of_every_example_fits_the_schema": 6,
    "tests/test_schema.py::test_the_jsonl_of_every_example_fits_the_schema": 6,
    "tests/test_schema.py::test_the_check_report_of_every_example_fits_the_schema": 6,
    "tests/test_new.py::test_random_exercises_are_integer_exact": 30,
    "tests/test_torch_parity.py::test_rnn": 12,
    "tests/test_torch_parity.py::test_gated": 12,
    "tests/test_torch_parity.py::test_bidirectional": 12,
    "tests/test_grad_fd.py::test_squared_error_gradients_match_finite_differences": 9,
    "tests/test_grad_inputs.py::test_input_and_initial_state_gradients_match_finite_differences": 9,
    "tests/test_grad_inputs.py::test_upstream_gradients_match_finite_differences_of_their_sum": 9,
    "tests/test_float32.py::test_every_array_of_a_float32_run_and_backprop_is_float32": 6,
    "tests/test_terminal.py::test_laid_out_text_draws_exactly_as_rich_wraps_it": 6,
    "tests/test_terminal.py::test_a_step_frame_draws_exactly_as_the_rich_panel_it_stands_for": 6,
}
SAMPLE_SEED = 19


@functools.lru_cache(maxsize=None)
def _uses_playwright(path):
    """A test module that drives a browser: its text names Playwright."""
    try:
        return "playwright" in Path(path).read_text(encoding="utf-8")
    except OSError:
        return False


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    import random
    sweeps = {}
    for item in items:
        if "browser" in item.fixturenames or _uses_playwright(str(item.fspath)):
            item.add_marker(pytest.mark.browser)
        sweeps.setdefault(item.nodeid.split("[")[0], []).append(item)
    for name, keep in SAMPLED.items():
        cases = sorted(sweeps.get(name, ()), key=lambda item: item.nodeid)
        if len(cases) <= keep:
            continue
        chosen = set(random.Random(f"{SAMPLE_SEED}:{name}").sample(range(len(cases)), keep))
        for i, item in enumerate(cases):
            if i not in chosen:
                item.add_marker(pytest.mark.full)
    if "full" not in (config.option.markexpr or ""):
        # a test named on the command line (file::test or file::test[case]) runs all the same
        named = [(Path(arg.partition("::")[0]).name, arg.partition("::")[2]) for arg in config.args if "::" in arg]

        def asked(item):
            file, _, test = item.nodeid.partition("::")
            return any(Path(file).name == f and test.startswith(t) for f, t in named)

        skipped = [item for item in items if item.get_closest_marker("full") and not asked(item)]
        if skipped:
            config.hook.pytest_deselected(items=skipped)
            left_out = set(map(id, skipped))
            items[:] = [item for item in items if id(item) not in left_out]
