"""``inputs: {file: data.npy}`` and ``.csv``: long inputs without a giant YAML file.

The file is read relative to the spec's folder (``-`` specs: the current folder),
without pickle or eval, and checked like inline inputs: shape, NaN and infinity end
with exit code 2 and a message naming the file and the key path.
"""
import json
import os
import re

import numpy as np
import pytest
from click.testing import CliRunner

from rnntrace.cli import main
from rnntrace.errors import SpecError
from rnntrace.spec import load_spec, spec_from_text

# The lecture's basic RNN (every weight 1): by hand, step 1 hidden = 1+1+0+0 = 2,
# output 2+2 = 4; step 2 hidden = 1+1+2+2 = 6, output 12; step 3 hidden = 2+2+6+6 = 16,
# output 32.
BASIC_LAYERS = """layers:
  - {name: hidden, type: elman, size: 2, activation: linear, W: 1, U: 1, b: 0}
  - {name: output, type: dense, size: 2, activation: linear, W: 1}
"""
BASIC_INPUTS = [[1, 1], [1, 1], [2, 2]]
BASIC_OUTPUTS = [[4, 4], [12, 12], [32, 32]]


def write_spec(folder, inputs_line, layers=BASIC_LAYERS, name="spec.yaml"):
    path = folder / name
    path.write_text(inputs_line + "\n" + layers)
    return path


def run_cli(args, **kwargs):
    return CliRunner().invoke(main, args, **kwargs)


def outputs(result):
    assert result.exit_code == 0, result.output
    return [step["y"] for step in json.loads(result.output)["steps"]]


# --------------------------------------------------------------------------- reading

def test_npy_inputs_give_the_lectures_outputs(tmp_path):
    np.save(tmp_path / "x.npy", np.array(BASIC_INPUTS, dtype=np.float64))
    spec = write_spec(tmp_path, "inputs: {file: x.npy}")
    assert outputs(run_cli(["run", str(spec), "--format", "json"])) == BASIC_OUTPUTS


def test_csv_inputs_with_header_comments_and_blank_lines(tmp_path):
    (tmp_path / "x.csv").write_text("# three steps of two inputs\nx1,x2\n1,1\n\n1, 1\n2,2  # last\n")
    spec = write_spec(tmp_path, "inputs: {file: x.csv}")
    assert outputs(run_cli(["run", str(spec), "--format", "json"])) == BASIC_OUTPUTS


def test_integer_npy_is_read_as_float64(tmp_path):
    np.save(tmp_path / "x.npy", np.array(BASIC_INPUTS, dtype=np.int32))
    spec = load_spec(write_spec(tmp_path, "inputs: {file: x.npy}"))
    assert spec.inputs.dtype == np.float64
    assert spec.inputs.tolist() == [[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]]


def test_a_flat_array_is_one_input_per_step(tmp_path):
    # One linear unit with W = 2, U = 0.5: h_t = 2·x_t + 0.5·h_{t−1}:
    # x = 1, 2, 3 gives h = 2, 4 + 1 = 5, 6 + 2.5 = 8.5.
    np.save(tmp_path / "x.npy", np.array([1.0, 2.0, 3.0]))
    spec = write_spec(tmp_path, "inputs: {file: x.npy}",
                      "layers:\n  - {type: elman, size: 1, activation: linear, W: 2, U: 0.5}\n")
    assert outputs(run_cli(["run", str(spec), "--format", "json"])) == [[2.0], [5.0], [8.5]]


def test_the_file_is_found_beside_the_spec_not_in_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "specs").mkdir()
    (tmp_path / "elsewhere").mkdir()
    np.save(tmp_path / "specs" / "x.npy", np.array(BASIC_INPUTS, dtype=np.float64))
    spec = write_spec(tmp_path / "specs", "inputs: {file: x.npy}")
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = run_cli(["run", os.path.relpath(spec, tmp_path / "elsewhere"), "--format", "json"])
    assert outputs(result) == BASIC_OUTPUTS


def test_a_spec_from_stdin_reads_the_file_from_the_current_folder(tmp_path, monkeypatch):
    np.save(tmp_path / "x.npy", np.array(BASIC_INPUTS, dtype=np.float64))
    monkeypatch.chdir(tmp_path)
    result = run_cli(["run", "-", "--format", "json"], input="inputs: {file: x.npy}\n" + BASIC_LAYERS)
    assert outputs(result) == BASIC_OUTPUTS


def test_jsonl_of_a_long_file_streams_every_step(tmp_path):
    # h_t = x_t + h_{t−1} with x_t = 1: the running count, so step t outputs t.
    steps = 3000
    np.save(tmp_path / "ones.npy", np.ones((steps, 1)))
    spec = write_spec(tmp_path, "inputs: {file: ones.npy}",
                      "layers:\n  - {type: elman, size: 1, activation: linear, W: 1, U: 1}\n")
    result = run_cli(["run", str(spec), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == steps + 1
    assert json.loads(lines[0])["format"] == "rnntrace.trace/1"
    assert json.loads(lines[-1])["y"] == [float(steps)]


# --------------------------------------------------------------------------- refusing

def error_of(result):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize("bad, what", [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")])
def test_non_finite_numbers_in_npy_name_the_file_step_and_key_path(tmp_path, bad, what):
    x = np.array(BASIC_INPUTS, dtype=np.float64)
    x[1, 0] = bad
    np.save(tmp_path / "x.npy", x)
    spec = write_spec(tmp_path, "title: t\ninputs: {file: x.npy}")
    message = error_of(run_cli(["run", str(spec)]))
    assert re.search(r"spec\.yaml:2:\d+: inputs\.file: x\.npy: step 2, input 1: .*" + what, message)


def test_non_finite_numbers_in_csv_are_refused(tmp_path):
    (tmp_path / "x.csv").write_text("1,1\n1,.nan\n2,2\n")
    message = error_of(run_cli(["validate", str(write_spec(tmp_path, "inputs: {file: x.csv}"))]))
    assert "inputs.file: x.csv: step 2, input 2" in message and "NaN" in message


def test_csv_text_is_refused_with_its_line(tmp_path):
    (tmp_path / "x.csv").write_text("1,1\n1,__import__('os')\n")
    message = error_of(run_cli(["validate", str(write_spec(tmp_path, "inputs: {file: x.csv}"))]))
    assert "x.csv: line 2, column 3: expected a number" in message


def test_ragged_csv_is_refused(tmp_path):
    (tmp_path / "x.csv").write_text("1,1\n1,1,1\n")
    message = error_of(run_cli(["validate", str(write_spec(tmp_path, "inputs: {file: x.csv}"))]))
    assert "line 2: expected 2 numbers (as in the first row), found 3" in message


class Marker:
    """Unpickling this would create a file: the test checks it never happens."""

    path = None

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_pickled_objects_are_never_loaded(tmp_path):
    marker = tmp_path / "unpickled"
    Marker.path = marker
    np.save(tmp_path / "x.npy", np.array([Marker()], dtype=object), allow_pickle=True)
    message = error_of(run_cli(["run", str(write_spec(tmp_path, "inputs: {file: x.npy}"))]))
    assert "expected an array of numbers, found Python objects" in message
    assert not marker.exists()


def test_width_that_does_not_fit_the_first_layer_is_the_usual_error(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((4, 3)))
    layers = "layers:\n  - {type: elman, size: 2, W: [[1, 1], [1, 1]], U: 1}\n"
    message = error_of(run_cli(["validate", str(write_spec(tmp_path, "inputs: {file: x.npy}", layers))]))
    assert "layers[0]" in message and "3 = the number of inputs" in message


@pytest.mark.parametrize("setup, inputs_line, expected", [
    (lambda d: None, "inputs: {file: missing.npy}", "missing.npy: file not found"),
    (lambda d: (d / "x.txt").write_text("1\n"), "inputs: {file: x.txt}", "expected a .npy or .csv file"),
    (lambda d: np.save(d / "x.npy", np.ones((2, 2, 2))), "inputs: {file: x.npy}", "found 3 dimensions"),
    (lambda d: np.save(d / "x.npy", np.ones((0, 2))), "inputs: {file: x.npy}", "non-empty list of time steps"),
    (lambda d: np.save(d / "x.npy", np.array(["a", "b"])), "inputs: {file: x.npy}", "expected an array of numbers"),
    (lambda d: (d / "x.npy").write_bytes(b"not numpy"), "inputs: {file: x.npy}", "cannot read it as npy"),
    (lambda d: (d / "x.csv").write_text(""), "inputs: {file: x.csv}", "non-empty list of time steps"),
    (lambda d: None, "inputs: {file: 3}", "expected the name of a .npy or .csv file"),
    (lambda d: None, "inputs: {fil: x.npy}", "unknown key 'fil'"),
])
def test_bad_input_files_end_with_one_message(tmp_path, setup, inputs_line, expected):
    setup(tmp_path)
    message = error_of(run_cli(["validate", str(write_spec(tmp_path, inputs_line))]))
    assert expected in message
    assert "spec.yaml:1:" in message and "inputs" in message
    assert len(message.strip().splitlines()) == 1


def test_spec_from_text_reads_relative_to_the_given_folder(tmp_path):
    np.save(tmp_path / "x.npy", np.array(BASIC_INPUTS, dtype=np.float64))
    spec = spec_from_text("inputs: {file: x.npy}\n" + BASIC_LAYERS, "t.yaml", folder=tmp_path)
    assert spec.inputs.shape == (3, 2)
    with pytest.raises(SpecError, match="file not found"):
        spec_from_text("inputs: {file: x.npy}\n" + BASIC_LAYERS, "t.yaml", folder=tmp_path / "nowhere")


# --------------------------------------------------------------------------- inline inputs

@pytest.mark.parametrize("bad, expected", [
    (".nan", "expected a number, found NaN"),
    ("1e999", "expected a finite number, found infinity"),
    ("1" + "0" * 400, "expected a number within ±1.8e308, found an integer of 401 digits"),
    ("true", "expected a number, found true"),
    ("'3'", "expected a number, found the text '3'"),
])
def test_long_inline_inputs_name_the_bad_number(tmp_path, bad, expected):
    # Whole rows of plain numbers are converted at once; a bad one is still found and placed.
    rows = [[float(t), 1.0] for t in range(1, 1001)]
    text = "inputs:\n" + "".join(f"  - [{a}, {b}]\n" for a, b in rows[:700])
    text += f"  - [3, {bad}]\n" + "".join(f"  - [{a}, {b}]\n" for a, b in rows[701:])
    path = write_spec(tmp_path, text.rstrip("\n"))
    message = error_of(run_cli(["validate", str(path)]))
    assert f"spec.yaml:{2 + 700}:" in message and "inputs[700][1]" in message
    assert expected in message


def test_long_inline_inputs_keep_their_values(tmp_path):
    rows = [[t * 0.5, -t, 1e-300 * t] for t in range(1, 2001)]
    text = "inputs:\n" + "".join(f"  - [{a!r}, {b}, {c!r}]\n" for a, b, c in rows)
    spec = load_spec(write_spec(tmp_path, text.rstrip("\n"),
                                "layers:\n  - {type: elman, size: 1, W: [[1, 1, 1]], U: 1}\n"))
    assert spec.inputs.dtype == np.float64
    assert spec.inputs.tolist() == rows


# --------------------------------------------------------------------------- streaming

class _Discard:
    """A standard output that forgets what is written to it."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass


def _jsonl_peak_bytes(tmp_path, steps: int) -> int:
    import sys
    import tracemalloc
    np.save(tmp_path / f"x{steps}.npy", np.linspace(-1.0, 1.0, steps * 2).reshape(steps, 2))
    bounded = "layers:\n  - {type: elman, size: 2, activation: tanh, W: 1, U: 0.5}\n"
    spec = write_spec(tmp_path, f"inputs: {{file: x{steps}.npy}}", bounded, name=f"s{steps}.yaml")
    saved = sys.stdout
    sys.stdout = _Discard()
    tracemalloc.start()
    try:
        main.main(["run", str(spec), "--format", "jsonl"], prog_name="rnntrace", standalone_mode=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        sys.stdout = saved
    return peak


def test_jsonl_from_the_command_line_does_not_hold_the_trace(tmp_path):
    # Ten times the steps: a run that kept every step would need about ten times the
    # memory (here ~1 kB a step: 10 MB more); a streaming one needs the same, plus the
    # inputs (16 bytes a step).
    small = _jsonl_peak_bytes(tmp_path, 1_000)
    large = _jsonl_peak_bytes(tmp_path, 10_000)
    assert large < small + 10_000 * 100


def test_a_csv_error_quotes_only_the_start_of_a_field(tmp_path):
    # A spec may name any file; its error shows a few characters of it, not whole lines.
    (tmp_path / "x.csv").write_text("1,1\nroot:x:0:0:root:/root:/bin/bash,1\n")
    message = error_of(run_cli(["validate", str(write_spec(tmp_path, "inputs: {file: x.csv}"))]))
    assert "line 2, column 1: expected a number, found 'root:x:0:0:root:/roo'…" in message
    assert "/bin/bash" not in message


@pytest.mark.parametrize("first", ["1_000", "１", "٣", "1_0,2", "nan"])
def test_a_first_line_python_reads_as_numbers_is_refused_not_taken_for_a_header(tmp_path, first):
    # The README: CSV numbers are written as inline YAML writes them, so not 1_000 or
    # fullwidth/Arabic-Indic digits, which float() would read; such a line is not a
    # header of names either (it would be skipped silently and the steps shifted).
    (tmp_path / "x.csv").write_text(f"{first}\n1,1\n", encoding="utf-8")
    result = run_cli(["run", str(write_spec(tmp_path, "inputs: {file: x.csv}")), "--format", "json"])
    assert result.exit_code == 2
    assert "x.csv: line 1, column 1: expected a number, found " in result.output
    assert "Traceback" not in result.output


def test_a_header_of_names_is_still_skipped(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,1\n1,1\n2,2\n", encoding="utf-8")
    assert outputs(run_cli(["run", str(write_spec(tmp_path, "inputs: {file: x.csv}")),
                            "--format", "json"])) == BASIC_OUTPUTS


def test_a_float64_npy_is_memory_mapped_and_gives_the_same_steps(tmp_path):
    from rnntrace.inputfiles import MappedInputs
    np.save(tmp_path / "x.npy", np.array(BASIC_INPUTS, dtype=np.float64))
    spec = load_spec(str(write_spec(tmp_path, "inputs: {file: x.npy}")))
    assert isinstance(spec.inputs, MappedInputs)
    assert [type(x) for x in spec.inputs] == [np.ndarray] * 3   # rows as plain arrays
    assert outputs(run_cli(["run", str(tmp_path / "spec.yaml"), "--format", "json"])) == BASIC_OUTPUTS
    np.save(tmp_path / "x.npy", np.array(BASIC_INPUTS, dtype=np.float32))   # read whole, converted
    assert not isinstance(load_spec(str(tmp_path / "spec.yaml")).inputs, MappedInputs)
    assert outputs(run_cli(["run", str(tmp_path / "spec.yaml"), "--format", "json"])) == BASIC_OUTPUTS


def test_a_mapped_file_is_checked_for_finiteness_chunk_by_chunk(tmp_path, monkeypatch):
    import rnntrace.inputfiles
    monkeypatch.setattr(rnntrace.inputfiles, "_CHUNK_BYTES", 64)   # 4 rows of 2 float64 a chunk
    values = np.ones((50, 2))
    values[37, 1] = np.inf
    np.save(tmp_path / "x.npy", values)
    result = run_cli(["run", str(write_spec(tmp_path, "inputs: {file: x.npy}")), "--format", "jsonl"])
    assert result.exit_code == 2
    assert "x.npy: step 38, input 2: expected a finite number, found infinity" in result.output
    values[37, 1] = 1.0
    np.save(tmp_path / "x.npy", values)
    lines = run_cli(["run", str(tmp_path / "spec.yaml"), "--format", "jsonl"]).output.splitlines()
    assert len(lines) == 51 and json.loads(lines[-1])["x"] == [1.0, 1.0]


def test_a_truncated_npy_is_refused(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((100, 2)))
    raw = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "x.npy").write_bytes(raw[:-8])
    result = run_cli(["run", str(write_spec(tmp_path, "inputs: {file: x.npy}")), "--format", "jsonl"])
    assert result.exit_code == 2 and "x.npy: cannot read it as npy numbers" in result.output


def test_a_npy_shortened_while_a_run_reads_it_ends_the_run_with_a_message(tmp_path):
    # Reading a mapped page past a file's new end kills the process with SIGBUS: the rows
    # are copied out of the file with pread instead, and a short read is an error (exit 2).
    import subprocess
    import sys
    from conftest import ROOT
    np.save(tmp_path / "x.npy", np.full((200_000, 2), 0.5))
    spec = write_spec(tmp_path, "inputs: {file: x.npy}",
                      layers="layers:\n  - {name: hidden, type: elman, size: 2, activation: tanh, W: 0.5, U: 0.5}\n")
    code = ("import sys, rnntrace.inputfiles\nrnntrace.inputfiles._CHUNK_BYTES = 1 << 16   # 4,096 rows a block\n"
            "from rnntrace.cli import main\nsys.argv[0] = 'rnntrace'\nmain()")
    run = subprocess.Popen([sys.executable, "-c", code, "run", str(spec), "--format", "jsonl"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(tmp_path),
                           env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert b'rnntrace.trace/1' in run.stdout.readline()   # the run has begun (orjson or json)
    os.truncate(tmp_path / "x.npy", 128 + 16 * 1_000)     # the header and 1,000 of the 200,000 rows
    lines = run.stdout.read().splitlines()
    error = run.stderr.read().decode()
    assert run.wait(timeout=60) == 2, error                # not -7 (SIGBUS)
    assert error.startswith("Error: x.npy: the file became shorter while it was read") and error.count("\n") == 1
    assert 1_000 <= len(lines) < 200_000 and json.loads(lines[-1])["t"] == len(lines)


def test_a_csv_with_a_byte_order_mark_reads_the_same(tmp_path):
    (tmp_path / "x.csv").write_bytes(b"\xef\xbb\xbf1,1\n1,1\n2,2\n")
    assert outputs(run_cli(["run", str(write_spec(tmp_path, "inputs: {file: x.csv}")),
                            "--format", "json"])) == BASIC_OUTPUTS
    (tmp_path / "x.csv").write_bytes(b"\xef\xbb\xbf1,1\n1,\xff\n")
    result = run_cli(["run", str(tmp_path / "spec.yaml"), "--format", "json"])
    assert result.exit_code == 2 and "x.csv: not a text file: byte 9 is not UTF-8" in result.output
