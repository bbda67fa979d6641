"""rnntrace check: hand-computed answers against the exact trace (docs/check.md).

The exact values of the lecture's LSTM unit are worked out here by hand with math.exp,
independently of the engine, so a wrong comparison or a wrong trace both fail."""
import csv
import io
import json

import jsonschema
import pytest
from click.testing import CliRunner

import rnntrace
import rnntrace.bundled
from rnntrace.grading.answers import (DEFAULT_TOLERANCE, Answer, Reference, answers_from_text, check, judge,
                              within)
from rnntrace.cli import main
from rnntrace.errors import SpecError

from conftest import schema
from conftest import sigmoid as sigma


def lecture_lstm_by_hand():
    """c_t = x1·σ(100·x2 − 10) + c_{t−1}·σ(100·x2 + 10); h_t = c_t·σ(100·x3 − 10)."""
    c, rows = 0.0, []
    for x1, x2, x3 in [(3, 1, 0), (4, 1, 0), (2, 0, 0), (1, 0, 1), (3, -1, 0)]:
        c = x1 * sigma(100 * x2 - 10) + c * sigma(100 * x2 + 10)
        rows.append((c, c * sigma(100 * x3 - 10)))
    return rows


HAND = lecture_lstm_by_hand()

LECTURE_ANSWERS = """\
# what the lecture's slides say, rounded as they round
steps:
  1: {lstm.c: 3, y: 0}
  2: {lstm.c: 7, y: 0}
  3: {lstm.c: 7}
  4: {y: 7, lstm.c: 7, lstm.gates.output_gate.a: 1}
  5: {lstm.c: 0, y: 0}
"""


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, list(args), env={"NO_COLOR": "1", "COLUMNS": "120"}, **kwargs)


@pytest.fixture(scope="module")
def reference():
    spec = rnntrace.load_spec(rnntrace.bundled.examples_dir() / "lstm_example.yaml")
    return Reference.from_trace(rnntrace.run(spec), "lstm_example.yaml")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------- the rule

def test_default_tolerance_accepts_the_lectures_rounding_and_rejects_a_real_mistake():
    c4 = HAND[3][0]                      # 6.9995…
    assert 6.999 < c4 < 7.0
    assert within(7, c4, DEFAULT_TOLERANCE)              # off by 0.0005, allowed 0.07
    assert within(0, HAND[0][1], DEFAULT_TOLERANCE)      # 0 for 0.000136, allowed 0.01
    assert not within(8, 7, DEFAULT_TOLERANCE)           # off by 1, allowed 0.07
    assert not within(8, c4, DEFAULT_TOLERANCE)
    # relative above 1, absolute below: 100 ± 1 is right, 0.5 ± 0.02 is not
    assert within(101, 100, 0.01) and not within(101.5, 100, 0.01)
    assert within(0.51, 0.5, 0.01) and not within(0.52, 0.5, 0.01)


def test_a_vector_answer_is_right_only_when_every_entry_is():
    v = judge(Answer(1, "h", (2.0, 6.5)), (2.0, 6.0), 0.01)
    assert not v.right and v.difference == 0.5 and v.allowed == pytest.approx(0.06)
    assert judge(Answer(1, "h", (2.0, 6.01)), (2.0, 6.0), 0.01).right


# --------------------------------------------------------------------------- one file

def test_the_lectures_answers_are_right_and_the_exact_values_are_shown(reference):
    result = check(answers_from_text(LECTURE_ANSWERS, reference, "a.yaml"), reference)
    assert result.status == "right" and result.right == result.total == 10
    by_key = {(v.t, v.quantity): v for v in result.verdicts}
    for t, (c, h) in enumerate(HAND, 1):
        assert by_key[(t, "lstm.c")].exact[0] == pytest.approx(c, rel=1e-12, abs=1e-300)
    assert by_key[(4, "y")].exact[0] == pytest.approx(HAND[3][1], rel=1e-12)
    assert by_key[(4, "y")].difference == pytest.approx(7 - HAND[3][1], rel=1e-9)


def test_check_command_right_exits_0(tmp_path):
    path = write(tmp_path, "me.yaml", LECTURE_ANSWERS)
    result = invoke("check", "lstm_example.yaml", path)
    assert result.exit_code == 0, result.output
    assert "10 of 10 answers right (100%)" in result.stdout
    assert "6.9995" in result.stdout           # the exact value beside the answer 7
    assert "WRONG" not in result.stdout


def test_a_wrong_answer_is_marked_and_exits_1(tmp_path):
    path = write(tmp_path, "me.yaml", "steps:\n  2: {lstm.c: 7}\n  4: {y: 8}\n")
    result = invoke("check", "lstm_example.yaml", path)
    assert result.exit_code == 1, result.output
    assert "WRONG" in result.stdout and "1 of 2 answers right (50%)" in result.stdout


def test_tolerance_from_the_file_and_the_command_line(tmp_path):
    strict = write(tmp_path, "strict.yaml", "tolerance: 0.00001\nsteps:\n  4: {y: 7}\n")
    assert invoke("check", "lstm_example.yaml", strict).exit_code == 1      # 0.0005 > 0.00007
    loose = write(tmp_path, "loose.yaml", "tolerance: 0.2\nsteps:\n  4: {y: 8}\n")
    assert invoke("check", "lstm_example.yaml", loose).exit_code == 0       # 1.0005 ≤ 1.4
    # the command line wins over the file: a grader's tolerance is the one used
    assert invoke("check", "lstm_example.yaml", loose, "--tolerance", "0.01").exit_code == 1
    assert invoke("check", "lstm_example.yaml", strict, "--tolerance", "0.01").exit_code == 0
    bad = invoke("check", "lstm_example.yaml", strict, "--tolerance", "-1")
    assert bad.exit_code == 2 and "--tolerance" in bad.stderr


def test_a_step_beyond_the_sequence_is_an_error_on_that_answer_with_its_place(tmp_path):
    path = write(tmp_path, "me.yaml", "steps:\n  1: {y: 0}\n  9: {y: 1}\n")
    result = invoke("check", "lstm_example.yaml", path)
    assert result.exit_code == 1                  # one answer is not right; the file was read
    out = " ".join(result.stdout.split())
    assert f"{path}:3:3: steps[9]: there is no step 9" in out and "5 steps" in out
    assert "1 of 2 answers right (50%)" in out    # step 1's answer still counts


def test_steps_left_out_are_simply_not_checked(reference):
    result = check(answers_from_text("steps:\n  4: {y: 7}\n", reference), reference)
    assert result.total == 1 and result.right == 1


def test_a_misspelt_path_names_the_close_one(tmp_path):
    path = write(tmp_path, "me.yaml", "steps:\n  1: {lstm.c: 3}\n  4:\n    lstm.gates.ouput_gate.a: 1\n")
    result = invoke("check", "lstm_example.yaml", path)
    assert result.exit_code == 1
    out = " ".join(result.stdout.split())
    assert f"{path}:4:5: steps[4].lstm.gates.ouput_gate.a: unknown quantity" in out
    assert "did you mean 'lstm.gates.output_gate.a'" in out
    assert "1 of 2 answers right (50%)" in out


def test_a_misspelt_short_name_suggests_the_full_path(reference):
    answers = answers_from_text("steps:\n  1: {cc: 3}\n", reference, "a.yaml")
    (problem,) = answers.problems
    assert problem.error.hint == "lstm.c" and problem.error.line == 2 and not answers.answers


def test_an_empty_answers_file_is_an_error(tmp_path):
    for text in ("", "# only a comment\n", "steps: {}\n"):
        result = invoke("check", "lstm_example.yaml", write(tmp_path, "empty.yaml", text))
        assert result.exit_code == 2, text
        assert "Error:" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("text, message", [
    ("steps:\n  1: {y: [0, 0]}\n", "y has 1 value; found a list of 2"),
    ("steps:\n  1: {y: zero}\n", "expected a number, found the text 'zero'"),
    ("steps:\n  one: {y: 0}\n", "expected a step number from 1 to 5"),
    ("steps:\n  1: {y: .nan}\n", "expected a finite number"),
])
def test_an_answer_that_cannot_be_read_is_an_error_on_that_answer(reference, text, message):
    answers = answers_from_text(text + "  2: {lstm.c: 7}\n", reference, "a.yaml")
    (problem,) = answers.problems
    assert message in str(problem.error) and str(problem.error).startswith("a.yaml:2:")
    assert [(a.t, a.quantity) for a in answers.answers] == [(2, "lstm.c")]
    result = check(answers, reference)
    assert (result.right, result.total, result.status) == (1, 2, "wrong")


@pytest.mark.parametrize("text, message", [
    ("tolerence: 0.1\nsteps:\n  1: {y: 0}\n", "did you mean 'tolerance'"),
    ("tolerance: -1\nsteps:\n  1: {y: 0}\n", "a tolerance of 0 or more"),
    ("steps: [1, 2]\n", "expected a mapping from step numbers"),
    ("steps:\n  1: {y: 0\n", "YAML syntax error"),
])
def test_a_file_that_cannot_be_used_says_what_is_wrong(reference, text, message):
    with pytest.raises(SpecError) as err:
        answers_from_text(text, reference, "a.yaml")
    assert message in str(err.value) and str(err.value).startswith("a.yaml:")


def test_a_vector_quantity_wants_a_list():
    spec = rnntrace.load_spec(rnntrace.bundled.examples_dir() / "basic_rnn.yaml")
    ref = Reference.from_trace(rnntrace.run(spec))
    (problem,) = answers_from_text("steps:\n  1: {hidden.h: 2}\n", ref).problems
    assert "hidden.h has 2 values: answer with a list of 2 numbers" in str(problem.error)
    # the lecture's table: hidden [2,2], [6,6], [16,16]; output [4,4], [12,12], [32,32]
    text = "steps:\n  1: {hidden.h: [2, 2], y: [4, 4]}\n  2: {hidden.h: [6, 6]}\n  3: {y: [32, 31]}\n"
    result = check(answers_from_text(text, ref), ref, tolerance=0)
    assert [v.right for v in result.verdicts] == [True, True, True, False]


def test_parts_of_a_bidirectional_layer_are_quantities():
    # bidirectional.yaml keeps running totals of 1, 2, 3, 4 both ways. At step 2 the
    # forward direction has read 1 + 2 = 3, the backward one 4 + 3 + 2 = 9; y = 3 + 9.
    spec = rnntrace.load_spec(rnntrace.bundled.examples_dir() / "bidirectional.yaml")
    ref = Reference.from_trace(rnntrace.run(spec))
    text = ("steps:\n  2: {birnn.forward.h: 3, birnn.backward.h: 9, birnn.h: [3, 9], y: 12}\n"
            "  3: {birnn.backward.h: 3}\n")          # a slip: the backward total is 4 + 3 = 7
    result = check(answers_from_text(text, ref), ref, tolerance=0)
    assert [(v.t, v.quantity, v.right) for v in result.verdicts] == [
        (2, "birnn.forward.h", True), (2, "birnn.backward.h", True), (2, "birnn.h", True), (2, "y", True),
        (3, "birnn.backward.h", False)]
    assert result.verdicts[-1].exact == (7.0,) and result.verdicts[-1].difference == 4.0


def test_answers_from_standard_input():
    result = invoke("check", "lstm_example.yaml", "-", input="steps:\n  2: {lstm.c: 7}\n")
    assert result.exit_code == 0 and "1 of 1 answer right" in result.stdout


def test_json_output_validates_against_the_shipped_schema(tmp_path):
    path = write(tmp_path, "me.yaml", "steps:\n  1: {lstm.c: 3}\n  4: {y: 8}\n")
    result = invoke("check", "lstm_example.yaml", path, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema("check.json"))
    (entry,) = report["files"]
    assert entry["status"] == "wrong" and entry["right"] == 1 and entry["total"] == 2
    assert entry["first_wrong"]["t"] == 4 and entry["first_wrong"]["yours"] == [8.0]
    assert entry["first_wrong"]["exact"][0] == pytest.approx(HAND[3][1], rel=1e-12)
    assert entry["answers"][0]["allowed"] == pytest.approx(0.03)    # 0.01·max(1, 3)


# --------------------------------------------------------------------------- a class

def test_a_malformed_file_among_good_ones_is_reported_in_its_row(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ann.yaml", "steps:\n  4: {y: 7}\n")
    write(tmp_path, "bob.yaml", "steps:\n  2: {lstm.c: 7}\n  4: {y: 8}\n")
    write(tmp_path, "cat.yaml", "steps:\n  4: {y: 7\n")
    good, wrong, broken, missing = "ann.yaml", "bob.yaml", "cat.yaml", "dan.yaml"
    result = invoke("check", "lstm_example.yaml", good, wrong, broken, missing)
    assert result.exit_code == 1   # graded: the unreadable files are rows scoring 0 (docs/check.md)
    out = result.stdout
    assert "ann.yaml" in out and "all right" in out
    assert "bob.yaml" in out and "50%" in out and "step 4 y: 8" in out
    assert "cat.yaml" in out and "YAML syntax error" in out
    assert "dan.yaml" in out and "no such file" in out
    assert "4 files: 1 all right, 1 with wrong answers, 2 unreadable" in out
    assert "2 of 4 answer files could not be read" in result.stderr
    report = json.loads(invoke("check", "lstm_example.yaml", good, wrong, broken, missing,
                               "--format", "json").stdout)
    jsonschema.validate(report, schema("check.json"))
    assert [f["status"] for f in report["files"]] == ["right", "wrong", "error", "error"]
    assert report["files"][2]["error"].startswith("cat.yaml:3:1: YAML syntax error") and report["files"][2]["score"] == 0
    # the mean counts the two unreadable files as 0, as a gradebook does: (1 + 1/2 + 0 + 0)/4
    assert report["summary"] == {"files": 4, "all_right": 1, "with_wrong": 1, "unreadable": 2,
                                 "answers": 3, "right": 2, "ignored": 0, "not_graded": 0, "mean_score": 0.375}
    assert "mean score 38% counting 2 unreadable as 0" in " ".join(out.split())
    # without the unreadable ones, the class exits 1 (a wrong answer)
    assert invoke("check", "lstm_example.yaml", good, wrong).exit_code == 1
    assert invoke("check", "lstm_example.yaml", good, good).exit_code == 0


def test_a_class_of_500_in_one_call(tmp_path):
    """Student i answers c and y at steps 2 and 4; every 7th gets step 4's output
    wrong (8), every 50th hands in a broken file."""
    folder = tmp_path / "answers"
    folder.mkdir()
    paths, expected = [], {}
    for i in range(500):
        name = f"student{i:03d}.yaml"
        if i % 50 == 49:
            text = "steps:\n  2: {lstm.c: 7\n"
            expected[name] = ("error", None, None)
        else:
            y4 = 8 if i % 7 == 0 else 7
            text = f"steps:\n  2: {{lstm.c: 7, y: 0}}\n  4: {{lstm.c: 7, y: {y4}}}\n"
            expected[name] = ("wrong", 3, 4) if y4 == 8 else ("right", 4, 4)
        (folder / name).write_text(text)
        paths.append(str(folder / name))
    result = invoke("check", "lstm_example.yaml", *paths, "--format", "csv")
    assert result.exit_code == 1                          # some files were unreadable: rows scoring 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 500
    for row in rows:
        status, right, total = expected[row["file"].rsplit("/", 1)[-1]]
        assert row["status"] == status
        if status == "error":
            assert "YAML syntax error" in row["error"] and row["score"] == "0"
        else:
            assert (int(row["right"]), int(row["total"])) == (right, total)
        if status == "wrong":
            assert (row["first_wrong_step"], row["first_wrong_quantity"], row["first_wrong_yours"]) == \
                ("4", "y", "8.0")
            assert float(row["first_wrong_exact"]) == pytest.approx(HAND[3][1], rel=1e-12)
    counts = {s: sum(r["status"] == s for r in rows) for s in ("right", "wrong", "error")}
    assert counts == {"error": 10, "wrong": sum(1 for i in range(500) if i % 7 == 0 and i % 50 != 49),
                      "right": 500 - 10 - sum(1 for i in range(500) if i % 7 == 0 and i % 50 != 49)}

    table = invoke("check", "lstm_example.yaml", *paths)
    assert "500 files:" in table.stdout and "10 unreadable" in table.stdout


def test_check_help_has_an_example():
    result = invoke("check", "--help")
    assert result.exit_code == 0 and "rnntrace check lstm_example.yaml" in result.stdout
