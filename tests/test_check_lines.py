"""One bad line costs one answer (docs/check.md): a repeated step or quantity makes both
copies errors and the rest is graded; a decimal comma is an error saying so; ≈0 and ≈1
are read as the tool writes them. And the work per file is bounded: "did you mean" is
searched once per distinct bad name, and a file past the limit of unreadable answers
is one error row."""
import json

import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.grading import answers as answers_module
from rnntrace.grading.answers import Policy, Reference, answers_from_text, check, load_key
from rnntrace.cli import main
from rnntrace.grading.names import Vocabulary
from rnntrace.spec import load_spec

from conftest import EXAMPLES

LECTURE = EXAMPLES / "lstm_example.yaml"


@pytest.fixture(scope="module")
def lstm():
    return Reference.from_trace(rnntrace.run(load_spec(str(LECTURE))), "lstm_example.yaml")


def exact(lstm, t, path):
    return lstm.steps[t - 1][path][0]


def rows(lstm, text):
    result = check(answers_from_text(text, lstm), lstm)
    return [(v.t, v.quantity, v.status) for v in result.verdicts], result


def test_a_step_pasted_twice_makes_both_copies_errors(lstm):
    text = "steps:\n  1: {c: 3}\n  3: {c: 7, y: 0}\n  2: {c: 7}\n  3: {c: 8}\n"
    verdicts, result = rows(lstm, text)
    assert verdicts == [(1, "lstm.c", "right"), (2, "lstm.c", "right"), (3, "c", "error"), (3, "y", "error"),
                        (3, "c", "error")]
    error = result.verdicts[2].error
    assert "step 3 appears 2 times (lines 3, 5): none of its answers is graded" in error


def test_a_quantity_pasted_twice_in_a_step_makes_both_errors(lstm):
    # as a block mapping, the same key twice
    verdicts, result = rows(lstm, "steps:\n  2:\n    c: 7\n    y: 0\n    c: 8\n")
    assert sorted(verdicts) == [(2, "c", "error"), (2, "y", "right")]
    assert "c appears 2 times at step 2 (lines 3, 5): neither is graded" in result.verdicts[0].error


@pytest.mark.parametrize("text", ["steps:\n  4: {c: 6,9995, y: 7}\n", "steps:\n  4:\n    c: 6,9995\n    y: 7\n"])
def test_a_decimal_comma_is_one_error_saying_so(lstm, text):
    verdicts, result = rows(lstm, text)
    assert sorted(verdicts) == [(4, "c", "error"), (4, "y", "right")]
    (error,) = [v.error for v in result.verdicts if v.error]
    assert "6,9995 looks like a number with a decimal comma" in error and "write 6.9995" in error


def test_approximately_as_the_tool_writes_it(lstm):
    # exact o_1 = σ(−10) = 4.54e−5 (≈0 in a table), f_1 = σ(110) = 1 − 1e−48 (≈1)
    assert exact(lstm, 1, "lstm.gates.output_gate.a") < 0.01 and 0.99 < exact(lstm, 1, "lstm.gates.forget_gate.a")
    text = ("steps:\n  1: {output_gate.a: ≈0, forget_gate.a: ≈1, input_gate.a: ≈0}\n"
            "  4: {c: '≈7', h: ≈ 7, c_prev: ≈−7}\n")
    verdicts, result = rows(lstm, text)
    assert verdicts == [(1, "lstm.gates.output_gate.a", "right"), (1, "lstm.gates.forget_gate.a", "right"),
                        (1, "lstm.gates.input_gate.a", "wrong"), (4, "lstm.c", "right"), (4, "lstm.h", "right"),
                        (4, "lstm.c_prev", "wrong")]
    assert result.verdicts[2].yours == (0.0,) and result.verdicts[5].yours == (-7.0,)


def test_the_rendered_approximations_read_back(lstm):
    # every "≈…" the table writes for the lecture's run is read back as right
    from rnntrace.render.numbers import fmt
    written = {}
    for t, step in enumerate(lstm.steps, 1):
        for path, values in step.items():
            text = fmt(values[0]) if len(values) == 1 and values[0] is not None else ""
            if text.startswith("≈"):
                written.setdefault(t, {})[path] = text
    assert written, "the lecture's run has values written with ≈"
    result = check(answers_from_text(json.dumps({"steps": written}, ensure_ascii=False), lstm), lstm)
    # y and lstm.h are one quantity: written twice with the same value, it counts once
    distinct = {(t, lstm.canonical(path)) for t, step in written.items() for path in step}
    assert result.total == len(distinct) < sum(len(v) for v in written.values())
    assert result.right == result.total


# --------------------------------------------------------------------------- bounded

def test_twenty_thousand_unknown_names_are_one_error_row_with_bounded_work(lstm, tmp_path, monkeypatch):
    calls = []
    search = Vocabulary.suggest
    monkeypatch.setattr(Vocabulary, "suggest", lambda self, name: calls.append(name) or search(self, name))
    key = tmp_path / "key.yaml"
    key.write_text(CliRunner().invoke(main, ["answers", str(LECTURE), "--ask", "all"]).stdout, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps:\n  2:\n" + "".join(f"    q{i}: 1\n" for i in range(20_000)), encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text("steps:\n  2: {c: 7}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(LECTURE), "--key", str(key), str(bad), str(good),
                                       "--format", "json"])
    files = json.loads(result.stdout)["files"]
    assert files[0]["status"] == "error" and "more than 200 answers cannot be read" in files[0]["error"]
    assert files[1]["right"] == 1
    assert len(calls) <= answers_module.MAX_UNREADABLE + 1       # not 20,000 × 65 searches


def test_a_bad_name_is_searched_once_however_often_it_appears(lstm, monkeypatch):
    calls = []
    search = Vocabulary.suggest
    monkeypatch.setattr(Vocabulary, "suggest", lambda self, name: calls.append(name) or search(self, name))
    fresh = Reference(lstm.source, lstm.steps, lstm.quantities, lstm.labels, lstm.unit_names, lstm.trace)
    text = "steps:\n" + "".join(f"  {t}: {{cel: 1, outpt: 2, c: 3}}\n" for t in range(1, 6))
    result = check(answers_from_text(text, fresh), fresh)
    assert [v.status for v in result.verdicts].count("error") == 10
    assert sorted(calls) == ["cel", "outpt"]
