"""Specs and answers files written by someone with a motive (issue: grading under attack).

A teacher runs rnntrace on a class's files: none of them may crash it, read the
grader's files, act on the grader's terminal or spreadsheet, or make it work without
bound. Each case of the issue is a test here; the fuzz test (test_fuzz.py) keeps
looking for more.
"""
import io
import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import EXAMPLES, require_torch
from rnntrace.cli import main

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def run_cli(args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def refused(result):
    """Exit 2 with one line on standard error, no traceback; the line."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- crashes

@pytest.mark.parametrize("size", [".inf", ".nan", "1e400", "9" * 5000, "-.inf", "2.5"])
def test_a_size_that_is_not_a_whole_number_is_one_line(tmp_path, size):
    spec = write(tmp_path, "s.yaml", f"inputs: [1]\nlayers:\n  - {{type: dense, size: {size}, W: 1}}\n")
    line = refused(run_cli(["validate", spec]))
    assert "s.yaml:3:" in line and "layers[0].size: expected the size as a whole number" in line


@pytest.mark.parametrize("target", [".inf", ".nan", "-.inf", "1e400"])
def test_a_cross_entropy_target_that_is_not_finite_is_one_line(tmp_path, target):
    spec = write(tmp_path, "s.yaml", "inputs: [1]\nlayers:\n"
                 "  - {type: dense, size: 2, W: 1, activation: softmax, labels: [a, b]}\n"
                 f"train: {{loss: cross_entropy, targets: [{target}]}}\n")
    for command in ("validate", "grad"):
        line = refused(run_cli([command, spec]))
        assert "train.targets[0]: expected a label or a unit index from 0 to 1" in line


def test_the_chart_of_values_spanning_more_than_float64_draws(tmp_path):
    # y = 1e308·x: 1e308 then −1e308, both finite; their span (2e308) is not.
    spec = write(tmp_path, "s.yaml", "inputs: [1, -1]\nlayers:\n  - {type: dense, size: 1, W: 1e308}\n")
    result = run_cli(["run", spec, "--chart"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("dense y"))
    assert "█▁" in row   # the highest, then the lowest bar
    assert result.stderr == ""


def overflowing_loss_spec(tmp_path):
    # Four steps of y = 1.2e154·1 with target 0: each step's loss ½·(1.2e154)² = 7.2e307
    # is finite, their sum 2.88e308 is not.
    return write(tmp_path, "s.yaml", "inputs: [1, 1, 1, 1]\nlayers:\n  - {type: dense, size: 1, W: 1.2e154}\n"
                 "train: {targets: [0, 0, 0, 0]}\n")


def test_grad_when_finite_step_losses_overflow_in_their_sum(tmp_path):
    step_loss = 0.5 * 1.2e154 ** 2
    assert math.isfinite(step_loss) and not math.isfinite(4 * step_loss)
    result = run_cli(["grad", overflowing_loss_spec(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["loss"] is None            # +inf, null in strict JSON
    assert [s["loss"] for s in report["steps"]] == [step_loss] * 4
    table = run_cli(["grad", overflowing_loss_spec(tmp_path)])
    assert table.exit_code == 0 and "Traceback" not in table.output


def test_surface_when_finite_step_losses_overflow_in_their_sum(tmp_path):
    result = run_cli(["surface", overflowing_loss_spec(tmp_path), "--param", "dense.W",
                      "--range", "1:1.2e154:2", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    # w = 1: each step's loss is ½·1² = 0.5, four steps 2; w = 1.2e154: +inf, an empty cell.
    assert rows[1].split(",")[1] == "2.0"
    assert rows[2].split(",")[1] == ""


def test_markup_in_a_layer_name_and_label_is_shown_as_written(tmp_path):
    spec = write(tmp_path, "s.yaml", 'inputs: [1]\nlayers:\n'
                 '  - {type: dense, name: "[/x]", size: 2, W: 1, activation: softmax, labels: ["[/b]", "[red]"]}\n'
                 'train: {loss: cross_entropy, targets: ["[/b]"]}\n')
    for args in (["grad", spec], ["grad", spec, "--explain"], ["run", spec], ["run", spec, "--explain"]):
        result = run_cli(args)
        assert result.exit_code == 0, (args, result.output, result.exception)
        assert "[/x]" in result.output and "[red]" in result.output


def test_a_submissions_folder_named_like_markup_is_shown_as_written(tmp_path, monkeypatch):
    spec = EXAMPLES / "lstm_example.yaml"
    key = run_cli(["answers", spec, "--ask", "c"]).output
    folder = tmp_path / "["
    folder.mkdir()
    # The paths read "[/a].yaml", "[/x]…": rich would read closing tags there.
    files = [write(folder, "a].yaml", key), write(folder, "x].yaml", key), folder / "x][red]missing.yaml"]
    monkeypatch.chdir(tmp_path)
    result = run_cli(["check", spec, *[f.relative_to(tmp_path) for f in files]])
    assert result.exit_code == 1, result.output      # the missing file: its own row, scoring 0
    shown = result.stdout   # the folder may head the table ("in [/"), its files in the rows
    assert ("[/a].yaml" in shown or ("[/" in shown and "a].yaml" in shown)) and "x][red]missing.yaml" in shown
    assert "2 all right" in result.output


def test_import_torch_without_recurrent_weights_is_one_line(tmp_path):
    torch = require_torch()
    state = torch.nn.RNN(2, 3).state_dict()
    del state["weight_hh_l0"]
    torch.save(state, tmp_path / "m.pt")
    line = refused(run_cli(["import-torch", tmp_path / "m.pt"]))
    assert "no weight_hh_l0 beside weight_ih_l0" in line


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_to_a_full_disk(option):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "rnntrace", option], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["Error: cannot write the output: No space left on device"]


# --------------------------------------------------------------------------- the grader's files

BASIC = ("layers:\n  - {name: hidden, type: elman, size: 2, activation: linear, W: 1, U: 1, b: 0}\n"
         "  - {name: output, type: dense, size: 2, activation: linear, W: 1}\n")
# The lecture's basic RNN on [1, 1], [1, 1], [2, 2]: hidden 2, 6, 16 (h = Σx + Σh_prev), output 4, 12, 32.
BASIC_OUTPUTS = [[4.0, 4.0], [12.0, 12.0], [32.0, 32.0]]


@pytest.fixture
def grader(tmp_path):
    """A class folder with a spec, and the grader's own files beside it."""
    (tmp_path / "class").mkdir()
    (tmp_path / "grader").mkdir()
    np.save(tmp_path / "grader" / "secret.npy", np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]]))
    (tmp_path / "grader" / "secret.csv").write_text("1,1\n1,1\nsk-SECRET-TOKEN,2\n")
    return tmp_path


@pytest.mark.parametrize("name", ["../grader/secret.npy", "../grader/missing.npy", "{abs}/grader/secret.npy",
                                  "{abs}/grader/missing.csv", "../../../../../../etc/passwd.csv"])
def test_an_input_file_outside_the_spec_folder_is_refused_alike(grader, name):
    name = name.format(abs=grader)
    spec = write(grader / "class", "s.yaml", f"inputs: {{file: '{name}'}}\n" + BASIC)
    line = refused(run_cli(["run", spec, "--format", "json"]))
    # The same words whether or not a file is there: nothing about what exists outside.
    assert re.fullmatch(r"Error: \S+s\.yaml:1:16: inputs\.file: \S+: outside the spec's folder; input files are "
                        r"read only there \(--allow-file PATH allows another file or folder\)", line), line


def test_a_symlink_out_of_the_spec_folder_is_refused(grader):
    os.symlink(grader / "grader" / "secret.npy", grader / "class" / "x.npy")
    spec = write(grader / "class", "s.yaml", "inputs: {file: x.npy}\n" + BASIC)
    assert "outside the spec's folder" in refused(run_cli(["validate", spec]))


def test_allow_file_names_other_places(grader):
    spec = write(grader / "class", "s.yaml", "inputs: {file: ../grader/secret.npy}\n" + BASIC)
    for allowed in (grader / "grader", grader / "grader" / "secret.npy"):
        result = run_cli(["run", spec, "--format", "json", "--allow-file", allowed])
        assert result.exit_code == 0, result.output
        assert [s["y"] for s in json.loads(result.stdout)["steps"]] == BASIC_OUTPUTS
    other = grader / "elsewhere"
    other.mkdir()
    assert "outside the spec's folder" in refused(run_cli(["validate", spec, "--allow-file", other]))


@pytest.mark.parametrize("command", [["validate"], ["run", "--format", "csv"], ["grad"], ["worksheet"],
                                     ["answers"], ["surface", "--param", "hidden.U[0,0]", "--range", "0:1:2"]])
def test_every_command_that_loads_a_spec_takes_allow_file(grader, command):
    spec = write(grader / "class", "s.yaml", "inputs: {file: ../grader/secret.npy}\n" + BASIC
                 + "train: {targets: [null, null, [32, 32]]}\n")
    args = command[:1] + [spec] + command[1:]
    assert "outside the spec's folder" in refused(run_cli(args))
    assert run_cli(args + ["--allow-file", grader / "grader"]).exit_code == 0


def test_check_takes_allow_file(grader):
    spec = write(grader / "class", "s.yaml", "inputs: {file: ../grader/secret.npy}\n" + BASIC)
    answers = write(grader / "class", "a.yaml", "steps: {3: {y: [32, 32]}}\n")
    assert "outside the spec's folder" in refused(run_cli(["check", spec, answers]))
    assert run_cli(["check", spec, answers, "--allow-file", grader / "grader"]).exit_code == 0


def test_errors_about_a_file_outside_show_its_place_not_its_text(grader):
    spec = write(grader / "class", "s.yaml", "inputs: {file: ../grader/secret.csv}\n" + BASIC)
    line = refused(run_cli(["validate", spec, "--allow-file", grader / "grader"]))
    assert "secret.csv: line 3, column 1: expected a number, found text" in line
    assert "SECRET" not in line and "sk-" not in line
    # Inside the spec's folder the writer of the file is the reader: the text helps.
    (grader / "class" / "mine.csv").write_text("1,1\n1,1\nabc,2\n")
    spec = write(grader / "class", "t.yaml", "inputs: {file: mine.csv}\n" + BASIC)
    assert "mine.csv: line 3, column 1: expected a number, found 'abc'" in refused(run_cli(["validate", spec]))


def test_a_spec_from_stdin_reads_only_from_the_current_folder(grader, monkeypatch):
    monkeypatch.chdir(grader / "class")
    result = run_cli(["validate", "-"], input="inputs: {file: ../grader/secret.npy}\n" + BASIC)
    assert "outside the spec's folder" in refused(result)
    (grader / "class" / "x.npy").write_bytes((grader / "grader" / "secret.npy").read_bytes())
    assert run_cli(["validate", "-"], input="inputs: {file: x.npy}\n" + BASIC).exit_code == 0


@pytest.mark.parametrize("name", ["f.csv", "f.npy"])
def test_a_fifo_is_refused_not_opened(tmp_path, name):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(tmp_path / name)
    write(tmp_path, "s.yaml", f"inputs: {{file: {name}}}\n" + BASIC)
    # In a child process: a reader that opened the FIFO would wait for a writer forever.
    done = subprocess.run([sys.executable, "-m", "rnntrace", "validate", str(tmp_path / "s.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"inputs.file: {name}: expected a regular file of inputs, found a FIFO, socket or device" in done.stderr


def test_a_device_is_refused(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    os.symlink("/dev/zero", tmp_path / "z.csv")
    write(tmp_path, "s.yaml", "inputs: {file: z.csv}\n" + BASIC)
    line = refused(run_cli(["validate", tmp_path / "s.yaml", "--allow-file", "/dev"]))
    assert "expected a regular file of inputs, found a FIFO, socket or device" in line


@pytest.mark.parametrize("text, message", [
    ("1_000,1\n1,1\n", "line 1, column 1: expected a number, found '1_000'"),
    ("1,\u0661\u0662\n1,1\n", "line 1, column 3: expected a number, found '\u0661\u0662'"),
    ("1, nan\n", "line 1, column 4: expected a number, found 'nan'"),
    ("1,infinity\n", "line 1, column 3: expected a number, found 'infinity'"),
    ("a,b\nc,d\n1,1\n", "line 2, column 1: expected a row of numbers, found a second header line"),
    ("1,1\na,b\n", "line 2, column 1: expected a number, found 'a'"),
])
def test_csv_numbers_follow_the_inline_rules(tmp_path, text, message):
    (tmp_path / "x.csv").write_text(text, encoding="utf-8")
    spec = write(tmp_path, "s.yaml", "inputs: {file: x.csv}\n" + BASIC)
    assert message in refused(run_cli(["validate", spec]))


def test_csv_numbers_as_yaml_writes_them_are_read(tmp_path):
    # -0.5, 1e-3, 0x10 (16) and +2 are numbers inline too; one header line, comments, blanks.
    (tmp_path / "x.csv").write_text("# steps\na, b\n-0.5, 1e-3\n\n0x10,+2  # last\n", encoding="utf-8")
    spec = write(tmp_path, "s.yaml", "inputs: {file: x.csv}\n"
                 "layers:\n  - {type: dense, size: 1, W: [1, 1], activation: linear}\n")
    result = run_cli(["run", spec, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [s["y"] for s in json.loads(result.stdout)["steps"]] == [[-0.5 + 0.001], [18.0]]


def test_csv_files_are_limited_by_count(tmp_path, monkeypatch):
    import rnntrace.inputfiles
    monkeypatch.setattr(rnntrace.inputfiles, "MAX_INPUT_VALUES", 10)
    (tmp_path / "x.csv").write_text("1\n" * 11)
    spec = write(tmp_path, "s.yaml", "inputs: {file: x.csv}\nlayers:\n  - {type: dense, size: 1, W: 1}\n")
    assert "more than 10 numbers; input files are limited to 10" in refused(run_cli(["validate", spec]))
    (tmp_path / "x.csv").write_text("1\n" * 10)
    assert run_cli(["validate", spec]).exit_code == 0


# --------------------------------------------------------------------------- the grader's terminal

# Names, labels and words may not hold control characters (they are refused where they
# are written, below); the title may, and markup, HTML and formulas may stand anywhere.
EVIL = r"""title: "T\e]0;owned\a[red]x[/red] :x: <b>hi</b>\nnext\u202eb"
lexicon: {words: ["a[2J", "[/x]", "=cmd|x", "<i>w</i>", "b"], other: true}
inputs: "a[2J [/x] =cmd|x <i>w</i> b"
layers:
  - {type: elman, name: "h[31m[/x]", size: 2, W: 0.5, U: 0.1}
  - {type: dense, name: "out<b>|", size: 2, W: [[1, 0.5], [-1, -3]], b: [0, -1], activation: softmax,
     labels: ["=1+2[2J", "-x[/b]<s>"]}
train: {loss: cross_entropy, targets: [0, 1, 0, 1, 0]}
"""


def evil_commands(spec):
    for fmt in ("table", "json", "jsonl", "csv", "markdown", "latex"):
        yield ["run", spec, "--format", fmt]
    yield ["run", spec, "--explain"]
    yield ["run", spec, "--format", "markdown", "--explain"]
    yield ["validate", spec]
    yield ["grad", spec]
    yield ["grad", spec, "--explain"]
    yield ["grad", spec, "--format", "json"]
    yield ["surface", spec, "--param", "out<b>|.W[0,0]", "--range", "0:1:3"]
    yield ["surface", spec, "--param", "out<b>|.W[0,0]", "--range", "0:1:3", "--format", "csv"]
    yield ["worksheet", spec]
    yield ["worksheet", spec, "--format", "latex", "--key"]
    yield ["answers", spec]


def test_user_text_never_reaches_the_terminal_raw(tmp_path):
    spec = write(tmp_path, "s.yaml", EVIL)
    for args in evil_commands(spec):
        result = run_cli(args)
        assert result.exit_code == 0, (args, result.output, result.exception)
        assert not CONTROL.search(result.output + result.stderr), (args, CONTROL.findall(result.output))


def test_control_characters_are_shown_in_a_visible_form(tmp_path):
    spec = write(tmp_path, "s.yaml", EVIL)
    table = run_cli(["run", spec]).output
    assert "T\\x1b]0;owned" in table and "\\u202eb" in table
    assert "[red]x[/red]" in table and ":x:" in table          # markup and emoji codes as written
    assert "a[2J" in table and "h[31m[/x]" in run_cli(["grad", spec]).output


def test_markdown_escapes_html_and_newlines_from_user_text(tmp_path):
    spec = write(tmp_path, "s.yaml", EVIL)
    for args in (["run", spec, "--format", "markdown"], ["worksheet", spec]):
        out = run_cli(args).output
        assert "<b>" not in out and "<i>" not in out and "<s>" not in out, args
        assert "&lt;b&gt;hi&lt;/b&gt;" in out
        title = next(line for line in out.splitlines() if line.startswith("# "))
        assert "\\\\nnext" in title, title    # the newline is text, the title one line


def test_csv_text_cells_cannot_be_formulas_but_numbers_stay_numbers(tmp_path):
    import csv
    spec = write(tmp_path, "s.yaml", EVIL)
    rows = list(csv.reader(io.StringIO(run_cli(["run", spec, "--format", "csv"]).output)))
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    label = next(key for key in header if key.endswith(".label"))
    assert first[label] == "'=1+2[2J"
    # out.z[2] = −1·h1 − 3·h2 − 1 at step 1: h = tanh(0.5·x_1) per unit with x = the word's
    # 1-of-N vector (one 1), so h1 = h2 = tanh(0.5); a negative number, written as one.
    z2 = -1 * math.tanh(0.5) - 3 * math.tanh(0.5) - 1
    column = next(key for key in header if key.startswith("out") and key.endswith(".z[2]"))
    assert float(first[column]) == pytest.approx(z2, rel=1e-15) and first[column].startswith("-")
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)


def test_the_class_csv_neutralises_formula_file_names(tmp_path):
    import csv
    spec = EXAMPLES / "lstm_example.yaml"
    key = run_cli(["answers", spec, "--ask", "c"]).output
    files = [write(tmp_path, name, key) for name in ("=1+2+cmd|calc!A0.yaml", "@SUM(A1).yaml", "+2-3.yaml")]
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = run_cli(["check", spec, *[f.name for f in files], "--format", "csv"])
    finally:
        os.chdir(old)
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert [row[0] for row in rows[1:]] == ["'=1+2+cmd|calc!A0.yaml", "'@SUM(A1).yaml", "'+2-3.yaml"]
    assert [row[4] for row in rows[1:]] == ["1.0", "1.0", "1.0"]   # scores: numbers, untouched


def test_an_error_about_a_file_name_with_escapes_shows_them(tmp_path):
    name = "x\x1b]0;owned\x07.yaml"
    result = run_cli(["validate", tmp_path / name])
    line = refused(result)
    assert not CONTROL.search(line) and "x\\x1b]0;owned\\x07.yaml" in line


def test_svg_export_with_control_characters_is_valid_xml(tmp_path):
    spec = write(tmp_path, "s.yaml", EVIL)
    result = run_cli(["run", spec, "--export", tmp_path / "v.svg"])
    assert result.exit_code == 0, result.output
    root = ElementTree.parse(tmp_path / "v.svg").getroot()
    text = "".join(root.itertext())
    assert "\\x1b" in text


# --------------------------------------------------------------------------- work without bound

def test_a_run_that_would_keep_too_many_numbers_is_refused_before_it_starts(tmp_path, monkeypatch):
    import rnntrace.limits
    monkeypatch.setattr(rnntrace.limits, "MAX_HELD_NUMBERS", 1000)
    # An LSTM of 2 units on 1 input keeps per step: x (1), c_prev, h_prev, 4 gates' z and a,
    # c, h (12 × 2 = 24) and y (2): 27 numbers; 100 steps are 2,700.
    np.save(tmp_path / "x.npy", np.ones(100))
    spec = write(tmp_path, "s.yaml", "inputs: {file: x.npy}\nlayers:\n  - {type: lstm, size: 2, "
                 "cell_input: {W: 1}, input_gate: {W: 1}, forget_gate: {W: 1}, output_gate: {W: 1}}\n"
                 "train: {targets: [" + ", ".join(["null"] * 99) + ", [1, 1]]}\n")
    for args in (["run", spec], ["run", spec, "--format", "json"], ["run", spec, "--format", "csv"],
                 ["worksheet", spec], ["answers", spec], ["grad", spec]):
        line = refused(run_cli(args))
        assert "100 steps of 27 numbers" in line and "the limit is 1,000" in line, line
    assert "--format jsonl streams" in refused(run_cli(["run", spec]))
    # jsonl streams: not bounded by it. --steps keeps only its steps, each as the whole run has it.
    stream = run_cli(["run", spec, "--format", "jsonl"])
    assert stream.exit_code == 0 and len(stream.stdout.splitlines()) == 101
    step_20 = json.loads(stream.stdout.splitlines()[20])
    chosen = run_cli(["run", spec, "--format", "csv", "--steps", "20,30:31"])
    assert chosen.exit_code == 0, chosen.output
    rows = chosen.output.splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["20", "30", "31"]
    assert float(rows[1].split(",")[-1]) == step_20["y"][1]


def test_a_surface_of_too_many_points_is_refused(tmp_path):
    spec = EXAMPLES / "toy_w999.yaml"
    line = refused(run_cli(["surface", spec, "--param", "hidden.U", "--range", "0:1:200",
                            "--param2", "hidden.W", "--range2", "0:1:100"]))
    assert "a surface of 20,000 points; the limit is 10,000" in line
    line = refused(run_cli(["surface", spec, "--param", "hidden.U", "--range", "0:1:2001"]))
    assert "2,001 points × 1,000 steps" in line and "the limit is 2,000,000" in line


def test_suggestions_over_a_huge_lexicon_stay_cheap():
    import time
    from rnntrace.errors import MAX_SUGGESTION_CHOICES, close_name
    rng = np.random.default_rng(14)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = ["".join(rng.choice(letters, size=8)) for _ in range(200_000)]
    assert len(words) > MAX_SUGGESTION_CHOICES
    target = words[12345]
    start = time.perf_counter()
    found = close_name(target[:-1] + ("a" if target[-1] != "a" else "b"), words)
    assert time.perf_counter() - start < 20   # difflib over all 200,000 would take minutes
    assert found == target                    # the few with its first letter and length are compared


def test_import_torch_refuses_a_zip_that_unpacks_too_far(tmp_path):
    torch = require_torch()
    from rnntrace.convert import MAX_UNPACKED_BYTES
    torch.save({"weight": torch.zeros(1, 1), "bias": torch.zeros(1)}, tmp_path / "small.pt")
    with zipfile.ZipFile(tmp_path / "small.pt") as source, \
            zipfile.ZipFile(tmp_path / "bomb.pt", "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info.filename, source.read(info.filename))
        bomb.writestr("archive/padding", b"\0" * (MAX_UNPACKED_BYTES + 1))
    assert (tmp_path / "bomb.pt").stat().st_size < 1_000_000
    line = refused(run_cli(["import-torch", tmp_path / "bomb.pt"]))
    assert "unpacks to" in line and f"read up to {MAX_UNPACKED_BYTES:,} bytes" in line


def test_import_torch_counts_a_view_before_copying_it(tmp_path):
    torch = require_torch()
    from rnntrace.spec import MAX_WEIGHTS
    big = torch.zeros(1, 1).expand(4000, 3000)     # 12,000,000 numbers stored as one
    torch.save({"weight": big, "bias": torch.zeros(4000)}, tmp_path / "view.pt")
    line = refused(run_cli(["import-torch", tmp_path / "view.pt"]))
    assert f"{12_000_000 + 4000:,} numbers; a spec holds at most {MAX_WEIGHTS:,} weights" in line


def test_the_readme_states_the_new_bounds():
    from conftest import ROOT
    from rnntrace import convert, errors, limits, spec
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("**Limits.**")
    table = readme[start:readme.index("\n\n", readme.index("| what", start))]
    for stated in (f"| {spec.MAX_INPUT_VALUES:,} (a CSV file also {32 * spec.MAX_INPUT_VALUES:,} bytes)",
                   f"| {limits.MAX_HELD_NUMBERS:,} (", f"| {limits.MAX_SURFACE_POINTS:,} |",
                   f"| {limits.MAX_SURFACE_STEPS:,} |", f"| {convert.MAX_UNPACKED_BYTES:,} bytes",
                   f"| {errors.MAX_SUGGESTION_CHOICES:,};"):
        assert stated in table, stated


@pytest.mark.parametrize("spec, where", [
    ('inputs: [1]\nlayers:\n  - {name: "a\\nb", type: dense, size: 1, W: 1}\n', "<stdin>:3:12: layers[0].name"),
    ('inputs: [1]\nlayers:\n  - {type: dense, size: 2, W: 1, labels: ["p\\nq", r]}\n', "layers[0].labels[0]"),
    ('inputs: [a]\nlexicon: {words: ["a", "b\\u202ec"]}\nlayers:\n  - {type: dense, size: 1, W: 1}\n',
     "lexicon.words[1]"),
    ('inputs: ["a\\x1b[2Jb"]\nlexicon: {words: [a], other: true}\nlayers:\n  - {type: dense, size: 1, W: 1}\n',
     "inputs[0]"),
])
def test_names_labels_and_words_with_line_breaks_or_control_characters_are_refused(spec, where):
    """A name stands in a table's row or column: a line break would break the table and a
    control character act on the terminal, so they are refused where they are written,
    shown in their escaped form."""
    result = CliRunner().invoke(main, ["run", "-"], input=spec)
    assert result.exit_code == 2
    assert where in result.stderr
    assert "without control characters or line breaks" in result.stderr
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert result.stdout == ""
