"""Reading specs and answers files: what the loaders say, and the types they raise."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main
from rnntrace.errors import MissingFileError, SpecError
from rnntrace.yamlsource import parse


def invoke(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_a_missing_file_is_its_own_type(tmp_path):
    with pytest.raises(MissingFileError) as caught:
        rnntrace.load_spec(tmp_path / "absent.yaml")
    assert isinstance(caught.value, SpecError)
    assert str(caught.value) == f"{tmp_path / 'absent.yaml'}: no such file"


def test_an_error_that_only_mentions_a_missing_file_is_not_taken_for_one(tmp_path):
    # The spec exists; its message quotes the words "no such file" as a layer type.
    spec = tmp_path / "spec.yaml"
    spec.write_text("inputs: [1]\nlayers: [{type: no such file, size: 1}]\n", encoding="utf-8")
    result = invoke("validate", str(spec))
    assert result.exit_code == 2
    assert "layers[0].type: unknown layer type 'no such file'" in result.stderr
    assert "bundled" not in result.stderr


@pytest.mark.parametrize("within, expected", [
    ("a spec", "is not allowed in a spec"),
    ("an answers file", "is not allowed in an answers file"),
    ("--inputs", "is not allowed in --inputs"),
])
def test_a_tag_is_refused_in_words_that_fit_what_is_read(within, expected):
    with pytest.raises(SpecError) as caught:
        parse("a: !!python/name:os.system\n", "f.yaml", within)
    assert str(caught.value).endswith(expected)


def test_an_answers_file_with_a_tag_is_called_an_answers_file(tmp_path):
    answers = tmp_path / "mine.yaml"
    answers.write_text("steps: !!python/name:os.system {}\n", encoding="utf-8")
    result = invoke("check", "lstm_example.yaml", str(answers))
    assert result.exit_code == 2
    assert result.stderr.endswith("is not allowed in an answers file\n")
    assert "spec" not in result.stderr


@pytest.mark.parametrize("text, expected", [
    ("tolerance: 1" + "0" * 400 + "\nsteps: {1: {y: 0}}\n",
     "mine.yaml:1:12: tolerance: expected a number within ±1.8e308, found an integer of 401 digits"),
    ("steps: {1: {y: 1" + "0" * 400 + "}}\n",
     "mine.yaml:1:16: steps[1].y: expected a number within ±1.8e308, found an integer of 401 digits"),
    ("steps: {1: {y: '7'}}\n",
     "mine.yaml:1:16: steps[1].y: expected a number, found the text '7' (in quotes: write numbers without them)"),
])
def test_an_answer_is_read_as_a_spec_number_is(tmp_path, monkeypatch, text, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    result = invoke("check", "lstm_example.yaml", "mine.yaml")
    if text.startswith("tolerance"):      # the file's own setting: the file cannot be used
        assert result.exit_code == 2
        assert result.stderr == f"Error: {expected}\n"
    else:                                 # one answer: an error on that answer, in its row
        assert result.exit_code == 1
        assert f"error: {expected}" in " ".join(result.stdout.split())


def test_an_integer_longer_than_python_converts_is_an_error_at_its_place(tmp_path):
    # Python refuses to turn more than 4,300 decimal digits into an int; such a number
    # is far beyond float64 anyway.
    spec = tmp_path / "spec.yaml"
    spec.write_text("inputs: [1]\nlayers: [{type: dense, size: 1, W: " + "9" * 5000 + "}]\n", encoding="utf-8")
    result = invoke("validate", str(spec))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {spec}:2:36: layers[0].W: expected a finite number, found infinity\n"


@pytest.mark.parametrize("text", [
    "steps: {1: {" + "q" * 300 + ": 1}}\n",
    "steps: {" + "7" * 300 + ": {y: 1}}\n",
    "k" * 300 + ": 1\nsteps: {1: {y: 1}}\n",
])
def test_a_long_name_in_an_answers_file_keeps_the_message_short(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    result = invoke("check", "lstm_example.yaml", "mine.yaml")
    if text.startswith("k"):              # a key of the file itself: the file cannot be used
        assert result.exit_code == 2
        assert len(result.stderr) < 200 and result.stderr.count("\n") == 1
        assert "kkkk" not in result.stderr     # not an answers file's key: named by its place only
    else:                                 # one answer's: an error in its row, said in a short line
        assert result.exit_code == 1
        error = " ".join(result.stdout.split()).split("error: ", 1)[1].split(" mine.yaml: 0 of")[0]
        assert len(error) < 200 and "…" in error


@pytest.mark.parametrize("inputs, expected", [
    ("[[1, 2, a]]", "Error: --inputs:1:9: inputs[0][2]: expected a number, found the text 'a'\n"),
    ("[[1, 2, 3],\n [1, .nan, 3]]", "Error: --inputs:2:6: inputs[1][1]: expected a number, found NaN\n"),
    ("[[1, 2]]", "Error: --inputs:1:1: inputs: expected steps of 3 numbers, found 2\n"),
])
def test_an_error_in_inputs_given_on_the_command_line_points_into_them(inputs, expected):
    result = invoke("run", "lstm_example.yaml", "--inputs", inputs)
    assert result.exit_code == 2
    assert result.stderr == expected
