"""rnntrace check grades the way a teacher grades (issue 12) and cannot be gamed (issue 14).

Exact values are worked out here by hand: basic_rnn.yaml (every weight 1) has hidden
h = [2, 2], [6, 6], [16, 16] and outputs [4, 4], [12, 12], [32, 32]; the lecture's LSTM
unit has c = 3, 7, 7, 7(−), 0 (conftest.sigmoid); slot_filling.yaml's softmax at step 2
("Taipei" after "arrive") has z = [4, 0, 2]."""
import csv
import io
import json
import math

import jsonschema
import pytest
from click.testing import CliRunner

import rnntrace
import rnntrace.bundled
from rnntrace.grading.answers import Policy, Reference, answers_from_text, check, load_key
from rnntrace.cli import main
from rnntrace.errors import SpecError

from conftest import schema
from conftest import sigmoid as sigma


def invoke(*args, columns=120, **kwargs):
    return CliRunner().invoke(main, list(args), env={"NO_COLOR": "1", "COLUMNS": str(columns)}, **kwargs)


def reference_of(name):
    spec = rnntrace.load_spec(rnntrace.bundled.examples_dir() / name)
    return Reference.from_trace(rnntrace.run(spec), name)


@pytest.fixture(scope="module")
def lstm():
    return reference_of("lstm_example.yaml")


@pytest.fixture(scope="module")
def basic():
    return reference_of("basic_rnn.yaml")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def lecture_cells():
    c, out = 0.0, []
    for x1, x2, x3 in [(3, 1, 0), (4, 1, 0), (2, 0, 0), (1, 0, 1), (3, -1, 0)]:
        c = x1 * sigma(100 * x2 - 10) + c * sigma(100 * x2 + 10)
        out.append((c, c * sigma(100 * x3 - 10)))
    return out


CELLS = lecture_cells()


# --------------------------------------------------------------------------- names

def test_one_unit_is_named_as_the_csv_names_it_counted_from_1(basic):
    answers = answers_from_text("steps:\n  2:\n    hidden.h[1]: 6\n    hidden.h[2]: 5\n    y[2]: 12\n", basic)
    result = check(answers, basic, tolerance=0)
    assert [(v.quantity, v.yours, v.exact, v.right) for v in result.verdicts] == [
        ("hidden.h[1]", (6.0,), (6.0,), True), ("hidden.h[2]", (5.0,), (6.0,), False),
        ("y[2]", (12.0,), (12.0,), True)]


def test_a_unit_past_the_layer_is_an_error_naming_the_range(basic):
    (problem,) = answers_from_text("steps:\n  2:\n    hidden.h[3]: 6\n", basic).problems
    assert "hidden.h has no unit '3': expected a unit number from 1 to 2" in str(problem.error)


def test_short_names_resolve_where_one_path_ends_so(lstm):
    answers = answers_from_text("steps:\n  2: {c: 7, output_gate.a: 0, input_gate.z: 90}\n", lstm)
    assert [a.quantity for a in answers.answers] == ["lstm.c", "lstm.gates.output_gate.a",
                                                     "lstm.gates.input_gate.z"]
    assert not answers.problems


def test_an_ambiguous_short_name_names_the_candidates():
    ref = reference_of("lstm_two_layer.yaml")
    (problem,) = answers_from_text("steps:\n  1: {c: 1}\n", ref).problems
    assert "the quantity 'c' could be any of lower.c, upper.c" in str(problem.error)


def test_a_winning_label_is_answered_by_its_word(tmp_path):
    ref = reference_of("slot_filling.yaml")
    text = "steps:\n  2: {slot.label: destination}\n  1:\n    label: time\n    slot.y[other]: 0.79\n"
    result = check(answers_from_text(text, ref), ref)
    by = {(v.t, v.quantity): v for v in result.verdicts}
    assert by[(2, "slot.label")].right and by[(1, "slot.label")].exact == ("other",)
    assert not by[(1, "slot.label")].right
    # step 1 ("arrive"): z = [0, 0, 2]; softmax's "other" = e²/(2 + e²)
    other = math.exp(2) / (2 + math.exp(2))
    assert by[(1, "slot.y[other]")].exact == pytest.approx((other,), rel=1e-12) and by[(1, "slot.y[other]")].right


def test_a_wrong_vector_answer_says_which_unit_is_wrong(basic, tmp_path):
    result = check(answers_from_text("steps:\n  3: {hidden.h: [16, 15]}\n", basic), basic, tolerance=0)
    (v,) = result.verdicts
    assert v.wrong_units == ("2",) and not v.right
    out = invoke("check", "basic_rnn.yaml", write(tmp_path, "a.yaml", "steps:\n  3: {hidden.h: [16, 15]}\n"))
    assert "WRONG: unit 2" in out.stdout
    ref = reference_of("slot_filling.yaml")
    # step 2: z = [4, 0, 2]: destination e⁴/(e⁴ + 1 + e²)
    total = math.exp(4) + 1 + math.exp(2)
    wrong = check(answers_from_text(f"steps:\n  2: {{slot.y: [{math.exp(4) / total:.4f}, 0.5, "
                                    f"{math.exp(2) / total:.4f}]}}\n", ref), ref)
    assert wrong.verdicts[0].wrong_units == ("time",)


# --------------------------------------------------------------------------- one bad line

def test_one_bad_line_costs_one_answer_and_the_rest_are_scored(tmp_path):
    text = ("steps:\n  1: {lstm.c: 3}\n  2: {lstm.cel: 7, y: 0}\n  3: {lstm.c: 7}\n"
            "  9: {lstm.c: 7}\n  4: {lstm.c: seven}\n")
    result = invoke("check", "lstm_example.yaml", write(tmp_path, "a.yaml", text), "--format", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema("check.json"))
    (entry,) = report["files"]
    assert entry["status"] == "wrong" and (entry["right"], entry["total"]) == (3, 6)
    errors = [a for a in entry["answers"] if a["status"] == "error"]
    assert [(a["t"], a["quantity"]) for a in errors] == [(2, "lstm.cel"), (4, "lstm.c"), (9, "lstm.c")]
    assert "did you mean 'lstm.c'" in errors[0]["error"] and ":3:7:" in errors[0]["error"]
    assert result.exit_code == 1


@pytest.mark.parametrize("key", ['" 1"', '"\\t1"', '"1\\n"', '"01"', '"+1"', '"1.0"', '"１"'])
def test_step_keys_are_plain_whole_numbers(lstm, key):
    answers = answers_from_text(f"steps:\n  {key}: {{lstm.c: 3}}\n  2: {{lstm.c: 7}}\n", lstm)
    (problem,) = answers.problems
    assert "written plainly" in str(problem.error)
    assert check(answers, lstm).score == 0.5


def test_padded_copies_of_one_right_answer_buy_nothing(lstm):
    # 100 copies of one right answer under keys that all read as "1" once stripped
    keys = [" " * i + "1" for i in range(1, 51)] + ["1" + " " * i for i in range(1, 51)]
    text = "steps:\n  1: {lstm.c: 3}\n" + "".join(f"  {json.dumps(k)}: {{lstm.c: 3}}\n" for k in keys)
    result = check(answers_from_text(text, lstm), lstm)
    assert (result.right, result.total) == (1, 101)
    # 400 of them: past the limit of answers that cannot be read, the file is one error
    keys = [" " * i + "1" for i in range(1, 201)] + ["1" + " " * i for i in range(1, 201)]
    text = "steps:\n  1: {lstm.c: 3}\n" + "".join(f"  {json.dumps(k)}: {{lstm.c: 3}}\n" for k in keys)
    with pytest.raises(SpecError, match="more than 200 answers cannot be read"):
        answers_from_text(text, lstm)


def test_the_same_quantity_twice_in_a_step_is_an_error_on_both(lstm):
    answers = answers_from_text("steps:\n  1: {lstm.c: 3, c: 4}\n  2: {c: 7}\n", lstm)
    first, second = answers.problems
    assert "answered twice at step 1: also as 'c' on line 2; neither is graded" in str(first.error)
    assert "answered twice at step 1: also as 'lstm.c' on line 2; neither is graded" in str(second.error)
    assert [(a.t, a.quantity) for a in answers.answers] == [(2, "lstm.c")]
    # the same number under two names (a worksheet's y and lstm.h columns) counts once
    answers = answers_from_text("steps:\n  1: {lstm.c: 3, c: 3, y: 0, lstm.h: 0}\n", lstm)
    assert not answers.problems and [a.quantity for a in answers.answers] == ["lstm.c", "y"]


# --------------------------------------------------------------------------- digits

def test_a_wrong_row_shows_the_digits_that_differ(tmp_path):
    c4 = CELLS[3][0]                               # 6.99950063…
    mine = round(c4, 6) + 3e-6                     # agrees to 4 decimals, not to 1e-9
    path = write(tmp_path, "a.yaml", f"steps:\n  4: {{lstm.c: {mine!r}}}\n")
    result = invoke("check", "lstm_example.yaml", path, "--tolerance", "1e-9")
    row = next(line for line in result.stdout.splitlines() if "lstm.c" in line)
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[5] == "WRONG" and cells[2] != cells[3]
    assert float(cells[2]) == pytest.approx(mine, abs=5e-7) and float(cells[3]) == pytest.approx(c4, abs=5e-7)


# --------------------------------------------------------------------------- a class

def test_a_class_table_tells_every_file_apart_at_80_and_40_columns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = [f"submissions/hw4/hw4_lstm_answers_b0990212{i}.yaml" for i in range(4)]
    for i, name in enumerate(names):
        write(tmp_path, name, f"steps:\n  4: {{y: {7 + i % 2}}}\n")
    for columns in (80, 40):
        result = invoke("check", "lstm_example.yaml", *names, columns=columns)
        lines = result.stdout.splitlines()
        assert all(len(line) <= columns for line in lines), columns
        assert "in submissions/hw4/" in lines[0]
        text = "".join(line.strip("│┃ ").replace("│", "") for line in lines)
        squeezed = "".join(text.split())
        for name in names:
            assert name.rsplit("/", 1)[1] in squeezed
    result = invoke("check", "lstm_example.yaml", *names, "--format", "csv")
    assert [row["file"] for row in csv.DictReader(io.StringIO(result.stdout))] == names


def test_unreadable_files_score_0_in_the_csv_and_the_mean(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.yaml", "steps:\n  4: {y: 7}\n")
    write(tmp_path, "b.yaml", "steps: [\n")
    result = invoke("check", "lstm_example.yaml", "a.yaml", "b.yaml", "c.yaml", "--format", "csv")
    rows = {r["file"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["b.yaml"]["status"] == rows["c.yaml"]["status"] == "error"
    assert rows["b.yaml"]["score"] == rows["c.yaml"]["score"] == "0" and rows["a.yaml"]["score"] == "1.0"
    table = invoke("check", "lstm_example.yaml", "a.yaml", "b.yaml", "c.yaml")
    assert "mean score 33% counting 2 unreadable as 0" in " ".join(table.stdout.split())


# --------------------------------------------------------------------------- tolerance

def test_a_files_own_tolerance_is_not_used_for_a_class_unless_trusted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "honest.yaml", "steps:\n  4: {lstm.c: 7}\n")
    write(tmp_path, "cheat.yaml", "tolerance: 1e300\nsteps:\n  4: {lstm.c: 999}\n")
    result = invoke("check", "lstm_example.yaml", "honest.yaml", "cheat.yaml", "--format", "csv")
    rows = {r["file"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["cheat.yaml"]["status"] == "wrong" and rows["cheat.yaml"]["score"] == "0.0"
    assert rows["cheat.yaml"]["tolerance"] == "0.01" and rows["cheat.yaml"]["tolerance_from"] == "default"
    assert "1 file sets its own tolerance, not used" in result.stderr
    trusted = invoke("check", "lstm_example.yaml", "honest.yaml", "cheat.yaml", "--format", "csv",
                     "--trust-file-tolerance")
    rows = {r["file"]: r for r in csv.DictReader(io.StringIO(trusted.stdout))}
    assert rows["cheat.yaml"]["status"] == "right" and rows["cheat.yaml"]["tolerance_from"] == "file"
    table = invoke("check", "lstm_example.yaml", "honest.yaml", "cheat.yaml")
    assert "tol." in table.stdout and "0.01" in table.stdout
    # one file on its own (a student checking their work) keeps its own tolerance
    alone = invoke("check", "lstm_example.yaml", "cheat.yaml")
    assert alone.exit_code == 0 and "(the file's own tolerance)" in alone.stdout


@pytest.mark.parametrize("options", [["--trust-file-tolerance"], ["--tolerance", "1e308"]])
def test_a_huge_tolerance_cannot_crash_the_class_json(tmp_path, monkeypatch, options):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.yaml", "steps:\n  4: {lstm.c: 7}\n")
    write(tmp_path, "b.yaml", "tolerance: 1e308\nsteps:\n  4: {lstm.c: 999}\n  3: {lstm.c: -1e308}\n")
    result = invoke("check", "lstm_example.yaml", "a.yaml", "b.yaml", "--format", "json", *options)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)                 # strict JSON, written whole
    jsonschema.validate(report, schema("check.json"))
    b = report["files"][1]
    assert b["status"] == "right" and b["answers"][0]["allowed"] is None
    for fmt in ("csv", "table"):
        assert invoke("check", "lstm_example.yaml", "a.yaml", "b.yaml", "--format", fmt, *options).exit_code == 0


# --------------------------------------------------------------------------- a key

KEY = "tolerance: 0.001\nsteps:\n  2: {lstm.c: 7, y: 0}\n  4: {lstm.c: 6.9995, y: 6.9995}\n"


def test_a_key_decides_what_is_scored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "key.yaml", KEY)
    # answers only what the sheet prints (x, c_prev) plus one of the key's four
    write(tmp_path, "lazy.yaml", "steps:\n  1: {x: [3, 1, 0], lstm.c_prev: 0}\n  2: {lstm.c: 7}\n")
    write(tmp_path, "good.yaml", "steps:\n  2: {c: 7, y: 0}\n  4: {c: 6.9995, y: 6.9995}\n")
    result = invoke("check", "lstm_example.yaml", "--key", "key.yaml", "lazy.yaml", "good.yaml",
                    "--format", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema("check.json"))
    lazy, good = report["files"]
    assert (lazy["right"], lazy["total"], lazy["score"]) == (1, 4, 0.25)
    assert [a["status"] for a in lazy["answers"]] == ["right", "unanswered", "unanswered", "unanswered"]
    assert lazy["ignored"] == [{"t": 1, "quantity": "x"}, {"t": 1, "quantity": "lstm.c_prev"}]
    assert (good["right"], good["total"]) == (4, 4)
    assert lazy["tolerance"] == 0.001 and lazy["tolerance_from"] == "key"
    assert report["summary"]["ignored"] == 2 and report["key"] == "key.yaml"
    table = invoke("check", "lstm_example.yaml", "--key", "key.yaml", "lazy.yaml", "good.yaml")
    flat = " ".join(table.stdout.split())
    assert "2 answers not graded (unknown names, or not asked by the key)" in flat
    assert lazy["not_graded"] == [{"t": 1, "quantity": "x", "why": "not asked"},
                                  {"t": 1, "quantity": "lstm.c_prev", "why": "not asked"}]
    rows = list(csv.DictReader(io.StringIO(invoke("check", "lstm_example.yaml", "--key", "key.yaml", "lazy.yaml",
                                                   "good.yaml", "--format", "csv").stdout)))
    assert rows[0]["not_graded"] == "2 answers not graded: step 1 x not asked, step 1 lstm.c_prev not asked"
    assert rows[1]["not_graded"] == "" and rows[0]["percent"] == "25.0" and rows[1]["percent"] == "100.0"
    one = invoke("check", "lstm_example.yaml", "--key", "key.yaml", "lazy.yaml")
    out = " ".join(one.stdout.split())
    assert "unanswered" in out and "2 answers not graded: step 1 x not asked, step 1 lstm.c_prev not asked" in out
    assert "(the key's tolerance)" in out


def test_the_keys_tolerance_is_used_and_the_option_wins(lstm, tmp_path):
    key = load_key(write(tmp_path, "key.yaml", KEY), lstm)
    # 7 for 6.9995 is off by 0.0005: allowed 0.001·7 under the key
    answers = answers_from_text("tolerance: 100\nsteps:\n  4: {lstm.c: 7.01}\n", lstm)
    result = check(answers, lstm, policy=Policy(key=key))
    step4 = [v for v in result.verdicts if v.t == 4 and v.quantity == "lstm.c"]
    assert result.tolerance == 0.001 and step4[0].status == "wrong"                   # 0.0105 > 0.007
    result = check(answers, lstm, policy=Policy(0.01, key=key))
    assert [v.right for v in result.verdicts if v.t == 4 and v.quantity == "lstm.c"] == [True]   # ≤ 0.07


def test_a_key_answered_by_units(basic, tmp_path):
    key = load_key(write(tmp_path, "key.yaml", "steps:\n  3: {hidden.h: [16, 16]}\n  2:\n    y[1]: 12\n"), basic)
    both = check(answers_from_text("steps:\n  3:\n    hidden.h[1]: 16\n    hidden.h[2]: 16\n  2: {y: [12, 0]}\n",
                                   basic), basic, policy=Policy(key=key))
    assert [v.status for v in both.verdicts] == ["right", "right"]       # y[2] was not asked
    half = check(answers_from_text("steps:\n  3:\n    hidden.h[1]: 16\n", basic), basic, policy=Policy(key=key))
    assert [v.status for v in half.verdicts] == ["error", "unanswered"]
    assert "no answer for unit 2" in half.verdicts[0].error


def test_a_key_of_another_spec_is_refused(tmp_path):
    key = write(tmp_path, "key.yaml", "steps:\n  2: {lstm.c: 8}\n")
    a = write(tmp_path, "a.yaml", "steps:\n  2: {lstm.c: 7}\n")
    result = invoke("check", "lstm_example.yaml", "--key", key, a)
    assert result.exit_code == 2 and result.stdout == ""
    assert "step 2 lstm.c: the key says 8.0, but the spec's exact value is 7.0" in result.stderr


def test_the_key_rnntrace_answers_writes_grades_a_class(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    key = invoke("answers", "lstm_example.yaml", "--ask", "c,y")
    write(tmp_path, "key.yaml", key.stdout)
    write(tmp_path, "a.yaml", "steps:\n  1: {c: 3, y: 0}\n  2: {c: 7, y: 0}\n  3: {c: 7, y: 0}\n"
                              "  4: {c: 7, y: 7}\n  5: {c: 0, y: 0}\n")
    write(tmp_path, "b.yaml", "steps:\n  4: {c: 7, y: 7}\n")
    result = invoke("check", "lstm_example.yaml", "--key", "key.yaml", "a.yaml", "b.yaml", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["right"], r["total"]) for r in rows] == [("10", "10"), ("2", "10")]
    assert rows[1]["first_wrong_step"] == "1" and rows[1]["first_wrong_quantity"] == "lstm.c"


# --------------------------------------------------------------------------- hints

def test_explain_writes_run_explains_line_under_a_wrong_answer(tmp_path):
    path = write(tmp_path, "a.yaml", "steps:\n  2: {lstm.c: 8}\n  3: {lstm.c_prev: 8, y: 0}\n")
    result = invoke("check", "lstm_example.yaml", path, "--explain")
    out = result.stdout
    run = invoke("run", "lstm_example.yaml", "--explain", "--steps", "2").stdout
    line = next(line.strip("│ ") for line in run.splitlines() if "g·i + c_prev·f" in line)
    assert line.startswith("c") and "= 4·1 + 3·1 = 7" in line     # the lecture: c = 4 + 3
    assert line in out
    # c_prev at step 3 is what step 2 wrote: the same line, said so
    assert "c_prev at step 3 is c from step 2:" in out
    assert out.count(line) == 2


def test_explain_hints_are_in_the_json(tmp_path):
    path = write(tmp_path, "a.yaml", "steps:\n  2: {lstm.c: 8, y: 0}\n")
    report = json.loads(invoke("check", "lstm_example.yaml", path, "--explain", "--format", "json").stdout)
    jsonschema.validate(report, schema("check.json"))
    wrong, right = report["files"][0]["answers"]
    assert "g·i + c_prev·f = 4·1 + 3·1 = 7" in wrong["hint"] and "hint" not in right


def test_explain_for_a_class_table_or_csv_is_a_usage_error(tmp_path):
    a = write(tmp_path, "a.yaml", "steps:\n  2: {lstm.c: 8}\n")
    for args in ([a, a], [a, "--format", "csv"]):
        result = invoke("check", "lstm_example.yaml", *args, "--explain")
        assert result.exit_code == 2 and result.stdout == "" and "--explain" in result.stderr


@pytest.mark.parametrize("name", ["elman.yaml", "jordan.yaml", "gru.yaml", "bidirectional.yaml",
                                  "slot_filling.yaml", "lstm_two_layer.yaml", "lstm_peephole.yaml"])
def test_every_quantitys_hint_is_run_explains_text(name):
    """Each quantity's hint is lines of `run --explain` at that step (a memory read: at
    the step that wrote it), whatever the layer type."""
    from rnntrace.render.explain import quantity_text
    spec = rnntrace.load_spec(rnntrace.bundled.examples_dir() / name)
    trace = rnntrace.run(spec)
    ref = Reference.from_trace(trace)
    t = 2
    panels = {s: [line.strip("│ ") for line in invoke("run", name, "--explain", "--steps", str(s)).stdout.splitlines()]
              for s in (1, 2, 3) if s <= len(trace)}
    for q in ref.quantities:
        if q == "x":
            continue
        hint = quantity_text(spec, trace, t, q)
        assert hint, q
        lines = hint.splitlines()
        if lines[0].endswith(":") and " is " in lines[0]:       # "h_prev at step 2 is h from step 1:"
            source = int(lines[0].rsplit("step ", 1)[1].rstrip(":"))
            lines = lines[1:]
        else:
            source = t
        for line in lines:
            assert line in panels[source], (q, line)


def test_a_tie_accepts_each_tied_label(tmp_path):
    spec = tmp_path / "tie.yaml"
    # W = 0 and b = [1, 1, 0]: z = [1, 1, 0], so "yes" and "maybe" tie for the largest output
    spec.write_text("inputs: [[1]]\nlayers:\n  - {name: out, type: dense, size: 3, activation: softmax, "
                    "W: 0, b: [1, 1, 0], labels: [yes, maybe, no]}\n", encoding="utf-8")
    ref = Reference.from_trace(rnntrace.run(rnntrace.load_spec(str(spec))))
    result = check(answers_from_text("steps:\n  1: {label: maybe}\n", ref), ref)
    assert result.verdicts[0].right and set(result.verdicts[0].exact) == {"yes", "maybe"}
    assert not check(answers_from_text("steps:\n  1: {label: no}\n", ref), ref).verdicts[0].right


def test_the_hint_of_a_label_and_of_a_labelled_unit_is_the_softmax_line(tmp_path):
    path = write(tmp_path, "s.yaml", "steps:\n  2:\n    slot.y[time]: 0.5\n    slot.label: time\n")
    out = invoke("check", "slot_filling.yaml", path, "--explain").stdout
    # step 2 ("Taipei" after "arrive"): z = [4, 0, 2], softmax → destination
    assert "step 2 slot.y[time]: yours 0.5" in out and "step 2 slot.label: yours time" in out
    assert out.count("softmax(z) = [0.8668, 0.0159, 0.1173] → destination") == 2
