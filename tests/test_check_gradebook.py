"""The gradebook (docs/check.md): a key's points per quantity or step, the percent
column, no -0.0, the CSV columns as documented, the warning when several files are
checked without a key, and the exit status."""
import csv
import io
import json
import re
from pathlib import Path

from click.testing import CliRunner

from rnntrace.cli import main
from rnntrace.render.check import CSV_COLUMNS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "check.md"


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def test_points_per_quantity_and_per_step(tmp_path):
    key = tmp_path / "key.yaml"
    # the key asks c and y at every step; c is worth 2, step 5's questions 3 (c keeps its 2)
    key.write_text(invoke("answers", "lstm_example.yaml", "--ask", "c,y").stdout + "points: {c: 2, 5: 3}\n",
                   encoding="utf-8")
    answers = tmp_path / "a.yaml"
    # right: c at 1–4 (4 × 2), y at 1 and 5 (1 + 3); wrong: c at 5 (exact ≈0), y at 2–4
    answers.write_text("steps:\n  1: {c: 3, y: 0}\n  2: {c: 7, y: 5}\n  3: {c: 7, y: 5}\n  4: {c: 7, y: 5}\n"
                       "  5: {c: 9, y: 0}\n", encoding="utf-8")
    only = json.loads(invoke("check", "lstm_example.yaml", answers, "--key", key, "--format", "json").stdout)
    result = only["files"][0]
    # possible: c 5 × 2 = 10, y at 1–4 = 4, y at 5 = 3: 17; earned 8 + 1 + 3 = 12
    assert (result["right"], result["total"], result["points"], result["max_points"]) == (6, 10, 12, 17)
    assert result["score"] == 12 / 17
    row = next(csv.DictReader(io.StringIO(invoke("check", "lstm_example.yaml", answers, answers, "--key", key,
                                                 "--format", "csv").stdout)))
    assert (row["points"], row["max_points"], row["percent"], row["score"]) == ("12", "17", "70.6", "0.7059")
    table = invoke("check", "lstm_example.yaml", answers, answers, "--key", key).stdout
    assert "12/17 71%" in table


def test_points_that_are_not_points_are_refused(tmp_path):
    key = tmp_path / "key.yaml"
    key.write_text("steps: {1: {c: 3}}\npoints: {cel: 2}\n", encoding="utf-8")
    result = invoke("check", "lstm_example.yaml", key, "--key", key)
    assert result.exit_code == 2 and "unknown quantity 'cel'" in result.stderr
    key.write_text("steps: {1: {c: 3}}\npoints: {c: -1}\n", encoding="utf-8")
    assert "expected points of 0 or more" in invoke("check", "lstm_example.yaml", key, "--key", key).stderr


def test_no_negative_zero_in_the_gradebook(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("steps:\n  1: {c: -0.0}\n", encoding="utf-8")
    text = invoke("check", "lstm_example.yaml", answers, answers, "--tolerance", "-0.0", "--format", "csv").stdout
    assert "-0.0" not in text and ",0.0," in text


def test_the_csv_columns_are_the_documented_ones(tmp_path):
    docs = DOCS.read_text(encoding="utf-8")
    section = docs[docs.index("## `--format csv`"):]
    documented = [c for row in re.findall(r"^\| (`[^|]+`) \|", section, re.M) for c in re.findall(r"`(\w+)`", row)]
    assert tuple(documented) == CSV_COLUMNS
    answers = tmp_path / "a.yaml"
    answers.write_text("steps: {1: {c: 3}}\n", encoding="utf-8")
    header = invoke("check", "lstm_example.yaml", answers, answers, "--format", "csv").stdout.splitlines()[0]
    assert header == ",".join(CSV_COLUMNS)
    example = section[section.index("```\nfile,") + 4:].splitlines()[0]
    assert example == header


def test_several_files_without_a_key_warn(tmp_path):
    skipped = tmp_path / "skipped.yaml"
    skipped.write_text("steps:\n  1: {c: 3}\n  3: {c: 7}\n", encoding="utf-8")
    full = tmp_path / "full.yaml"
    full.write_text("steps:\n  1: {c: 3}\n  2: {c: 7}\n  3: {c: 7}\n", encoding="utf-8")
    result = invoke("check", "lstm_example.yaml", skipped, full)
    assert result.exit_code == 0           # every answer given is right: 2/2 and 3/3
    assert "Warning: without --key only the answers each file gives are graded" in result.stderr
    assert "rnntrace answers lstm_example.yaml --ask NAMES > key.yaml" in result.stderr
    alone = invoke("check", "lstm_example.yaml", skipped)
    assert "Warning" not in alone.stderr


def test_exit_status(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("steps: {1: {c: 3}}\n", encoding="utf-8")
    assert invoke("check", "lstm_example.yaml", good, good).exit_code == 0
    # a class with a file that cannot be read is graded: exit 1, the file a row
    result = invoke("check", "lstm_example.yaml", good, tmp_path / "missing.yaml")
    assert result.exit_code == 1 and "1 of 2 answer files could not be read" in result.stderr
    # grading could not happen: 2
    assert invoke("check", "lstm_example.yaml", tmp_path / "missing.yaml").exit_code == 2
    assert invoke("check", "no_such_spec.yaml", good).exit_code == 2
    assert invoke("check", "lstm_example.yaml", good, "--key", tmp_path / "missing.yaml").exit_code == 2
