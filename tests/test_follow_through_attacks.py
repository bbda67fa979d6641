"""Follow-through cannot be gamed (docs/check.md, "Follow-through"): a recomputation uses
only the student's answers to asked quantities (each graded itself) and the spec's own
inputs and weights, never a value the key does not ask for, never a claimed input x,
never a claimed memory read.

The four attack files are made from the spec's own numbers: the lecture's LSTM run on
other inputs (all zeros; x = [500, 1, 1]) by rnntrace itself, made-up gate values that
would carry a wrong cell along, and a claimed c_prev. Each must score no more with the
flag than the same file with every value the key does not ask for removed."""
import json

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnntrace
from rnntrace.grading.answers import Policy, Reference, answers_from_text, check, load_key
from rnntrace.cli import main
from rnntrace.grading.followthrough import FollowThrough
from rnntrace.spec import load_spec, spec_from_text

from conftest import EXAMPLES
from test_properties import specs as random_specs

LECTURE = EXAMPLES / "lstm_example.yaml"


def cli(*args, input=None):
    result = CliRunner().invoke(main, [str(a) for a in args], input=input)
    assert "Traceback" not in result.output, result.output
    return result


def score(spec, key, answers, follow=True):
    args = ["check", spec, answers, "--key", key, "--format", "json"] + (["--follow-through"] if follow else [])
    report = json.loads(cli(*args).stdout)
    only = report["files"][0]
    return only["right"], only["total"]


def lecture_with_inputs(inputs) -> str:
    """The lecture's spec with other inputs: its own weights, numbers from its own text."""
    data = yaml.safe_load(LECTURE.read_text())
    data["inputs"] = inputs
    return json.dumps(data)


def answers_of(spec_text, ask, tmp_path, name) -> dict:
    """What rnntrace itself computes for ``spec_text``: its answers file as data."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(spec_text, encoding="utf-8")
    return yaml.safe_load(cli("answers", path, "--ask", ask).stdout)


def write_answers(tmp_path, name, steps) -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"steps": {str(t): v for t, v in steps.items()}}), encoding="utf-8")
    return str(path)


def without_unasked(tmp_path, name, steps, key) -> str:
    """The same answers with every value the key does not ask for removed."""
    reference = Reference.from_trace(rnntrace.run(load_spec(str(LECTURE))))
    same = reference.canonical
    questions = {(q.t, same(q.quantity), q.units) for q in load_key(key, reference).questions}
    kept = {}
    for t, entries in steps.items():
        for quantity, value in entries.items():
            path, unit = reference.resolve(quantity)
            if (int(t), same(path), None if unit is None else (unit,)) in questions:
                kept.setdefault(t, {})[quantity] = value
    return write_answers(tmp_path, "stripped-" + name, kept)


@pytest.fixture
def keys(tmp_path):
    made = {}
    for ask in ("c,y", "all"):
        path = tmp_path / f"key-{ask.replace(',', '')}.yaml"
        path.write_text(cli("answers", LECTURE, "--ask", ask).stdout, encoding="utf-8")
        made[ask] = str(path)
    return made


def exact(tmp_path):
    return answers_of(LECTURE.read_text(), "all", tmp_path, "exact")["steps"]


def test_the_lectures_numbers(tmp_path):
    # what the attacks are measured against: c = 3, 7, 7, 7, 0 (the lecture's table)
    assert [round(exact(tmp_path)[t]["lstm.c"], 2) for t in range(1, 6)] == [3, 7, 7, 7, 0]


def attack_999(tmp_path):
    """Every c and y 999, with gate values made up so that 999 would follow: at step 1
    i = 333 (c = 333·3 = 999), then i = 0, f = 1, o = 1 (c stays 999, y = c)."""
    steps = {1: {"c": 999, "y": 999, "input_gate.a": 333, "forget_gate.a": 1, "output_gate.a": 1}}
    for t in range(2, 6):
        steps[t] = {"c": 999, "y": 999, "input_gate.a": 0, "forget_gate.a": 1, "output_gate.a": 1}
    return steps


def attack_x(tmp_path, x):
    """The network run on x at every step, by rnntrace, and the x claimed at every step."""
    inputs = [x] * 5
    run = answers_of(lecture_with_inputs(inputs), "all", tmp_path, "other")["steps"]
    steps = {}
    for t in range(1, 6):
        steps[t] = dict(run[t], x=list(x))
    return steps


def attack_c_prev(tmp_path):
    """c = 3 at step 1 (right), then a claimed c_prev of 1000 and c = 1000 + i·g = 1004."""
    g2 = exact(tmp_path)[2]["lstm.gates.cell_input.a"]
    return {1: {"c": 3}, 2: {"c_prev": 1000, "c": 1000 + g2}}


ATTACKS = {
    "999": (attack_999, "c,y"),
    "x500": (lambda tmp: attack_x(tmp, [500, 1, 1]), "c,y"),
    "zeros": (lambda tmp: attack_x(tmp, [0, 0, 0]), "all"),
    "c_prev": (attack_c_prev, "c,y"),
    "c_prev-all": (attack_c_prev, "all"),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_an_attack_scores_no_more_than_its_asked_answers(tmp_path, keys, name):
    make, ask = ATTACKS[name]
    steps = make(tmp_path)
    attack = write_answers(tmp_path, f"{name}.yaml", steps)
    stripped = without_unasked(tmp_path, f"{name}.yaml", steps, keys[ask])
    flagged = score(LECTURE, keys[ask], attack)
    assert flagged[0] <= score(LECTURE, keys[ask], stripped)[0]
    if name.startswith("c_prev"):
        assert flagged[0] <= score(LECTURE, keys[ask], attack, follow=False)[0]


def test_the_attacks_earn_nothing(tmp_path, keys):
    # 10/10 before. Now the made-up gates count for nothing: c_1 = 999 is wrong (exact
    # 3), and so is c_2 = 999 (from their c_1: 999·f + i·g = 999 + 4 = 1003, and 999 is
    # 4 off where 0.07 is allowed, as for the exact 7). What remains is their own wrong
    # c carried forward where the lecture's gates keep it (i = σ(−10) ≈ 0, f = σ(10) ≈ 1
    # at steps 3 and 4; o = σ(90) = 1 at step 4, so y_4 = c_4).
    by = json.loads(cli("check", LECTURE, write_answers(tmp_path, "a.yaml", attack_999(tmp_path)), "--key",
                        keys["c,y"], "--follow-through", "--format", "json").stdout)["files"][0]
    assert [(a["t"], a["quantity"]) for a in by["answers"] if a["right"]] == [(3, "lstm.c"), (4, "lstm.c"), (4, "y")]
    assert {a["follows"] for a in by["answers"] if a["right"]} == {"your lstm.c at step 2", "your lstm.c at step 3",
                                                                  "your lstm.c at step 4"}
    # x = [500, 1, 1] claimed (10/10 before): its answers earn what they earn without x
    steps = attack_x(tmp_path, [500, 1, 1])
    x500 = write_answers(tmp_path, "b.yaml", steps)
    right, _ = score(LECTURE, keys["c,y"], x500)
    assert right == score(LECTURE, keys["c,y"], without_unasked(tmp_path, "b.yaml", steps, keys["c,y"]))[0] < 5
    c_prev = write_answers(tmp_path, "c.yaml", attack_c_prev(tmp_path))
    assert score(LECTURE, keys["c,y"], c_prev) == score(LECTURE, keys["c,y"], c_prev, follow=False) == (1, 10)
    assert score(LECTURE, keys["all"], c_prev) == score(LECTURE, keys["all"], c_prev, follow=False)


def test_the_zero_input_run_earns_what_its_own_graded_answers_give(tmp_path, keys):
    zeros = attack_x(tmp_path, [0, 0, 0])
    attack = write_answers(tmp_path, "z.yaml", zeros)
    stripped = without_unasked(tmp_path, "z.yaml", zeros, keys["all"])
    right, total = score(LECTURE, keys["all"], attack)
    assert (right, total) == score(LECTURE, keys["all"], stripped)
    # 65/65 before: every value followed from the claimed x. Now the slip is charged
    # where it was made: every weighted sum that reads x = [0, 0, 0] instead of the
    # spec's input is wrong (z of the cell input at each step, exact 3, 4, 2, 1, 3); what
    # follows from those graded answers is legitimate follow-through.
    report = json.loads(cli("check", LECTURE, attack, "--key", keys["all"], "--follow-through",
                            "--format", "json").stdout)["files"][0]["answers"]
    z = [a for a in report if a["quantity"] == "lstm.gates.cell_input.z"]
    assert [a["exact"] for a in z] == [[3], [4], [2], [1], [3]] and not any(a["right"] for a in z)
    assert right < total


def test_a_memory_read_is_the_students_own_earlier_answer(tmp_path, keys):
    # c_1 = 4 (a slip; exact 3) carries into c_2 = 4 + 4 = 8 (exact 7): follows from
    # their c at step 1, however they answer c_prev at step 2.
    for c_prev in (4, 1000):
        path = write_answers(tmp_path, f"m{c_prev}.yaml", {1: {"c": 4}, 2: {"c_prev": c_prev, "c": 8}})
        report = json.loads(cli("check", LECTURE, path, "--key", keys["all"], "--follow-through",
                                "--format", "json").stdout)
        by = {(a["t"], a["quantity"]): a for a in report["files"][0]["answers"]}
        assert by[(2, "lstm.c")]["right"] and by[(2, "lstm.c")]["follows"] == "your lstm.c at step 1"
        assert by[(2, "lstm.c_prev")]["right"] is (c_prev == 4)


# --------------------------------------------------------------------------- the property

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])


@st.composite
def graded(draw):
    """A random network, a random key (some quantities at some steps) and a random
    answers file: each value exact, exact plus a slip, or made up."""
    data, _ = draw(random_specs())
    spec = spec_from_text(json.dumps(data), "random.yaml")
    reference = Reference.from_trace(rnntrace.run(spec))
    places = [(t, q) for t in range(1, len(reference) + 1) for q in reference.quantities]
    asked = draw(st.sets(st.sampled_from(places), min_size=1, max_size=min(12, len(places))))
    answered = draw(st.sets(st.sampled_from(places), max_size=min(20, len(places))))
    slip = st.sampled_from([0.0, 1.0, -2.0, 0.5, 100.0])

    def values(t, q):
        exact_values = reference.steps[t - 1][q]
        return [None if e is None else round(e + draw(slip), 6) for e in exact_values]

    key = {t: {} for t, _ in asked}
    for t, q in sorted(asked):
        if None not in reference.steps[t - 1][q]:
            key[t][q] = list(reference.steps[t - 1][q])
    file = {}
    for t, q in sorted(answered):
        got = values(t, q)
        if None not in got:
            file.setdefault(t, {})[q] = got
    return spec, reference, {t: v for t, v in key.items() if v}, file


def _yaml(steps):
    return json.dumps({"steps": {str(t): v for t, v in steps.items()} or {"1": {}}})


def _grade(spec, reference, key_steps, file_steps, tmp_path):
    key_path = tmp_path / "key.yaml"
    key_path.write_text(_yaml(key_steps), encoding="utf-8")
    key = load_key(str(key_path), reference)
    policy = Policy(key=key, follow=FollowThrough(spec, reference))
    return check(answers_from_text(_yaml(file_steps), reference), reference, policy=policy), key


@SETTINGS
@given(graded())
def test_follow_through_never_credits_an_unasked_value(tmp_path, case):
    spec, reference, key_steps, file_steps = case
    if not key_steps or not file_steps:
        return
    result, key = _grade(spec, reference, key_steps, file_steps, tmp_path)
    same = reference.canonical                 # y is the last layer's output: asked under either name
    asked = {(q.t, same(q.quantity)) for q in key.questions}
    stripped = {t: {q: v for q, v in entries.items() if (t, same(q)) in asked} for t, entries in file_steps.items()}
    bare, _ = _grade(spec, reference, key_steps, {t: v for t, v in stripped.items() if v}, tmp_path)
    # the unasked values change nothing: every verdict is the one without them
    assert [(v.t, v.quantity, v.right, v.follows) for v in result.verdicts if v.graded] == \
        [(v.t, v.quantity, v.right, v.follows) for v in bare.verdicts if v.graded]
    # and every value a credit rests on is an asked answer, never x or a memory read
    follower = FollowThrough(spec, reference)
    for v in result.verdicts:
        for source in (v.follows or "").split(", ") if v.follows else ():
            name, _, t = source[len("your "):].rpartition(" at step ")
            name = reference.resolve(name)[0] if name != "y" else "y"
            assert (int(t), same(name)) in asked and follower.source(name), (v, source)
