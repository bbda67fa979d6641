"""Fuzzing: mutated bundled specs and answers files through every command.

A spec or answers file may come from someone with a motive (a class's submissions),
so no input may crash a command: each ends with exit code 0, 1 (check: a wrong
answer) or 2 (bad input, one line on standard error), never a traceback. The
mutations are the kinds that found crashes before: numbers replaced by values at or
past float64's edges (.inf, .nan, 1e400, 1e308, 1.2e154, a 500-digit integer), text
with rich markup, escape sequences and spreadsheet formulas where names go, keys and
lines dropped, doubled or swapped, and characters changed at random.

Seeded and bounded: the same mutants every run, in well under a minute (in-process,
through click's CliRunner).
"""
import random
import re

import pytest
from click.testing import CliRunner

from rnntrace.cli import main
from rnntrace.bundled import examples_dir

SEED = 14
MUTANTS = 400      # specs, each through validate and PER_MUTANT other commands
PER_MUTANT = 5
CHUNKS = 8

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.])")
VALUE = re.compile(r"\b(?:size|name|title|W|U|P|b|b_h|targets|labels|words|other|loss|activation|merge|"
                   r"norm|value|learning_rate|tolerance|inputs|\d): ([^,{}\[\]\n#][^,}\]\n#]*)")
WORD = re.compile(r"(?<=name: )\w+|(?<=title: ).+|(?<=labels: \[)\w+|(?<=words: \[)\w+")
NUMBERS = [".inf", "-.inf", ".nan", "1e400", "1e308", "-1e308", "1.2e154", "0", "-0.0", "1e-320",
           "9" * 500, "-1", "2", "1000000", "0x10", "true", "null", "[]", "{}", "'3'", "[1, [2]]"]
TEXTS = ['"[/x]"', '"[red]x"', '"\\e[2J\\e]0;t\\a"', '"=1+2+cmd|calc!A0"', '"<script>x</script>"',
         '"a\\nb|c"', '"\\u202eevil"', '":x:"', '"-0.5"', '"@SUM(A1)"', '""', '"a.b"']
# Small examples only: every command runs the whole sequence; toy_w999 (1000 steps) would
# take most of the minute alone.
SPECS = ["basic_rnn.yaml", "lstm_example.yaml", "lstm_peephole.yaml", "gru.yaml", "elman.yaml",
         "jordan.yaml", "bidirectional.yaml", "one_of_n.yaml", "slot_filling.yaml", "many_to_one.yaml",
         "slot_filling_train.yaml", "lstm_two_layer.yaml", "lstm_hard_sigmoid.yaml", "lstm_upstream.yaml"]


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.choice([1, 1, 2, 3])):
        kind = rng.choice(["value", "value", "value", "number", "text", "line", "char"])
        if kind == "value":   # a key's whole value: size: .inf, name: "[/x]", title: "\e[2J"
            spots = [(i, m) for i, line in enumerate(lines) if not line.lstrip().startswith("#")
                     for m in VALUE.finditer(line)]
            keys = sorted({m.group(0).split(":")[0] for _, m in spots})
            if spots:   # a key first, then one of its places: `size` as likely as `W`
                key = rng.choice(keys)
                i, m = rng.choice([(i, m) for i, m in spots if m.group(0).split(":")[0] == key])
                lines[i] = lines[i][:m.start(1)] + rng.choice(NUMBERS + TEXTS) + lines[i][m.end(1):]
        elif kind == "number":
            spots = [(i, m) for i, line in enumerate(lines) if not line.lstrip().startswith("#")
                     for m in NUMBER.finditer(line)]
            if spots:
                i, m = rng.choice(spots)
                lines[i] = lines[i][:m.start()] + rng.choice(NUMBERS) + lines[i][m.end():]
        elif kind == "text":
            spots = [(i, m) for i, line in enumerate(lines) for m in WORD.finditer(line)]
            if spots:
                i, m = rng.choice(spots)
                lines[i] = lines[i][:m.start()] + rng.choice(TEXTS) + lines[i][m.end():]
        elif kind == "line" and len(lines) > 2:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            how = rng.choice(["drop", "double", "swap"])
            if how == "drop":
                del lines[i]
            elif how == "double":
                lines.insert(i, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
        elif lines:
            i = rng.randrange(len(lines))
            if lines[i]:
                k = rng.randrange(len(lines[i]))
                lines[i] = lines[i][:k] + rng.choice("[]{}:,-'\"&*!|>#%@`\t\\x0") + lines[i][k + 1:]
    return "\n".join(lines) + "\n"


def commands(spec: str, answers: str):
    """Every command on one spec file (and one answers file)."""
    for fmt in ("table", "json", "jsonl", "csv", "markdown", "latex"):
        yield ["run", spec, "--format", fmt]
    yield ["run", spec, "--explain", "--steps", "1"]
    yield ["validate", spec]
    yield ["check", spec, answers]
    yield ["check", spec, answers, answers, "--format", "csv"]
    yield ["check", spec, answers, "--format", "json"]
    yield ["grad", spec]
    yield ["grad", spec, "--format", "json"]
    yield ["surface", spec, "--param", "lstm.forget_gate.b", "--range", "-1:1:3"]
    yield ["surface", spec, "--param", "hidden.U[0,0]", "--range", "0:2:3", "--format", "csv"]
    yield ["worksheet", spec]
    yield ["worksheet", spec, "--format", "latex", "--key", "--ask", "all"]
    yield ["answers", spec]
    yield ["run", spec, "--dtype", "float32", "--format", "csv"]
    yield ["grad", spec, "--dtype", "float32"]


def answers_for(runner, spec_path) -> str:
    result = runner.invoke(main, ["answers", str(spec_path), "--ask", "all"])
    return result.output if result.exit_code == 0 else "steps: {1: {y: 0}}\n"


def assert_clean(result, args):
    shown = " ".join(args)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{shown}: {type(result.exception).__name__}: {result.exception}"
    assert result.exit_code in (0, 1, 2), f"{shown}: exit {result.exit_code}"
    assert "Traceback" not in result.output + result.stderr, shown
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith(("Error: ", "Warning: ")) for line in lines), f"{shown}: {result.stderr!r}"
    if result.exit_code == 2:
        assert sum(line.startswith("Error: ") for line in lines) == 1, f"{shown}: {result.stderr!r}"


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_mutated_specs_and_answers_never_crash(tmp_path, chunk):
    rng = random.Random(SEED * 100 + chunk)
    runner = CliRunner()
    for n in range(MUTANTS // CHUNKS):
        name = rng.choice(SPECS)
        original = (examples_dir() / name).read_text(encoding="utf-8")
        spec = tmp_path / f"m{n}.yaml"
        spec.write_text(mutate(original, rng), encoding="utf-8")
        key = answers_for(runner, examples_dir() / name)
        answers = tmp_path / f"a{n}.yaml"
        answers.write_text(mutate(key, rng) if rng.random() < 0.7 else key, encoding="utf-8")
        every = list(commands(str(spec), str(answers)))
        for args in [every[7]] + rng.sample(every, PER_MUTANT):   # validate, and a few others
            assert_clean(runner.invoke(main, args), args)


def test_the_mutations_reach_past_the_parser():
    # A fuzz test whose mutants all fail to parse tests only the parser: most mutants
    # must still load, so that the engine, the views and check see odd values.
    rng = random.Random(SEED)
    runner = CliRunner()
    outcomes = []
    for _ in range(30):
        original = (examples_dir() / rng.choice(SPECS)).read_text(encoding="utf-8")
        result = runner.invoke(main, ["validate", "-"], input=mutate(original, rng))
        outcomes.append(result.exit_code)
    assert outcomes.count(0) >= 5 and outcomes.count(2) >= 5, outcomes
