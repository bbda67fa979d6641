"""Usage errors are one line, like every other error: what is wrong and where to read more."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from rnntrace.cli import main


def invoke(*args):
    return CliRunner().invoke(main, list(args), prog_name="rnntrace")


@pytest.mark.parametrize("args, expected", [
    (["--bogus"], "Error: No such option '--bogus' (see 'rnntrace --help')\n"),
    (["bogus"], "Error: No such command 'bogus' (see 'rnntrace --help')\n"),
    (["run"], "Error: Missing argument 'SPEC' (see 'rnntrace run --help')\n"),
    (["run", "lstm_example.yaml", "--explian"],
     "Error: No such option '--explian'. Did you mean '--explain'? (see 'rnntrace run --help')\n"),
    (["check", "lstm_example.yaml", "a.yaml", "--tolerance", "-1"],
     "Error: Invalid value for '--tolerance': expected a number of 0 or more (see 'rnntrace check --help')\n"),
    (["grad", "many_to_one.yaml", "--learning-rate", "nan"],
     "Error: Invalid value for '--learning-rate': expected a positive number (see 'rnntrace grad --help')\n"),
])
def test_a_usage_error_is_one_line_and_exit_2(args, expected):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr == expected
    assert result.stdout == ""


def test_no_command_still_shows_the_help():
    result = invoke()
    assert "Usage: rnntrace [OPTIONS] COMMAND" in result.output
    assert "Commands:" in result.output


@pytest.mark.parametrize("inputs, expected", [
    ("[1]", "1 step of 1 input;"),
    ("[[1, 2], [3, 4]]", "2 steps of 2 inputs;"),
])
def test_validate_counts_in_words(tmp_path, inputs, expected):
    spec = tmp_path / "s.yaml"
    spec.write_text(f"inputs: {inputs}\nlayers: [{{type: dense, size: 1, W: 1}}]\n", encoding="utf-8")
    result = invoke("validate", str(spec))
    assert result.exit_code == 0
    assert expected in result.stdout


def test_validate_names_standard_input_as_its_errors_do():
    result = CliRunner().invoke(main, ["validate", "-"], input="inputs: [1]\nlayers: [{type: dense, size: 1, W: 1}]\n")
    assert result.stdout.startswith("<stdin>: valid: 1 step of 1 input;")


def test_standard_input_is_read_once():
    result = CliRunner().invoke(main, ["check", "lstm_example.yaml", "-", "-"], input="steps: {1: {y: 0}}\n")
    assert result.exit_code == 2
    assert result.stderr == "Error: only one of SPEC, --key and ANSWERS can be read from standard input (-)\n"


def test_a_negative_seed_is_a_usage_error():
    result = invoke("new", "lstm", "--seed", "-5")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Invalid value for '--seed': -5 is not in the range x>=0")
