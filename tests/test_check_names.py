"""One vocabulary of names (docs/check.md, "Names"): every name the views print for a
quantity — its path, its symbol as printed (``z_f``, ``σ(z_f)``), its short names (``f``)
and the lecture's words (``forget gate``, ``cell``, ``output``) — is an answer name, with
and without a key; ``y``/``out`` are the network's output; an ambiguous name is an error
listing the candidates. The printed names are taken from the layers' descriptions, the
one place the views take them from."""
import json

import pytest
from click.testing import CliRunner

import rnntrace
import rnntrace.bundled
from rnntrace.grading.answers import Policy, Reference, answers_from_text, check, load_key
from rnntrace.cli import main
from rnntrace.layers import describe
from rnntrace.spec import load_spec

EXAMPLES = sorted(p.name for p in rnntrace.bundled.examples_dir().glob("*.yaml"))


def reference_of(name):
    spec = load_spec(str(rnntrace.bundled.examples_dir() / name))
    return spec, Reference.from_trace(rnntrace.run(spec), name)


def printed_names(spec):
    """(layer, path, name) for every name a description gives a quantity: its label as
    the table prints it (each side of ``h = relu(z)``), its short names and words."""
    for layer in spec.layers:
        description = describe(layer)
        parts = [("", description)] + [(f"{side}.", description[side]) for side in ("forward", "backward")
                                       if isinstance(description.get(side), dict)]
        for prefix, part in parts:
            for row in part["quantities"]:
                path = f"{layer.name}.{prefix}{row['path']}"
                label = row["label"].split(" (")[0]
                symbols = {row["label"], *label.split(" = ")}
                names = symbols | {*row.get("short", ()), *row.get("words", ())}
                if prefix:       # a direction's quantity is printed with its direction: → h, h→
                    arrow = {"forward.": "→", "backward.": "←"}[prefix]
                    names = {f"{prefix}{n}" for n in names} | {f"{arrow} {n}" for n in symbols} | \
                        {f"{n}{arrow}" for n in symbols}
                for name in names | {path}:
                    yield layer.name, prefix, path, name


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_printed_name_is_an_answer_name(example):
    spec, reference = reference_of(example)
    same = reference.canonical
    count = 0
    for layer, prefix, path, name in printed_names(spec):
        if path not in reference.quantities:
            continue
        count += 1
        try:
            found, unit = reference.resolve(name)
        except ValueError as exc:
            # ambiguous in this network (two layers' "output"): the error lists it, and
            # the name after its layer (and direction) is that quantity
            assert "could be any of" in str(exc) and path in str(exc), (name, str(exc))
            found, unit = reference.resolve(f"{layer}.{name}")
        assert same(found) == same(path) and unit is None, (example, name, found, path)
    assert count


def test_the_lectures_words_and_symbols():
    _, lstm = reference_of("lstm_example.yaml")
    expected = {"z_f": "lstm.gates.forget_gate.z", "σ(z_f)": "lstm.gates.forget_gate.a", "f": "lstm.gates.forget_gate.a",
                "forget gate": "lstm.gates.forget_gate.a", "Forget Gate": "lstm.gates.forget_gate.a",
                "g": "lstm.gates.cell_input.a", "g(z)": "lstm.gates.cell_input.a", "cell input": "lstm.gates.cell_input.a",
                "cell": "lstm.c", "c": "lstm.c", "output": "lstm.h", "z": "lstm.gates.cell_input.z",
                "y": "y", "out": "y", "lstm.f": "lstm.gates.forget_gate.a", "h": "lstm.h"}
    assert {name: lstm.resolve(name)[0] for name in expected} == expected
    assert lstm.canonical("y") == lstm.canonical("lstm.h") == "lstm.h"


def test_an_ambiguous_name_lists_the_candidates():
    _, two = reference_of("lstm_two_layer.yaml")
    with pytest.raises(ValueError) as caught:
        two.resolve("forget gate")
    message = str(caught.value)
    assert "could be any of" in message
    assert all(f"{layer.name}.gates.forget_gate.a" in message for layer in two.trace.spec.layers)


def key_of(example, tmp_path):
    path = tmp_path / "key.yaml"
    path.write_text(CliRunner().invoke(main, ["answers", example, "--ask", "all"]).stdout, encoding="utf-8")
    return path


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_printed_name_answers_its_question_with_and_without_a_key(example, tmp_path):
    spec, reference = reference_of(example)
    key = load_key(str(key_of(example, tmp_path)), reference)
    for layer, prefix, path, name in printed_names(spec):
        if path not in reference.quantities:
            continue
        try:
            reference.resolve(name)
        except ValueError:
            name = f"{layer}.{name}"
        exact = list(reference.steps[0][path])
        text = json.dumps({"steps": {"1": {name: exact if len(exact) > 1 else exact[0]}}}, ensure_ascii=False)
        alone = check(answers_from_text(text, reference), reference)
        assert (alone.right, alone.total) == (1, 1), (name, alone)
        graded = check(answers_from_text(text, reference), reference, policy=Policy(key=key))
        assert graded.right == 1 and not graded.ignored and not graded.not_graded, (name, graded)


def test_under_a_key_y_answers_the_output_and_an_unknown_name_is_an_error_row(tmp_path):
    key = tmp_path / "key.yaml"
    key.write_text(CliRunner().invoke(main, ["answers", "lstm_example.yaml", "--ask", "c,y"]).stdout,
                   encoding="utf-8")
    # the key asks y; this file answers lstm.h (the same value), cell and output by the
    # lecture's words, and misspells one name
    answers = tmp_path / "a.yaml"
    answers.write_text("steps:\n  1: {cell: 3, output: 0}\n  2: {c: 7, lstm.h: 0}\n  3: {c: 7, outpt: 0}\n"
                       "  4: {c: 7, y: 7}\n  5: {c: 0, out: 0}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "lstm_example.yaml", str(answers), "--key", str(key),
                                       "--format", "json"])
    only = json.loads(result.stdout)["files"][0]
    assert (only["right"], only["total"]) == (9, 10)
    rows = {(a["t"], a["quantity"]): a["status"] for a in only["answers"]}
    assert rows[(3, "y")] == "unanswered" and rows[(3, "outpt")] == "error"
    assert only["not_graded"] == [{"t": 3, "quantity": "outpt", "why": "unknown"}]
