"""Spec validation basics: bad specs end with exit code 2 and one message that names
the file, line, column and key path, says what was expected, and suggests the close
name for a typo. (Exhaustive error coverage lives with the robustness tests.)"""
import numpy as np
import pytest
from click.testing import CliRunner

from rnntrace.cli import main
from rnntrace.errors import SpecError
from rnntrace.spec import spec_from_text

LSTM = """\
inputs: [[3, 1, 0], [4, 1, 0]]
layers:
  - name: lstm
    type: lstm
    size: 1
    activation: linear
    cell_input:  {W: [1, 0, 0], b: 0}
    input_gate:  {W: [0, 100, 0], b: -10}
    forget_gate: {W: [0, 100, 0], b: 10}
    output_gate: {W: [0, 0, 100], b: -10}
"""

ELMAN = """\
inputs: [[1, 1], [1, 1]]
layers:
  - type: elman
    size: 2
    W: [[1, 0], [0, 1]]
    U: 1
    b: 0
"""


def validate(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    return result, str(path)


# (what is wrong, the spec text, the key path, the line, words the message must hold)
BAD = [
    ("W too short for 2×2", ELMAN.replace("W: [[1, 0], [0, 1]]", "W: [1, 0, 0]"),
     "layers[0].W", 5, ["2×2"]),
    ("a ragged W", ELMAN.replace("W: [[1, 0], [0, 1]]", "W: [[1, 0], [0]]"),
     "layers[0].W", 5, ["2×2", "ragged"]),
    ("U of the wrong size", ELMAN.replace("U: 1", "U: [[1, 1, 1], [1, 1, 1]]"),
     "layers[0].U", 6, ["2×2", "2 rows of 3"]),
    ("a gate's W with 2 inputs for 3", LSTM.replace("input_gate:  {W: [0, 100, 0]", "input_gate:  {W: [0, 100]"),
     "layers[0].input_gate.W", 8, ["1×3", "3 = the number of inputs"]),
    ("a bias of the wrong length", ELMAN.replace("b: 0", "b: [0, 0, 0]"),
     "layers[0].b", 7, ["2 numbers"]),
    ("a layer key misspelt", ELMAN.replace("size: 2", "sise: 2"),
     "layers[0].sise", 4, ["unknown key", "did you mean 'size'"]),
    ("a top-level key misspelt", ELMAN.replace("inputs:", "input:"),
     "input", 1, ["unknown key", "did you mean 'inputs'"]),
    ("a gate key misspelt", LSTM.replace("input_gate:", "inptu_gate:"),
     "layers[0].inptu_gate", 8, ["unknown key", "did you mean 'input_gate'"]),
    ("an unknown activation", LSTM.replace("activation: linear", "activation: sigmod"),
     "layers[0].activation", 6, ["unknown activation", "did you mean 'sigmoid'"]),
    ("an unknown gate activation", LSTM.replace("activation: linear", "gate_activation: hard_sigmod"),
     "layers[0].gate_activation", 6, ["did you mean 'hard_sigmoid'"]),
    ("an unknown layer type", ELMAN.replace("type: elman", "type: elmann"),
     "layers[0].type", 3, ["unknown layer type", "did you mean 'elman'"]),
    ("NaN in a weight", ELMAN.replace("U: 1", "U: .nan"),
     "layers[0].U", 6, ["NaN"]),
    ("infinity in a bias", ELMAN.replace("b: 0", "b: [0, -.inf]"),
     "layers[0].b[1]", 7, ["infinity"]),
    ("NaN in the inputs", ELMAN.replace("[[1, 1], [1, 1]]", "[[1, 1], [1, .NaN]]"),
     "inputs[1][1]", 1, ["NaN"]),
    ("text in a weight", ELMAN.replace("W: [[1, 0], [0, 1]]", "W: [[1, 0], [zero, 1]]"),
     "layers[0].W[1][0]", 5, ["expected a number", "'zero'"]),
    ("true as a weight", ELMAN.replace("U: 1", "U: true"),
     "layers[0].U", 6, ["expected a number"]),
    ("text as the inputs", ELMAN.replace("[[1, 1], [1, 1]]", "hello world"),
     "inputs", 1, ["lexicon"]),
    ("a fractional size", ELMAN.replace("size: 2", "size: 1.5"),
     "layers[0].size", 4, ["whole number"]),
    ("a missing weight", ELMAN.replace("    U: 1\n", ""),
     "layers[0]", 3, ["missing", "'U'"]),
]


@pytest.mark.parametrize("why, text, path, line, words", BAD, ids=[b[0] for b in BAD])
def test_a_bad_spec_exits_2_with_one_precise_line(tmp_path, why, text, path, line, words):
    result, file = validate(tmp_path, text)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "Traceback" not in message
    assert message.startswith(f"Error: {file}:{line}:")
    assert f": {path}: " in message
    for word in words:
        assert word in message


def test_run_reports_the_same_error_and_writes_nothing(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(ELMAN.replace("U: 1", "U: .inf"))
    result = CliRunner().invoke(main, ["run", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "layers[0].U" in result.stderr and "infinity" in result.stderr


def test_the_error_points_at_the_column_of_the_value(tmp_path):
    result, file = validate(tmp_path, LSTM.replace("forget_gate: {W: [0, 100, 0], b: 10}",
                                                   "forget_gate: {W: [0, 100, 0], b: oops}"))
    assert result.exit_code == 2
    # line 9 is "    forget_gate: {W: [0, 100, 0], b: oops}"; "oops" starts at column 38
    assert result.stderr.startswith(f"Error: {file}:9:38: layers[0].forget_gate.b: ")


def test_spec_error_carries_its_parts():
    with pytest.raises(SpecError) as info:
        spec_from_text(ELMAN.replace("size: 2", "sise: 2"), "net.yaml")
    error = info.value
    assert error.path == ("layers", 0, "sise")
    assert (error.file, error.line, error.column) == ("net.yaml", 4, 5)
    assert error.hint == "size"


# --------------------------------------------------------------------------- what a good spec means

def test_scalars_broadcast_and_flat_lists_are_one_row():
    spec = spec_from_text(LSTM.replace("size: 1", "size: 1\n    initial: {c: 2}"))
    lstm = spec.layers[0]
    assert lstm.blocks["input_gate"].W.shape == (1, 3)
    assert lstm.blocks["input_gate"].W.tolist() == [[0, 100, 0]]
    assert lstm.blocks["forget_gate"].b.tolist() == [10]
    assert lstm.initial_c.tolist() == [2]
    elman = spec_from_text(ELMAN).layers[0]
    assert elman.U.tolist() == [[1, 1], [1, 1]]      # "all weights are 1"
    assert elman.b.tolist() == [0, 0]
    assert all(a.dtype == np.float64 for a in (elman.W, elman.U, elman.b))


def test_plain_numbers_are_one_dimensional_inputs():
    spec = spec_from_text("inputs: [1, 2.5, -3]\nlayers: [{type: elman, size: 1, W: 1, U: 0}]\n")
    assert spec.inputs.shape == (3, 1)
    assert spec.inputs[:, 0].tolist() == [1, 2.5, -3]


@pytest.mark.parametrize("word", ["on", "off", "yes", "no", "y", "n", "On", "NO"])
def test_words_like_on_stay_words(word):
    # YAML 1.1 reads on/off/yes/no as booleans; in a sentence or lexicon they are words.
    text = f"""\
lexicon: [arrive, {word}, Taipei]
inputs: [arrive, {word}, Taipei]
layers: [{{type: dense, size: 1, W: 1}}]
"""
    spec = spec_from_text(text)
    assert spec.lexicon.words == ("arrive", word, "Taipei")
    assert spec.tokens == ("arrive", word, "Taipei")
    assert spec.inputs[1].tolist() == [0, 1, 0]


def test_true_and_false_are_still_booleans():
    text = "lexicon: {words: [a, b], other: %s}\ninputs: a b c\nlayers: [{type: dense, size: 1, W: 1}]\n"
    assert spec_from_text(text % "true").lexicon.other is True
    with pytest.raises(SpecError, match="'c' is not in the lexicon"):
        spec_from_text(text % "false")
    with pytest.raises(SpecError, match="expected true or false"):
        spec_from_text(text % "yes")
