"""A class of 13 realistic answer files for the lecture's LSTM, graded against a key that
asks c and y at every step (10 questions) with --follow-through, as a careful teacher
would by hand: every difference visible in the class table and in the CSV.

The files are made here from the spec's own numbers (rnntrace's exact values, and the
lecture's gates for the slip carried forward), never typed in."""
import csv
import io
import json

import pytest
import yaml
from click.testing import CliRunner

from rnntrace.cli import main

from conftest import EXAMPLES

LECTURE = str(EXAMPLES / "lstm_example.yaml")


def invoke(*args, **kwargs):
    result = CliRunner().invoke(main, [str(a) for a in args], **kwargs)
    assert "Traceback" not in result.output, result.output
    return result


def flow(step):
    """A step's answers as a YAML flow mapping, numbers as Python writes them exactly."""
    return "{" + ", ".join(f"{k}: {v!r}" if not isinstance(v, str) else f"{k}: {v}" for k, v in step.items()) + "}"


def document(steps, head=""):
    return head + "steps:\n" + "".join(f"  {t}: {flow(s)}\n" for t, s in steps.items())


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    exact = yaml.safe_load(invoke("answers", LECTURE, "--ask", "all").stdout)["steps"]
    c = {t: exact[t]["lstm.c"] for t in exact}
    y = {t: exact[t]["y"] for t in exact}
    gate = {t: {g: exact[t][f"lstm.gates.{g}.a"] for g in ("cell_input", "input_gate", "forget_gate", "output_gate")}
            for t in exact}
    (folder / "key.yaml").write_text(invoke("answers", LECTURE, "--ask", "c,y").stdout, encoding="utf-8")
    right = {t: {"c": c[t], "y": y[t]} for t in exact}
    files = {}

    # 1. right under the names the views print: the table's words, symbols, aliases
    names = [("cell", "output"), ("lstm.c", "y"), ("c", "out"), ("lstm.cell", "lstm.h"), ("Cell", "lstm.output")]
    files["names"] = document({t: {n_c: c[t], n_y: y[t]} for t, (n_c, n_y) in zip(exact, names)})
    # 2. a slip: c_4 = 7.9 (exact 6.9995), y_4 still right
    slip = {t: dict(v) for t, v in right.items()}
    slip[4]["c"] = 7.9
    files["slip"] = document(slip)
    # 3. an error carried forward: c_2 one too many, every later value worked from it with
    # the lecture's gates: c_t = f·c_{t−1} + i·g, y_t = o·c_t (g and h linear)
    carried, previous = {}, None
    for t in exact:
        g = gate[t]
        cell = c[t] + 1 if t == 2 else (c[t] if previous is None else
                                         g["forget_gate"] * previous + g["input_gate"] * g["cell_input"])
        carried[t] = {"c": round(cell, 4), "y": round(g["output_gate"] * cell, 4)}
        previous = cell
    files["carried"] = document(carried)
    # 4. missing answers: steps 4 and 5 left out
    files["missing"] = document({t: right[t] for t in (1, 2, 3)})
    # 5. a step pasted twice
    files["pasted"] = document(right) + f"  3: {flow(right[3])}\n"
    # 6. a decimal comma in a flow mapping: c_4 written 6,9995
    comma = document({t: right[t] for t in (1, 2, 3, 5)}) + f"  4: {{c: {str(round(c[4], 4)).replace('.', ',')}, " \
                                                             f"y: {y[4]!r}}}\n"
    files["comma"] = comma
    # 7. ≈0 as the tables write σ(−10)·c and c_5
    approx = {t: {"c": c[t] if t != 5 else "≈0", "y": y[t] if t == 4 else "≈0"} for t in exact}
    files["approx"] = document(approx)
    # 8. a tolerance of its own (0.5) that would pass c_4 = 7.3; the key's is used
    loose = {t: dict(v) for t, v in right.items()}
    loose[4]["c"] = 7.3
    files["loose"] = document(loose, "tolerance: 0.5\n")
    # 9. malformed: a mapping not closed
    files["malformed"] = "steps:\n  1: {c: 3, y: 0\n  2: {c: 7}\n"
    # 10. BOM and CRLF, all right
    files["bom"] = "\ufeff" + document(right).replace("\n", "\r\n")
    # 12. a misspelt name: 'outpt' at step 3 (y_3 unanswered)
    typo = {t: dict(v) for t, v in right.items()}
    typo[3] = {"c": c[3], "outpt": y[3]}
    files["typo"] = document(typo)
    # 13. right, with gate values the key does not ask for
    extra = {t: dict(v, **{"forget gate": gate[t]["forget_gate"]}) for t, v in right.items()}
    files["extra"] = document(extra)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_bytes(text.encode("utf-8"))
    order = ["names", "slip", "carried", "missing", "pasted", "comma", "approx", "loose", "malformed", "bom",
             "absent", "typo", "extra"]                                   # 11. absent: no file at all
    return folder, [folder / f"{name}.yaml" for name in order], c


EXPECTED = {   # file: (right of 10, status, what the teacher writes beside it)
    "names": (10, "right", None),
    "slip": (9, "wrong", "step 4 lstm.c"),
    "carried": (9, "wrong", "step 2 lstm.c"),          # c_3, c_4, y_4 … follow from their c_2
    "missing": (6, "wrong", "step 4 lstm.c: unanswered"),
    "pasted": (8, "wrong", "step 3 appears 2 times (lines 4, 7): none of its answers is graded"),
    "comma": (9, "wrong", "looks like a number with a decimal comma"),
    "approx": (10, "right", None),
    "loose": (9, "wrong", "step 4 lstm.c"),
    "malformed": (0, "error", "YAML syntax error"),
    "bom": (10, "right", None),
    "absent": (0, "error", "no such file"),
    "typo": (9, "wrong", "step 3 y: unanswered"),
    "extra": (10, "right", None),
}


def test_the_class_as_a_teacher_grades_it(classroom):
    folder, paths, _ = classroom
    result = invoke("check", LECTURE, *paths, "--key", folder / "key.yaml", "--follow-through", "--format", "json")
    assert result.exit_code == 1 and "2 of 13 answer files could not be read" in result.stderr
    report = json.loads(result.stdout)
    got = {}
    for path, f in zip(paths, report["files"]):
        name = path.stem
        right, status, note = EXPECTED[name]
        assert (f["right"], f["status"]) == (right, status), (name, f)
        assert f["total"] == (10 if status != "error" else 0), name
        first = f["first_wrong"]
        text = f["error"] or (f"step {first['t']} {first['quantity']}: {first['status']}"
                              f"{': ' + first['error'] if first['error'] else ''}" if first else None)
        assert (note is None) == (text is None) and (note is None or note in text), (name, text)
        got[name] = f
    # the slip carried forward: c_2 is wrong, and what follows from it is marked so
    follows = [(a["t"], a["quantity"]) for a in got["carried"]["answers"] if a["follows"]]
    assert (3, "lstm.c") in follows and (4, "y") in follows
    assert all(a["follows"].startswith("your lstm.c at step") for a in got["carried"]["answers"] if a["follows"])
    # what was given and not graded is listed, by file
    assert got["typo"]["not_graded"] == [{"t": 3, "quantity": "outpt", "why": "unknown"}]
    assert [g["why"] for g in got["extra"]["not_graded"]] == ["not asked"] * 5
    assert got["names"]["not_graded"] == [] and got["approx"]["not_graded"] == []
    # the file's own 0.5 is not used: the key's (here the default) is
    assert got["loose"]["tolerance"] == 0.01 and got["loose"]["tolerance_from"] == "default"
    summary = report["summary"]
    assert (summary["files"], summary["all_right"], summary["unreadable"]) == (13, 4, 2)
    assert summary["mean_score"] == pytest.approx(sum(v[0] for v in EXPECTED.values()) / 130)


def test_without_follow_through_the_carried_slip_costs_every_value_it_touched(classroom):
    folder, paths, _ = classroom
    report = json.loads(invoke("check", LECTURE, paths[2], "--key", folder / "key.yaml", "--format", "json").stdout)
    wrong = [(a["t"], a["quantity"]) for a in report["files"][0]["answers"] if not a["right"]]
    # c_2, c_3, c_4 are one too many; y_4 = o·c_4 too; c_5 and y_5 are ≈0 either way,
    # and y_2, y_3 = σ(−10)·c are within the tolerance of 0 either way
    assert wrong == [(2, "lstm.c"), (3, "lstm.c"), (4, "lstm.c"), (4, "y")]


def test_every_difference_is_in_the_table_and_the_csv(classroom):
    folder, paths, _ = classroom
    table = invoke("check", LECTURE, *paths, "--key", folder / "key.yaml", "--follow-through",
                   env={"COLUMNS": "200"}).stdout
    for word in ("10/10 100%", "9/10 90%", "8/10 80%", "6/10 60%", "unreadable: no such file", "YAML syntax error",
                 "decimal comma", "appears 2 times", "1 answer not graded: step 3 'outpt' unknown",
                 "5 answers not graded"):
        assert word in table, word
    rows = list(csv.DictReader(io.StringIO(invoke("check", LECTURE, *paths, "--key", folder / "key.yaml",
                                                  "--follow-through", "--format", "csv").stdout)))
    by = {row["file"].rsplit("/", 1)[-1][:-5]: row for row in rows}
    for name, (right, status, _) in EXPECTED.items():
        assert by[name]["status"] == status and by[name]["percent"] == f"{10.0 * right:.1f}", name
    assert by["absent"]["error"].endswith("no such file") and by["absent"]["score"] == "0"
    assert by["typo"]["not_graded"] == "1 answer not graded: step 3 'outpt' unknown"
    assert by["loose"]["tolerance_from"] == "default" and by["loose"]["tolerance"] == "0.01"
    assert "-0.0" not in "".join(",".join(r.values()) for r in rows)
