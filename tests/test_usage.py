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


# --------------------------------------------------------------------------- values of options
# Each kind of value is read by one parameter type of the command line. Its problems are
# usage errors that name the option, also when they are found only once the spec is
# read (a step the sequence does not have): the library says what is wrong with the
# value, the command line says which option it came from.

@pytest.mark.parametrize("args, expected", [
    (["run", "lstm_example.yaml", "--steps", "two"],
     "Error: Invalid value for '--steps': expected a step such as 3, a range such as 2:4, or a list such as "
     "1,3:4; found 'two' (see 'rnntrace run --help')\n"),
    (["run", "lstm_example.yaml", "--steps", "2,x:4"],
     "Error: Invalid value for '--steps': expected a step such as 3, a range such as 2:4, or a list such as "
     "1,3:4; found 'x:4' (see 'rnntrace run --help')\n"),
    (["run", "lstm_example.yaml", "--steps", "9"],           # the lecture's unit reads 5 inputs
     "Error: Invalid value for '--steps': there is no step 9; the sequence has 5 steps (1 to 5) "
     "(see 'rnntrace run --help')\n"),
    (["grad", "clip_norm.yaml", "--steps", "4:2"],
     "Error: Invalid value for '--steps': the range 4:2 runs backwards (see 'rnntrace grad --help')\n"),
    (["run", "slot_filling.yaml", "--layer", "slott"],
     "Error: Invalid value for '--layer': there is no layer 'slott'; the layers are hidden, slot "
     "(did you mean 'slot'?) (see 'rnntrace run --help')\n"),
    (["surface", "clip_norm.yaml", "--param", "hidden.U[a]", "--range", "0:1:3"],
     "Error: Invalid value for '--param': expected whole-number indices, e.g. hidden.U[0,1]; "
     "found 'hidden.U[a]' (see 'rnntrace surface --help')\n"),
    (["surface", "clip_norm.yaml", "--param", "hidden.U[0,1]", "--range", "0:1:3"],   # U is 1×1
     "Error: Invalid value for '--param': there is no hidden.U[0,1]: hidden.U has shape 1×1; indices are "
     "0-based, from [0,0] to [0,0] (see 'rnntrace surface --help')\n"),
    (["surface", "clip_norm.yaml", "--param", "hidden.U", "--range", "0:1:1"],
     "Error: Invalid value for '--range': expected finite A and B and N from 2 to 100000; found '0:1:1' "
     "(see 'rnntrace surface --help')\n"),
    (["new", "lsmt"],
     "Error: Invalid value for 'TYPE': unknown type 'lsmt'; expected one of elman, jordan, lstm, gru, "
     "indrnn, bidirectional, slot-filling (did you mean 'lstm'?) (see 'rnntrace new --help')\n"),
    (["page", "lstm_example.yaml", "--ask", ","],
     "Error: Invalid value for '--ask': name at least one quantity, such as c,y (see 'rnntrace page --help')\n"),
    (["worksheet", "lstm_example.yaml", "--ask", ","],
     "Error: Invalid value for '--ask': name at least one quantity, such as c,y "
     "(see 'rnntrace worksheet --help')\n"),
    (["run", "lstm_example.yaml", "--precision", "18"],
     "Error: Invalid value for '--precision': 18 is not in the range 0<=x<=17 (see 'rnntrace run --help')\n"),
])
def test_a_bad_option_value_names_its_option(args, expected):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr == expected
    assert result.stdout == ""


def test_library_errors_say_what_is_wrong_with_the_value_and_not_which_option():
    import rnntrace
    from rnntrace.errors import BadValue
    from rnntrace.render.selection import check_layers, parse_steps
    from rnntrace.starters import starter_type
    from rnntrace.surface_options import parse_param, parse_range
    from conftest import EXAMPLES
    spec = rnntrace.load_spec(EXAMPLES / "clip_norm.yaml")
    for bad in (lambda: parse_steps("two", 5), lambda: parse_steps("6", 5), lambda: check_layers(spec, ["x"]),
                lambda: parse_param("hidden.V", spec), lambda: parse_range("1:2"), lambda: starter_type("lsmt")):
        with pytest.raises(BadValue) as caught:
            bad()
        assert "--" not in str(caught.value)


def test_options_of_one_kind_are_declared_once():
    # --precision, --steps, --param/--param2 and --range/--range2: one parameter type each
    commands = {name: main.commands[name] for name in ("run", "check", "worksheet", "grad", "surface", "page")}
    types = {}
    for command in commands.values():
        for param in command.params:
            types.setdefault(param.name, set()).add(id(param.type))
    assert len(types["precision"]) == 1 and len(types["steps"]) == 1 and len(types["tolerance"]) == 1
    assert len(types["ask"]) == 1
    surface = {p.name: p.type for p in commands["surface"].params}
    assert surface["param"] is surface["param2"] and surface["values"] is surface["values2"]
