"""Streams: a closed pipe (``| head -1``) ends quietly in every format, Ctrl-C ends
without a traceback, and ``-`` reads the spec from standard input. These run the real
program in a separate process, since the behaviour depends on real pipes and signals."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rnntrace.cli import main

FORMATS = ["table", "json", "jsonl", "csv", "markdown", "latex"]
TABLE = ["--panels", "--steps", "1:15"]   # about 100 KB of panels


@pytest.fixture(scope="module")
def long_spec(tmp_path_factory):
    """An LSTM over 150 steps: every format prints more than a pipe holds (64 KB);
    the table view's panels do so within 15 steps."""
    rng = np.random.default_rng(6)
    blocks = {b: {"W": rng.normal(size=(8, 4)).round(3).tolist(), "U": rng.normal(size=(8, 8)).round(3).tolist()}
              for b in ("cell_input", "input_gate", "forget_gate", "output_gate")}
    spec = {"title": "long", "inputs": rng.normal(size=(150, 4)).round(3).tolist(),
            "layers": [{"name": "lstm", "type": "lstm", "size": 8, **blocks}]}
    path = tmp_path_factory.mktemp("streams") / "long.yaml"
    path.write_text(json.dumps(spec))   # JSON is YAML
    return path


def command(*args):
    return [sys.executable, "-m", "rnntrace", *args]


def environment():
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    env["PYTHONWARNINGS"] = "default"   # show anything Python would warn about at exit
    return env


@pytest.mark.parametrize("fmt", FORMATS)
def test_head_closes_the_pipe_quietly(long_spec, fmt):
    extra = TABLE if fmt == "table" else []
    script = " ".join(command("run", str(long_spec), "--format", fmt, *extra)) + " | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", script], capture_output=True, text=True,
                          env=environment(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert len(done.stdout.splitlines()) == 1 and done.stdout.strip()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "table"])
def test_a_reader_that_goes_away_midway(long_spec, fmt):
    # Read one line, then close our end while the program is still writing.
    extra = TABLE if fmt == "table" else []
    process = subprocess.Popen(command("run", str(long_spec), "--format", fmt, *extra),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment())
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert first.strip()
    assert process.returncode == 0, stderr
    assert stderr == ""


def test_ctrl_c_ends_without_a_traceback(long_spec):
    process = subprocess.Popen(command("run", str(long_spec), "--format", "jsonl"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment())
    header = json.loads(process.stdout.readline())
    assert header["format"] == "rnntrace.trace/1"
    # The program is now blocked writing into the full pipe: interrupt it there.
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert stderr.decode() == "Interrupted.\n"


def test_stdin_with_dash_in_a_real_pipe(examples):
    text = (examples / "lstm_example.yaml").read_bytes()
    done = subprocess.run(command("run", "-", "--format", "json"), input=text, capture_output=True,
                          env=environment(), timeout=60)
    assert done.returncode == 0 and done.stderr == b""
    trace = json.loads(done.stdout)
    assert trace["title"] == "The lecture's LSTM unit"
    # The cell holds 3 after step 1 (g = 3, input gate σ(90), forget gate σ(110) on c = 0).
    assert trace["steps"][0]["layers"]["lstm"]["c"][0] == pytest.approx(3.0, rel=1e-12)


def test_empty_stdin_is_an_empty_spec():
    result = CliRunner().invoke(main, ["validate", "-"], input="")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "Error: <stdin>: the spec is empty; it needs at least 'inputs' and 'layers'\n"


def test_a_failing_run_writes_nothing_to_stdout():
    # The second layer does not fit the first: no half of a trace may appear.
    spec = ("inputs: [[1, 2]]\nlayers:\n  - {type: elman, size: 3, W: 1, U: 1}\n"
            "  - {type: dense, size: 1, W: [1, 2]}\n")
    for fmt in ("json", "jsonl", "table"):
        result = CliRunner().invoke(main, ["run", "-", "--format", fmt], input=spec)
        assert result.exit_code == 2 and result.stdout == ""


def test_a_full_disk_is_one_line():
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        done = subprocess.run(command("run", "lstm_example.yaml", "--format", "json"), stdout=full,
                              stderr=subprocess.PIPE, text=True, env=environment(), timeout=60)
    assert done.returncode == 2
    assert done.stderr == "Error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("fmt", ["json", "jsonl", "table"])
def test_a_closed_standard_output_is_one_line(fmt):
    script = " ".join(command("run", "lstm_example.yaml", "--format", fmt)) + " >&-"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=environment(), timeout=60)
    assert done.returncode == 2
    assert done.stderr == "Error: cannot write the output: standard output is closed\n"
