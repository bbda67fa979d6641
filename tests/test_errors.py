"""Every kind of bad spec ends with exit code 2 and one line on stderr that names the
file, line and column, the key path, what was expected and what was found (and the
close name for a typo); nothing is written to stdout and no traceback is shown."""
import re

import pytest
from click.testing import CliRunner

from rnntrace import load_spec
from rnntrace.cli import main
from rnntrace.errors import SpecError, close_name, format_path

LSTM_BLOCKS = """\
    cell_input:  {W: 1}
    input_gate:  {W: 1}
    forget_gate: {W: 1}
    output_gate: {W: 1}
"""


def fails(tmp_path, text, *, name="spec.yaml", command="validate"):
    """Run the CLI on ``text`` and return its one-line message (after 'Error: ')."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, [command, str(path)])
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: {path}")
    return lines[0][len(f"Error: {path}"):]


def column(text, line, token):
    """The 1-based column at which ``token`` starts on ``line`` of ``text`` (counted
    here, independently of the loader)."""
    return text.splitlines()[line - 1].index(token) + 1


def at(message, line, column, path=None):
    """The message starts with :line:column: and the key path."""
    prefix = f":{line}:{column}: " + (f"{path}: " if path else "")
    assert message.startswith(prefix), message
    return message[len(prefix):]


# --------------------------------------------------------------------------- the file itself

def test_empty_file(tmp_path):
    message = fails(tmp_path, "")
    assert message == ": the spec is empty; it needs at least 'inputs' and 'layers'"


def test_only_comments_is_empty(tmp_path):
    assert "the spec is empty" in fails(tmp_path, "# nothing yet\n")


def test_not_a_mapping(tmp_path):
    rest = at(fails(tmp_path, "- 1\n- 2\n"), 1, 1)
    assert rest == "expected a mapping with 'inputs' and 'layers', found a list of 2 items"


def test_a_bare_number_is_not_a_mapping(tmp_path):
    assert at(fails(tmp_path, "42\n"), 1, 1).endswith("found the number 42")


def test_yaml_syntax_error_points_at_the_problem(tmp_path):
    rest = at(fails(tmp_path, "inputs: [1, 2\nlayers: x\n"), 2, 7)
    assert rest.startswith("YAML syntax error: did not find expected ',' or ']'")
    assert "line 1" in rest   # where the unclosed list began


def test_tab_indentation(tmp_path):
    rest = at(fails(tmp_path, "inputs: [1]\nlayers:\n\t- {type: dense, size: 1, W: 1}\n"), 3, 1)
    assert rest == "YAML syntax error: a tab cannot indent YAML; use spaces"


def test_two_documents(tmp_path):
    rest = at(fails(tmp_path, "inputs: [1]\n---\nlayers: []\n"), 2, 1)
    assert rest == "expected one YAML document, found a second one (---)"


def test_duplicate_key(tmp_path):
    text = "inputs: [1]\nlayers: [{type: dense, size: 1, W: 1}]\ninputs: [2]\n"
    assert at(fails(tmp_path, text), 3, 1, "inputs") == "the key 'inputs' appears twice"


def test_bytes_that_are_not_text(tmp_path):
    message = fails(tmp_path, b"inputs: [1]\nlayers: \xff\xfe\n")
    assert at(message, 2, 9) == "expected UTF-8 text, found the byte 0xff (byte 20 of the file is not text)"


def test_control_character(tmp_path):
    rest = at(fails(tmp_path, "inputs: [1]\nlayers: \x07\n"), 2, 9)
    assert rest.startswith("expected printable text, found the character #x0007")


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfinputs: [1]\nlayers: [{type: dense, size: 1, W: 2}]\n")
    assert load_spec(path).layers[0].W[0, 0] == 2


def test_a_directory(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"Error: {tmp_path}: expected a spec file, found a directory\n"


def test_a_missing_file(tmp_path):
    missing = tmp_path / "nowhere" / "spec.yaml"
    result = CliRunner().invoke(main, ["run", str(missing)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"Error: {missing}: no such file")
    assert len(result.stderr.splitlines()) == 1


# --------------------------------------------------------------------------- keys and names

def test_unknown_top_level_key_names_the_close_one(tmp_path):
    rest = at(fails(tmp_path, "inputs: [1]\nlayrs: []\n"), 2, 1, "layrs")
    assert rest == ("unknown key 'layrs'; expected one of inputs, layers, lexicon, title, train "
                    "(did you mean 'layers'?)")


def test_unknown_layer_key(tmp_path):
    text = "inputs: [1]\nlayers:\n  - {type: dense, size: 1, W: 1, activaton: tanh}\n"
    rest = at(fails(tmp_path, text), 3, column(text, 3, "activaton"), "layers[0].activaton")
    assert rest.startswith("unknown key 'activaton'; expected one of ")
    assert rest.endswith("(did you mean 'activation'?)")


def test_unknown_layer_type(tmp_path):
    rest = at(fails(tmp_path, "inputs: [1]\nlayers:\n  - {type: lstn, size: 1}\n"), 3, 12, "layers[0].type")
    assert rest == ("unknown layer type 'lstn'; expected one of elman, jordan, lstm, gru, indrnn, "
                    "dense, bidirectional, embedding (did you mean 'lstm'?)")


def test_unknown_activation(tmp_path):
    text = "inputs: [1]\nlayers:\n  - {type: elman, size: 1, W: 1, U: 1, activation: sigmod}\n"
    rest = at(fails(tmp_path, text), 3, column(text, 3, "sigmod"), "layers[0].activation")
    assert rest.startswith("unknown activation 'sigmod'; expected one of linear, sigmoid")
    assert rest.endswith("(did you mean 'sigmoid'?)")


def test_softmax_is_for_dense_layers_only(tmp_path):
    text = "inputs: [1]\nlayers:\n  - {type: elman, size: 1, W: 1, U: 1, activation: softmax}\n"
    rest = at(fails(tmp_path, text), 3, column(text, 3, "softmax"), "layers[0].activation")
    assert rest.startswith("unknown activation 'softmax'")


def test_misspelt_gate_names_the_gate(tmp_path):
    text = ("inputs: [1]\nlayers:\n  - type: lstm\n    size: 1\n"
            + LSTM_BLOCKS.replace("forget_gate:", "forgt_gate: "))
    rest = at(fails(tmp_path, text), 7, 5, "layers[0].forgt_gate")
    assert rest.startswith("unknown key 'forgt_gate'")
    assert rest.endswith("(did you mean 'forget_gate'?)")


@pytest.mark.parametrize("kind, blocks, missing", [
    ("lstm", LSTM_BLOCKS.replace("    forget_gate: {W: 1}\n", ""), "forget_gate"),
    ("gru", "    reset_gate: {W: 1}\n    update_gate: {W: 1}\n", "candidate"),
])
def test_missing_gate(tmp_path, kind, blocks, missing):
    text = f"inputs: [1]\nlayers:\n  - type: {kind}\n    size: 1\n{blocks}"
    rest = at(fails(tmp_path, text), 3, 5, "layers[0]")
    assert rest.startswith(f"missing the block '{missing}' ({kind} needs ")


def test_missing_weights_say_what_they_are(tmp_path):
    rest = at(fails(tmp_path, "inputs: [1]\nlayers:\n  - {type: elman, size: 2, W: 1}\n"), 3, 5, "layers[0]")
    assert rest == ("missing the memory weights 'U' (one row per unit, one column per value in memory, "
                    "or one number for all)")


def test_peephole_on_the_cell_input(tmp_path):
    text = ("inputs: [1]\nlayers:\n  - type: lstm\n    size: 1\n"
            + LSTM_BLOCKS.replace("cell_input:  {W: 1}", "cell_input:  {W: 1, P: 1}"))
    rest = at(fails(tmp_path, text), 5, 25, "layers[0].cell_input.P")
    assert rest.startswith("a peephole P belongs to the gates")


def test_unknown_word_names_the_lexicon_and_the_close_word(tmp_path):
    text = "lexicon: [arrive, leave, Taipei]\ninputs: arrive Taipie\nlayers: [{type: dense, size: 1, W: 1}]\n"
    message = fails(tmp_path, text)
    assert message.endswith("inputs[1]: the word 'Taipie' is not in the lexicon (arrive, leave, Taipei) "
                            "and the lexicon has no 'other' dimension (did you mean 'Taipei'?)")


@pytest.mark.parametrize("inputs", ["arrive  Taipie on", "'arrive  Taipie on'", '"arrive  Taipie on"'])
def test_an_unknown_word_in_a_sentence_points_at_the_word(tmp_path, inputs):
    text = f"lexicon: [arrive, leave, Taipei, on]\ninputs: {inputs}\nlayers: [{{type: dense, size: 1, W: 1}}]\n"
    at(fails(tmp_path, text), 2, column(text, 2, "Taipie"), "inputs[1]")
    # a sentence with an escape keeps the sentence's own column (the word's is not known)
    text = 'lexicon: [arrive, on]\ninputs: "arrive\\t Taipie"\nlayers: [{type: dense, size: 1, W: 1}]\n'
    at(fails(tmp_path, text), 2, column(text, 2, '"'), "inputs[1]")


def test_an_unknown_word_of_inputs_on_the_command_line_points_at_the_word():
    result = CliRunner().invoke(main, ["run", "slot_filling.yaml", "--inputs", "arrive Taipei on maybe"])
    assert result.exit_code == 0                         # slot_filling has 'other'
    spec = "lexicon: {words: [yes, no]}\ninputs: [yes]\nlayers: [{type: dense, size: 1, W: 1}]\n"
    result = CliRunner().invoke(main, ["run", "-", "--inputs", "yes maybe"], input=spec)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: --inputs:1:{'yes maybe'.index('maybe') + 1}: inputs[1]: the word 'maybe'")


def test_words_without_a_lexicon(tmp_path):
    text = "inputs: [arrive, leave]\nlayers: [{type: dense, size: 1, W: 1}]\n"
    rest = at(fails(tmp_path, text), 1, 10, "inputs[0]")
    assert rest.startswith("expected a number, found the word 'arrive'; words need a 'lexicon'")


def test_a_word_on_is_a_word_not_true(tmp_path):
    # YAML 1.1 read on/off/yes/no as booleans; a sentence "arrive Taipei on November 2nd" needs "on".
    path = tmp_path / "on.yaml"
    path.write_text("lexicon: [arrive, on, no]\ninputs: [arrive, on, no]\n"
                    "layers: [{type: dense, size: 3, W: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}]\n")
    assert load_spec(path).tokens == ("arrive", "on", "no")


def test_layer_name_used_twice(tmp_path):
    text = ("inputs: [1]\nlayers:\n  - {name: a, type: dense, size: 1, W: 1}\n"
            "  - {name: a, type: dense, size: 1, W: 1}\n")
    assert at(fails(tmp_path, text), 4, 5, "layers[1]") == "the layer name 'a' is used twice"


# --------------------------------------------------------------------------- inputs

@pytest.mark.parametrize("inputs, line_col_path, expected", [
    ("[]", (1, 9, "inputs"), "expected a non-empty list of time steps, found a list of 0 items"),
    ("[[1, 2], [1]]", (1, 18, "inputs[1]"), "expected 2 numbers (as in step 1), found 1"),
    ("[[1, 2], []]", (1, 18, "inputs[1]"), "a time step has no numbers"),
    ("[[1, 2], 3]", (1, 18, "inputs[1]"),
     "expected a list of numbers for this step (like the others), found the number 3"),
    ("[[1, x]]", (1, 14, "inputs[0][1]"), "expected a number, found the text 'x'"),
    ("['1', 2]", (1, 10, "inputs[0]"), "expected a number, found the text '1' (in quotes: write numbers without them)"),
    ("[1, .nan]", (1, 13, "inputs[1]"), "expected a number, found NaN"),
    ("[1, -.inf]", (1, 13, "inputs[1]"), "expected a finite number, found infinity"),
    ("[1, true]", (1, 13, "inputs[1]"), "expected a number, found true"),
    ("[1, null]", (1, 13, "inputs[1]"), "expected a number, found nothing"),
    ("{a: 1}", (1, 10, "inputs.a"), None),
])
def test_bad_inputs(tmp_path, inputs, line_col_path, expected):
    text = f"inputs: {inputs}\nlayers: [{{type: dense, size: 1, W: 1}}]\n"
    rest = at(fails(tmp_path, text), *line_col_path)
    if expected is not None:
        assert rest == expected


# --------------------------------------------------------------------------- sizes

@pytest.mark.parametrize("size, found", [
    ("-1", "the number -1"), ("0", "the number 0"), ("1.5", "the number 1.5"),
    ("two", "the text 'two'"), ("true", "true"), ("[2]", "a list of 1 item"),
])
def test_sizes_must_be_whole_and_positive(tmp_path, size, found):
    text = f"inputs: [1]\nlayers:\n  - {{type: dense, size: {size}, W: 1}}\n"
    rest = at(fails(tmp_path, text), 3, 25, "layers[0].size")
    assert rest == f"expected the size as a whole number of at least 1, found {found}"


def test_a_huge_size_is_refused_before_memory_is_taken(tmp_path):
    text = "inputs: [1]\nlayers:\n  - {type: dense, size: 100000000000, W: 1}\n"
    rest = at(fails(tmp_path, text), 3, 42, "layers[0].W")
    assert rest.startswith("the network has more than 10,000,000 weights")


# --------------------------------------------------------------------------- weights of every layer type

def layer_spec(body):
    return "inputs: [[1, 2]]\nlayers:\n" + body


MATRIX = "expected a {r}×{c} matrix ({r} row{rs} of {c} number{cs}{why}), or one number for every weight; found {found}"


def matrix(r, c, why, found):
    return MATRIX.format(r=r, c=c, rs="s" if r != 1 else "", cs="s" if c != 1 else "", why=why, found=found)


WEIGHT_CASES = [
    # elman
    ("  - {type: elman, size: 2, W: [[1, 2, 3], [4, 5, 6]], U: 1}\n", (3, '[[1, 2, 3]', "layers[0].W"),
     matrix(2, 2, "; 2 = the number of inputs", "2 rows of 3")),
    ("  - {type: elman, size: 2, W: 1, U: [[1, 2]]}\n", (3, '[[1, 2]]', "layers[0].U"),
     matrix(2, 2, "; memory holds the 2 hidden values", "1 row of 2")),
    ("  - {type: elman, size: 2, W: 1, U: 1, b: [1, 2, 3]}\n", (3, '[1, 2, 3]', "layers[0].b"),
     "expected a bias of 2 numbers (or one number for all), found a list of 3 numbers"),
    ("  - {type: elman, size: 2, W: 1, U: 1, initial: [1]}\n", (3, '[1]', "layers[0].initial"),
     "expected a starting memory of 2 numbers (or one number for all), found a list of 1 number"),
    # jordan
    ("  - {type: jordan, size: 2, W: [1, 2], U: 1, output: {size: 1, W: 1}}\n", (3, '[1, 2]', "layers[0].W"),
     matrix(2, 2, "; 2 = the number of inputs", "a list of 2 numbers")),
    ("  - {type: jordan, size: 2, W: 1, U: [[1, 2]], output: {size: 1, W: 1}}\n", (3, '[[1, 2]]', "layers[0].U"),
     matrix(2, 1, "; memory holds the 1 outputs of the last step", "1 row of 2")),
    ("  - {type: jordan, size: 2, W: 1, U: 1, output: {size: 1, W: [1, 2, 3]}}\n", (3, '[1, 2, 3]', "layers[0].output.W"),
     matrix(1, 2, "; 2 = the hidden size", "a list of 3 numbers")),
    ("  - {type: jordan, size: 2, W: 1, U: 1, output: {size: 1, W: 1, b: [1, 2]}}\n",
     (3, '[1, 2]}}', "layers[0].output.b"), "expected a bias of 1 number (or one number for all), found a list of 2 numbers"),
    ("  - {type: jordan, size: 2, W: 1, U: 1, output: {size: 1, W: 1}, initial: [0, 0]}\n",
     (3, '[0, 0]', "layers[0].initial"),
     "expected a starting memory of 1 number (or one number for all), found a list of 2 numbers"),
    # dense
    ("  - {type: dense, size: 2, W: [[1, 2], [3]]}\n", (3, '[[1, 2], [3]]', "layers[0].W"),
     matrix(2, 2, "; 2 = the number of inputs", "2 rows of 1/2 numbers (ragged)")),
    ("  - {type: dense, size: 2, W: [[1, 2], 3]}\n", (3, '[[1, 2], 3]', "layers[0].W"),
     matrix(2, 2, "; 2 = the number of inputs", "a mix of numbers and lists")),
    ("  - {type: dense, size: 2, W: 1, b: [[1], [2]]}\n", (3, '[[1], [2]]', "layers[0].b"),
     "expected a bias of 2 numbers (or one number for all), found 2 rows of 1"),
    ("  - {type: dense, size: 2, W: 1, labels: [a]}\n", (3, '[a]', "layers[0].labels"),
     "expected 2 labels, one per unit, found a list of 1 item"),
    ("  - {type: dense, size: 1, W: []}\n", (3, '[]', "layers[0].W"),
     matrix(1, 2, "; 2 = the number of inputs", "an empty list")),
]
for block in ("cell_input", "input_gate", "forget_gate", "output_gate"):
    body = "  - type: lstm\n    size: 2\n" + "".join(
        f"    {b}: {{W: 1}}\n" for b in ("cell_input", "input_gate", "forget_gate", "output_gate"))
    WEIGHT_CASES += [
        (body.replace(f"{block}: {{W: 1}}", f"{block}: {{W: [1, 2]}}"),
         (None, None, f"layers[0].{block}.W"), matrix(2, 2, "; 2 = the number of inputs", "a list of 2 numbers")),
        (body.replace(f"{block}: {{W: 1}}", f"{block}: {{W: 1, U: [[1, 2, 3]]}}"),
         (None, None, f"layers[0].{block}.U"),
         matrix(2, 2, "; the recurrent input is the 2 outputs h", "1 row of 3")),
        (body.replace(f"{block}: {{W: 1}}", f"{block}: {{W: 1, b: [1, 2, 3]}}"),
         (None, None, f"layers[0].{block}.b"),
         "expected a bias of 2 numbers (or one number for all), found a list of 3 numbers"),
    ]
    if block != "cell_input":
        WEIGHT_CASES.append(
            (body.replace(f"{block}: {{W: 1}}", f"{block}: {{W: 1, P: [1]}}"), (None, None, f"layers[0].{block}.P"),
             "expected a peephole of 2 numbers (or one number for all), found a list of 1 number"))
for block in ("reset_gate", "update_gate", "candidate"):
    body = "  - type: gru\n    size: 2\n" + "".join(
        f"    {b}: {{W: 1}}\n" for b in ("reset_gate", "update_gate", "candidate"))
    WEIGHT_CASES += [
        (body.replace(f"{block}: {{W: 1}}", f"{block}: {{W: [[1, 2]]}}"),
         (None, None, f"layers[0].{block}.W"), matrix(2, 2, "; 2 = the number of inputs", "1 row of 2")),
        (body.replace(f"{block}: {{W: 1}}", f"{block}: {{W: 1, U: [1, 2]}}"),
         (None, None, f"layers[0].{block}.U"),
         matrix(2, 2, "; the recurrent input is the 2 outputs h", "a list of 2 numbers")),
        (body.replace(f"{block}: {{W: 1}}", f"{block}: {{W: 1, b_h: [1, 2, 3]}}"),
         (None, None, f"layers[0].{block}.b_h"),
         "expected a bias of 2 numbers (or one number for all), found a list of 3 numbers"),
    ]
WEIGHT_CASES += [
    ("  - type: bidirectional\n    forward: {type: elman, size: 1, W: [1, 2, 3], U: 1}\n"
     "    backward: {type: elman, size: 1, W: 1, U: 1}\n", (4, '[1, 2, 3]', "layers[0].forward.W"),
     matrix(1, 2, "; 2 = the number of inputs", "a list of 3 numbers")),
    ("  - type: bidirectional\n    forward: {type: elman, size: 1, W: 1, U: 1}\n"
     "    backward: {type: gru, size: 1, reset_gate: {W: 1}, update_gate: {W: 1}, candidate: {W: [1]}}\n",
     (5, '[1]}}', "layers[0].backward.candidate.W"), matrix(1, 2, "; 2 = the number of inputs", "a list of 1 number")),
]


@pytest.mark.parametrize("body, where, expected", WEIGHT_CASES,
                         ids=[case[1][2] + ("" if case[1][0] else f"#{i}") for i, case in enumerate(WEIGHT_CASES)])
def test_wrong_shapes_in_every_weight(tmp_path, body, where, expected):
    line, token, path = where
    message = fails(tmp_path, layer_spec(body))
    if line is None:   # block-style layers: find the line of the key in the text
        key = path.split(".")[-2] + ":"
        line = next(i for i, text in enumerate(layer_spec(body).splitlines(), 1) if key in text)
        assert re.match(rf":{line}:\d+: {re.escape(path)}: ", message), message
        rest = message.split(f"{path}: ", 1)[1]
    else:
        rest = at(message, line, column(layer_spec(body), line, token), path)
    assert rest == expected


def test_layers_that_do_not_chain(tmp_path):
    text = ("inputs: [[1, 2]]\nlayers:\n  - {type: elman, size: 3, W: 1, U: 1}\n"
            "  - {type: dense, size: 1, W: [[1, 2]]}\n")
    rest = at(fails(tmp_path, text), 4, column(text, 4, "[[1, 2]]"), "layers[1].W")
    assert rest == matrix(1, 3, "; 3 = the output size of layers[0]", "1 row of 2")


def test_bidirectional_concat_output_chains_with_both_sizes(tmp_path):
    text = ("inputs: [[1, 2]]\nlayers:\n  - type: bidirectional\n"
            "    forward: {type: elman, size: 2, W: 1, U: 1}\n"
            "    backward: {type: elman, size: 1, W: 1, U: 1}\n"
            "  - {type: dense, size: 1, W: [1, 2]}\n")
    rest = at(fails(tmp_path, text), 6, column(text, 6, "[1, 2]"), "layers[1].W")
    assert rest == matrix(1, 3, "; 3 = the output size of layers[0]", "a list of 2 numbers")


def test_text_where_a_weight_goes(tmp_path):
    text = "inputs: [1]\nlayers:\n  - {type: dense, size: 1, W: [[one]]}\n"
    assert at(fails(tmp_path, text), 3, column(text, 3, "one"), "layers[0].W[0][0]") == "expected a number, found the text 'one'"


def test_nan_and_infinity_in_weights(tmp_path):
    text = "inputs: [1]\nlayers:\n  - {type: dense, size: 1, W: .NaN}\n"
    assert at(fails(tmp_path, text), 3, 31, "layers[0].W") == "expected a number, found NaN"
    text = "inputs: [1]\nlayers:\n  - {type: dense, size: 1, W: 1, b: -.inf}\n"
    assert at(fails(tmp_path, text), 3, 37, "layers[0].b") == "expected a finite number, found infinity"


def test_nan_in_train_targets(tmp_path):
    text = ("inputs: [1]\nlayers:\n  - {type: dense, size: 1, W: 1}\n"
            "train: {targets: [.nan], loss: squared_error}\n")
    assert at(fails(tmp_path, text), 4, 19, "train.targets[0]") == "expected a number, found NaN"


# --------------------------------------------------------------------------- the same through run and from stdin

def test_run_reports_like_validate(tmp_path):
    message = fails(tmp_path, "inputs: [1]\nlayers: [{type: dense, size: 0, W: 1}]\n", command="run")
    assert "layers[0].size: expected the size as a whole number of at least 1" in message


def test_errors_from_stdin_are_labelled_stdin():
    result = CliRunner().invoke(main, ["validate", "-"], input="inputs: [1]\nlayrs: []\n")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("Error: <stdin>:2:1: layrs: unknown key 'layrs'")


# --------------------------------------------------------------------------- the error type itself

def test_spec_error_text_and_fields():
    error = SpecError("expected a number, found the text 'x'", ("layers", 0, "input_gate", "W"),
                      file="a.yaml", line=3, column=7, hint="y")
    assert str(error) == "a.yaml:3:7: layers[0].input_gate.W: expected a number, found the text 'x' (did you mean 'y'?)"
    assert (error.file, error.line, error.column) == ("a.yaml", 3, 7)
    assert format_path(("steps", 4, "lstm.c")) == "steps[4].lstm.c"


def test_close_name():
    assert close_name("forgt_gate", ["input_gate", "forget_gate"]) == "forget_gate"
    assert close_name("LSTM", ["lstm", "gru"]) == "lstm"
    assert close_name("banana", ["lstm", "gru"]) is None
    assert close_name(3, ["lstm"]) is None


def test_a_missing_file_suggests_a_bundled_example_only_when_close(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", "lstm_exampel.yaml"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == ("Error: lstm_exampel.yaml: no such file "
                             "(did you mean the bundled example 'lstm_example.yaml'?)\n")
    result = CliRunner().invoke(main, ["run", "missing.yaml"])
    assert result.stderr == "Error: missing.yaml: no such file (`rnntrace examples` lists the bundled ones)\n"


def test_a_very_long_name_keeps_the_message_short(tmp_path):
    key = "x" * 1000
    message = fails(tmp_path, f"inputs: [1]\n{key}: 1\nlayers: [{{type: dense, size: 1, W: 1}}]\n")
    shown = "x" * 39 + "…"
    assert message == (f":2:1: {shown}: unknown key '{shown}'; "
                       "expected one of inputs, layers, lexicon, title, train")
