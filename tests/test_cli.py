"""The command line through click's CliRunner: run (table, json, jsonl), validate,
examples, bare example names, `-` for standard input, --version, and help text with
an example for every command, including commands added later."""
import json

import click
import pytest
from click.testing import CliRunner

import rnntrace
import rnntrace.bundled
import rnntrace.cli
from rnntrace.cli import main

from conftest import sigmoid

BASIC = """\
title: two steps
inputs: [[1, 1], [1, 1]]
layers:
  - {name: hidden, type: elman, size: 2, activation: linear, W: 1, U: 1}
  - {name: output, type: dense, size: 2, activation: linear, W: 1}
"""


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, list(args), **kwargs)


# --------------------------------------------------------------------------- run

def test_run_table_shows_each_step_and_the_numbers():
    result = invoke("run", "basic_rnn.yaml", env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Basic RNN, all weights 1" in out
    for t in (1, 2, 3):
        assert f"Step {t}" in out
    # the lecture's outputs 4, 12, 32 and hidden 2, 6, 16 appear in the tables
    assert "y = [4, 4]" in out and "y = [12, 12]" in out and "y = [32, 32]" in out
    assert "16" in out
    assert result.stderr == ""


def test_run_table_marks_near_values():
    # σ(−10) = 4.54e−5 shows as 0 at 4 decimals but is not 0: it must carry the ≈ mark.
    result = invoke("run", "lstm_example.yaml", env={"NO_COLOR": "1"})
    assert result.exit_code == 0
    assert "≈0" in result.stdout and "≈1" in result.stdout


def test_run_json_is_the_exact_trace(tmp_path):
    path = tmp_path / "basic.yaml"
    path.write_text(BASIC)
    result = invoke("run", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "rnntrace.trace/1"
    assert data["title"] == "two steps"
    assert data["layers"][0] == {"name": "hidden", "type": "elman", "size": 2, "parameters": 10}
    # by hand: h1 = 1+1 = 2, y1 = 4; h2 = 1+1+2+2 = 6, y2 = 12
    assert [s["layers"]["hidden"]["h"] for s in data["steps"]] == [[2, 2], [6, 6]]
    assert [s["layers"]["hidden"]["h_prev"] for s in data["steps"]] == [[0, 0], [2, 2]]
    assert [s["y"] for s in data["steps"]] == [[4, 4], [12, 12]]
    assert [s["t"] for s in data["steps"]] == [1, 2]


def test_run_json_keeps_float64_exactly():
    result = invoke("run", "lstm_example.yaml", "--format", "json")
    data = json.loads(result.stdout)
    # step 1: h = 3·σ(90)·σ(−10), and JSON carries every bit of it
    h1 = data["steps"][0]["layers"]["lstm"]["h"][0]
    assert abs(h1 - 3 * sigmoid(90) * sigmoid(-10)) <= 1e-12 * h1
    trace = rnntrace.run(rnntrace.load_spec(rnntrace.bundled.resolve_spec("lstm_example.yaml")))
    assert [s["y"][0] for s in data["steps"]] == [float(s.y[0]) for s in trace]


def test_run_jsonl_is_a_header_then_one_line_per_step():
    full = json.loads(invoke("run", "lstm_example.yaml", "--format", "json").stdout)
    result = invoke("run", "lstm_example.yaml", "--format", "jsonl")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + 5
    header = json.loads(lines[0])
    assert header["format"] == "rnntrace.trace/1" and "steps" not in header
    assert header == {k: v for k, v in full.items() if k != "steps"}
    assert [json.loads(line) for line in lines[1:]] == full["steps"]


def test_run_json_indent():
    result = invoke("run", "elman.yaml", "--format", "json", "--indent", "2")
    assert result.exit_code == 0
    assert result.stdout.startswith("{\n  ")
    assert json.loads(result.stdout)["format"] == "rnntrace.trace/1"


def test_run_words_carry_their_token():
    data = json.loads(invoke("run", "slot_filling.yaml", "--format", "json").stdout)
    assert [s["token"] for s in data["steps"]] == ["arrive", "Taipei", "on", "November", "2nd"]
    assert data["steps"][1]["layers"]["slot"]["label"] == "destination"
    assert data["layers"][-1]["labels"] == ["destination", "time", "other"]


def test_run_rejects_an_unknown_format():
    result = invoke("run", "elman.yaml", "--format", "yaml")
    assert result.exit_code == 2
    assert result.stdout == ""


# --------------------------------------------------------------------------- spec sources

def test_bare_example_name_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("lstm_example.yaml", "lstm_example"):
        result = invoke("run", name, "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["title"] == "The lecture's LSTM unit"


def test_a_file_in_the_current_folder_wins_over_the_bundled_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "basic_rnn.yaml").write_text(BASIC)
    data = json.loads(invoke("run", "basic_rnn.yaml", "--format", "json").stdout)
    assert data["title"] == "two steps"


def test_dash_reads_standard_input():
    result = invoke("run", "-", "--format", "json", input=BASIC)
    assert result.exit_code == 0, result.output
    assert [s["y"] for s in json.loads(result.stdout)["steps"]] == [[4, 4], [12, 12]]


def test_dash_errors_name_standard_input():
    result = invoke("validate", "-", input="inputs: [1]\nlayers: [{type: elman, size: 1, W: 1, U: nope}]\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: <stdin>:2:")
    assert "layers[0].U" in result.stderr


# --------------------------------------------------------------------------- validate, examples, version

def test_validate_a_good_spec_describes_the_network(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(BASIC)
    result = invoke("validate", str(path))
    assert result.exit_code == 0
    assert "valid" in result.stdout
    assert "2 steps of 2 inputs" in result.stdout
    # elman: W 2×2 + U 2×2 + b 2 = 10; dense: W 2×2 + b 2 = 6
    assert "hidden (elman, 2 out, 10 parameters)" in result.stdout
    assert "output (dense, 2 out, 6 parameters)" in result.stdout


def test_validate_a_bad_spec_exits_2_with_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BASIC.replace("W: 1, U: 1", "W: [1, 2, 3], U: 1"))
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"{path}:4:" in result.stderr and "layers[0].W" in result.stderr


def test_validate_reports_each_of_several_specs(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(BASIC)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASIC.replace("type: elman", "type: elmn"))
    result = invoke("validate", str(good), str(bad), "gru.yaml", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{good}: valid: 2 steps of 2 inputs; hidden (elman, 2 out, 10 parameters), "
        "output (dense, 2 out, 6 parameters)",
        "gru.yaml: valid: 4 steps of 2 inputs; gru (gru, 1 out, 13 parameters)"]   # 3 blocks of W, U, b
    errors = result.stderr.splitlines()
    assert len(errors) == 3
    assert errors[0].startswith(f"Error: {bad}:4:") and "did you mean 'elman'?" in errors[0]
    assert errors[1].startswith(f"Error: {tmp_path / 'missing.yaml'}: no such file")
    assert errors[2] == "Error: 2 of 4 specs are not valid (see above)"
    both = invoke("validate", str(good), "gru.yaml")
    assert both.exit_code == 0 and both.stderr == "" and len(both.stdout.splitlines()) == 2
    assert invoke("validate", "-", "-", input=BASIC).exit_code == 2


def test_run_output_file(tmp_path):
    target = tmp_path / "trace.json"
    result = invoke("run", "basic_rnn.yaml", "--format", "json", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["steps"][2]["y"] == [32.0, 32.0]     # the lecture's 4, 12, 32
    table = tmp_path / "table.txt"
    assert invoke("run", "basic_rnn.yaml", "--output", str(table)).exit_code == 0
    assert "Step 3 of 3" in table.read_text()
    lines = tmp_path / "trace.jsonl"
    assert invoke("run", "basic_rnn.yaml", "--format", "jsonl", "-o", str(lines)).exit_code == 0
    assert len(lines.read_text().splitlines()) == 1 + 3
    # an error leaves an existing file as it was, and no file behind
    result = invoke("run", "basic_rnn.yaml", "--steps", "9", "-o", str(target))
    assert result.exit_code == 2 and json.loads(target.read_text())["steps"][2]["y"] == [32.0, 32.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.txt", "trace.json", "trace.jsonl"]
    result = invoke("run", "basic_rnn.yaml", "-o", str(tmp_path / "no" / "such" / "folder.txt"))
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1 and "cannot write" in result.stderr
    assert "Step 1" in invoke("run", "basic_rnn.yaml", "-o", "-").stdout          # - is standard output


def test_run_output_file_has_no_colour_when_run_on_a_terminal(tmp_path):
    import os
    import pty
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="80")

    def on_a_terminal(*args):
        leader, follower = pty.openpty()
        done = subprocess.run([sys.executable, "-m", "rnntrace", "run", "basic_rnn.yaml", *args],
                              stdout=follower, stderr=subprocess.PIPE, env=env, timeout=60)
        os.close(follower)
        seen = b""
        try:
            while chunk := os.read(leader, 65536):
                seen += chunk
        except OSError:        # the terminal's other end is closed: all read
            pass
        os.close(leader)
        assert done.returncode == 0, done.stderr
        return seen.decode()

    assert "\x1b[" in on_a_terminal()                          # the terminal gets colour
    table = tmp_path / "table.txt"
    assert on_a_terminal("-o", str(table)) == ""
    assert "\x1b[" not in table.read_text() and "Step 3 of 3" in table.read_text()


def test_jq_filters_in_the_help_are_quoted():
    # zsh would glob .steps[3].y: every filter in the help is in quotes
    import re
    for path in [()] + [p for p in all_commands()]:
        text = invoke(*path, "--help").stdout
        for filter_ in re.findall(r"\| jq (\S+)", text):
            assert filter_.startswith("'") and filter_.endswith("'"), (path, filter_)
    assert "jq '.steps[3].y'" in invoke("--help").stdout


def test_validate_bundled_examples_by_name():
    for name in ("lstm_example.yaml", "slot_filling", "jordan.yaml"):
        result = invoke("validate", name)
        assert result.exit_code == 0, result.output


def test_examples_lists_the_bundled_examples():
    result = invoke("examples")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert "lstm_example.yaml" in names and "slot_filling.yaml" in names
    line = next(l for l in result.stdout.splitlines() if l.startswith("basic_rnn.yaml "))
    assert "basic RNN" in line


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert rnntrace.__version__ in result.stdout and "rnntrace" in result.stdout


def test_python_dash_m_has_the_same_cli():
    import runpy
    import sys
    from unittest import mock
    with mock.patch.object(sys, "argv", ["rnntrace", "--version"]), pytest.raises(SystemExit) as exit_info:
        runpy.run_module("rnntrace", run_name="__main__")
    assert exit_info.value.code in (0, None)


def test_no_command_prints_usage():
    result = invoke()
    assert "Usage" in result.output
    assert "run" in result.output


# --------------------------------------------------------------------------- help for every command

def all_commands(group=main, path=()):
    """Every command registered on the group, sub-groups included, as argument paths."""
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(path + (name,))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path + (name,)))
    return found


def test_the_commands_issue_2_asks_for_are_registered():
    assert {("run",), ("validate",), ("examples",)} <= set(all_commands())


@pytest.mark.parametrize("path", [()] + all_commands(), ids=lambda p: " ".join(p) or "rnntrace")
def test_every_command_has_help_with_an_example(path):
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Usage:" in text
    assert "example" in text.lower()
    # an example is a command line a user can type
    assert any(line.strip().startswith("rnntrace ") or "| rnntrace " in line for line in text.splitlines())
    command = main
    for name in path:
        command = command.commands[name]
    assert (command.help or "").strip(), "the command needs a description"


# --------------------------------------------------------------------------- commands loaded when called

def test_the_table_of_commands_is_the_commands_themselves():
    # `rnntrace --help` lists COMMANDS without importing a command's module: each row
    # must name the module that defines the command and carry its help's first paragraph.
    import importlib
    import pkgutil
    import rnntrace.commands
    from rnntrace.cli import COMMANDS
    defined = {}
    for info in pkgutil.iter_modules(rnntrace.commands.__path__):
        module = importlib.import_module(f"rnntrace.commands.{info.name}")
        for value in vars(module).values():
            if isinstance(value, click.Command) and value.callback.__module__ == module.__name__:
                defined[value.name] = (info.name, value)
    assert sorted(defined) == sorted(COMMANDS)           # no command left out of the table, none made up
    for name, (module, first) in COMMANDS.items():
        where, command = defined[name]
        assert where == module, name
        assert isinstance(command, rnntrace.cli.Command), name   # its --help needs no gettext lookup
        assert main.commands[name] is command
        paragraph = command.help.split("\n\n")[0]
        assert " ".join(paragraph.split()) == first, name


@pytest.mark.parametrize("width", [40, 80, 200])
def test_help_lists_every_command_as_click_would(width):
    # The same lines click writes from the commands themselves (their short help cut to the width).
    group = click.Group("rnntrace", commands={name: main.commands[name] for name in main.commands})
    with click.Context(group, terminal_width=width, max_content_width=width) as ctx:
        formatter = ctx.make_formatter()
        group.format_commands(ctx, formatter)
        expected = formatter.getvalue()
    with click.Context(main, terminal_width=width, max_content_width=width) as ctx:
        formatter = ctx.make_formatter()
        main.format_commands(ctx, formatter)
        assert formatter.getvalue() == expected
    assert all(f"  {name} " in expected for name in main.commands)


@pytest.mark.parametrize("limit", [8, 12, 20, 27, 33, 45, 60, 200])
def test_a_commands_short_help_is_cut_as_click_cuts_it(limit):
    # rnntrace.cli shortens the table's paragraphs itself (click's helper is private and
    # leaves in click 9): at every width, a full stop, "...", or the whole paragraph
    # where click would put them.
    from rnntrace.cli import _short_help
    for name in main.commands:
        assert _short_help(name, limit) == main.commands[name].get_short_help_str(limit), (name, limit)


@pytest.mark.parametrize("args, meant", [
    (["run", "lstm_example.yaml", "--format", "jsonn"], "json"),
    (["run", "lstm_example.yaml", "--dtype", "flot32"], "float32"),
    (["worksheet", "lstm_example.yaml", "--format", "latx"], "latex"),
    (["import-torch", "x.pt", "--activation", "softmx"], "softmax"),
])
def test_a_misspelt_choice_gets_the_close_name(args, meant):
    result = invoke(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert "is not one of" in result.stderr and f"; did you mean '{meant}'?" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_every_choice_of_every_command_offers_the_close_name():
    # one parameter type for a fixed list of names: rnntrace's Choice, not click's
    from rnntrace.commands.common import Choice
    for name in main.commands:
        for param in main.commands[name].params:
            if isinstance(param.type, click.Choice):
                assert isinstance(param.type, Choice), (name, param.name)


def test_a_misspelt_command_gets_the_close_name():
    result = invoke("rnu")
    assert result.exit_code == 2
    assert "No such command 'rnu'. Did you mean 'run'?" in result.stderr


@pytest.mark.parametrize("given, used", [(None, "1"), ("3", "3")])
def test_the_command_line_runs_blas_on_one_thread_unless_told(given, used):
    # set before numpy is imported (numpy's BLAS reads it once, when it loads)
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    script = ("import sys, os, rnntrace.cli\n"
              "assert 'numpy' not in sys.modules\n"
              "print(os.environ['OPENBLAS_NUM_THREADS'])\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == used


def test_the_help_of_new_names_every_starter_the_registry_has():
    # `new`'s help writes its types out for a reader; a type added to the registry with a
    # starter (starters.TYPES) must appear there, in the command's help and in --help's table
    from rnntrace.cli import COMMANDS
    from rnntrace.starters import TYPES
    said = " ".join(main.commands["new"].help.split("\n\n")[0].split())
    assert said == COMMANDS["new"][1]
    named = said.split(": ", 1)[1].rstrip(".").replace(" or ", ", ").split(", ")
    assert sorted(named) == sorted(TYPES)
