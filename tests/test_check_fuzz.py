"""Seeded fuzzing of `check --key --follow-through` with hostile answer files: random
names (every printed name of every quantity, their misspellings, junk), random values
(numbers near and far, ≈ values, decimal commas, text, lists of the wrong length, NaN,
1e400), repeated steps and quantities, claimed inputs and memory reads. No file may
crash the command, and none may score more with the flag than the same file stripped
of every value the key does not ask for (docs/check.md, "Follow-through").

The same files every run (seeded); a few seconds in-process."""
import json
import random

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

import rnntrace
import rnntrace.bundled
from rnntrace.cli import main
from rnntrace.grading.answers import Reference, load_key
from rnntrace.errors import SpecError
from rnntrace.spec import load_spec
from rnntrace.yamlsource import parse

from conftest import schema

SEED = 21
FILES = 24          # per spec, each through table, json and csv
SPECS = ["lstm_example.yaml", "gru.yaml", "jordan.yaml", "bidirectional.yaml", "lstm_two_layer.yaml",
         "slot_filling.yaml"]
CHECK = jsonschema.Draft202012Validator(schema("check.json"))


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output, (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    return result


def values(rng, exact):
    size = len(exact)
    one = lambda e: rng.choice([e, e, e, e + rng.choice([1, -2, 0.004, 100]), 999, -0.0, 1e300, rng.uniform(-5, 5)])
    form = rng.randrange(12)
    if form < 10:
        got = [one(e if e is not None else 0.0) for e in exact]
        return got[0] if size == 1 and rng.random() < 0.7 else got
    return rng.choice(["≈0", "≈1", "≈ -3", "6,9995", "abc", ".nan", "1e400", [], [1] * (size + 1), {"a": 1},
                       None, "'7'", "=1+1", "\u202e1", "[red]1"])


def hostile(rng, reference, vocabulary_names, questions):
    steps = len(reference)
    lines = []
    if rng.random() < 0.2:
        lines.append(f"tolerance: {rng.choice([0.5, 10, 1e300, 0])}")
    lines.append("steps:")
    # one right answer to a question of the key, so that there is a score to keep or lose
    q = rng.choice([q for q in questions if not q.label and q.units is None])
    lines.append(f"  {q.t}: {{{q.quantity}: {json.dumps(list(reference.steps[q.t - 1][q.quantity]))}}}")
    used = {str(q.t)}
    for _ in range(rng.randrange(1, steps + 2)):
        t = rng.choice([str(rng.randrange(1, steps + 1))] * 20 + ["0", str(steps + 1), "'1'", "1.0", "-1"])
        entries = []
        for _ in range(rng.randrange(1, 6)):
            path = rng.choice(reference.quantities)
            junk = ["x", path + "x", path[:-1], "outpt", "h[9]", "h[0]", "y[1]", "9995", "[x]"]
            name = rng.choice([path] * 8 + rng.sample(vocabulary_names, min(4, len(vocabulary_names))) + junk)
            exact = reference.steps[min(int(t), steps) - 1 if t.isdigit() and 0 < int(t) else 0].get(path, (0.0,))
            value = values(rng, list(exact))
            entries.append(f"{json.dumps(name, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}")
        if t in used and rng.random() < 0.8:
            continue                          # a repeated step now and then, not always
        used.add(t)
        lines.append(f"  {t}: {{{', '.join(entries)}}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("spec_name", SPECS)
def test_hostile_answer_files_under_follow_through(tmp_path, spec_name):
    rng = random.Random(f"{SEED}:{spec_name}")
    spec_path = rnntrace.bundled.examples_dir() / spec_name
    reference = Reference.from_trace(rnntrace.run(load_spec(str(spec_path))))
    names = sorted({n for printed in reference.vocabulary.printed.values() for n in printed})
    asked = ",".join(rng.sample(["c", "y", "h", "f", "z", "output", "all"], 2))
    key = tmp_path / "key.yaml"
    made = invoke("answers", spec_path, "--ask", asked)
    if made.exit_code != 0:                     # a name this network does not have: ask all
        made = invoke("answers", spec_path, "--ask", "all")
    key.write_text(made.stdout, encoding="utf-8")
    questions = load_key(str(key), reference).questions
    same = reference.canonical
    wanted = {(q.t, same(q.quantity)) for q in questions}
    paths = []
    for i in range(FILES):
        path = tmp_path / f"s{i}.yaml"
        path.write_text(hostile(rng, reference, names, questions), encoding="utf-8")
        paths.append(path)
    for fmt in ("table", "csv"):
        result = invoke("check", spec_path, *paths, "--key", key, "--follow-through", "--format", fmt)
        assert result.exit_code in (0, 1), result.output
    report = json.loads(invoke("check", spec_path, *paths, "--key", key, "--follow-through",
                               "--format", "json").stdout)
    CHECK.validate(report)
    compared = []
    for path, result in zip(paths, report["files"]):
        if result["status"] == "error":
            continue
        # the same file with every unasked value removed scores no less
        data = _read(path)
        if not isinstance(data, dict) or not isinstance(data.get("steps"), dict):
            continue
        kept = {}
        for t, entries in data["steps"].items():
            t = int(t) if str(t).isdigit() and not str(t).startswith("0") else None
            for name, value in (entries or {}).items() if isinstance(entries, dict) else ():
                try:
                    found = reference.resolve(str(name))[0]
                except ValueError:
                    continue
                if isinstance(t, int) and (t, same(found)) in wanted:
                    kept.setdefault(t, {})[name] = value
        stripped = tmp_path / "stripped.yaml"
        stripped.write_text(yaml.safe_dump({"steps": kept or {1: {}}}, allow_unicode=True), encoding="utf-8")
        alone = json.loads(invoke("check", spec_path, stripped, stripped, "--key", key, "--follow-through",
                                  "--format", "json").stdout)["files"][0]
        assert result["points"] <= alone["points"] or alone["status"] == "error", \
            (path.read_text(), stripped.read_text(), result["answers"], alone["answers"])
        compared.append(result["points"])
    assert len(compared) >= FILES // 4 and sum(compared) > 0     # the property was really put to the test


def _read(path):
    """The file as rnntrace reads it (its own YAML reader), or None when it holds a
    repeated key or cannot be read: then there is nothing plain to strip."""
    duplicates = []
    try:
        data = parse(path.read_text(encoding="utf-8"), str(path), "an answers file", duplicates).data
    except SpecError:
        return None
    return None if duplicates else data
