"""rnntrace worksheet and rnntrace answers: exercise sheets, their keys, and answers
files that check marks right."""
import re

import pytest
import yaml
from click.testing import CliRunner

from rnntrace.cli import main
from rnntrace.starters import TYPES

from conftest import EXAMPLES, require_program, sigmoid


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, list(args), env={"NO_COLOR": "1", "COLUMNS": "200"}, **kwargs)


def out(*args) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def table_rows(markdown: str):
    """The rows of the (last) Markdown table, as lists of cell texts."""
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


# --------------------------------------------------------------------------- the sheet

def test_the_sheet_has_the_network_the_inputs_and_blank_cells():
    sheet = out("worksheet", "lstm_example.yaml", "--ask", "c,y")
    assert "# Exercise: The lecture's LSTM unit" in sheet
    assert "g linear, h linear, gates σ = sigmoid" in sheet          # the panels' wording
    assert "`input_gate.W` = `[0, 100, 0]`" in sheet and "`forget_gate.b` = `10`" in sheet
    assert "| t | x | `lstm.c` | `y` |" in sheet
    rows = table_rows(sheet)
    assert [r[:2] for r in rows] == [["1", "[3, 1, 0]"], ["2", "[4, 1, 0]"], ["3", "[2, 0, 0]"],
                                     ["4", "[1, 0, 1]"], ["5", "[3, -1, 0]"]]
    assert all(r[2:] == ["", ""] for r in rows)          # blank: nothing given away
    assert "6.9995" not in sheet


def test_the_key_fills_the_blanks_with_the_lectures_values():
    key = out("worksheet", "lstm_example.yaml", "--ask", "c,y", "--key")
    assert key.startswith("# Answer key")
    rows = table_rows(key)
    # the cell: 3, 7, 6.9998, 6.9995, ≈0 (5.7e-39); the output ≈0 until step 4 shows 6.9995
    assert [r[2] for r in rows] == ["3", "7", "6.9998", "6.9995", "≈0"]
    assert [r[3] for r in rows] == ["0.0001", "0.0003", "0.0003", "6.9995", "≈0"]
    # at 2 decimals 6.9995 shows as ≈7: it rounds to 7 but is not 7
    assert table_rows(out("worksheet", "lstm_example.yaml", "--ask", "c", "--key", "--precision", "2"))[3][2] \
        == "≈7"


def test_multi_unit_quantities_get_a_column_per_unit_and_words_are_shown():
    key = out("worksheet", "basic_rnn.yaml", "--ask", "hidden.h,y", "--key")
    assert "`hidden.h[1]` | `hidden.h[2]` | `y[1]` | `y[2]`" in key
    assert [r[2:] for r in table_rows(key)] == [["2", "2", "4", "4"], ["6", "6", "12", "12"],
                                               ["16", "16", "32", "32"]]
    words = out("worksheet", "slot_filling.yaml", "--ask", "y")
    assert "| t | word | x |" in words and "| 2 | Taipei |" in words
    assert "`y[destination]` | `y[time]` | `y[other]`" in words      # a labelled output's units
    assert "1-of-N encoded over: arrive, leave, Taipei, on, November, 2nd, other" in words


def test_ask_takes_last_parts_full_paths_and_all():
    sheet = out("worksheet", "lstm_example.yaml", "--ask", "input_gate.a,lstm.gates.forget_gate.z")
    assert "`lstm.gates.forget_gate.z` | `lstm.gates.input_gate.a`" not in sheet   # trace order kept
    assert "`lstm.gates.input_gate.a` | `lstm.gates.forget_gate.z`" in sheet
    everything = out("worksheet", "lstm_example.yaml", "--ask", "all")
    for q in ("lstm.c_prev", "lstm.gates.output_gate.z", "lstm.h", "`y`"):
        assert q in everything
    default = out("worksheet", "lstm_example.yaml")
    assert "| t | x | `lstm.c` | `lstm.h` |" in default


def test_an_unknown_quantity_names_the_close_one():
    result = invoke("worksheet", "lstm_example.yaml", "--ask", "c,lstm.gates.forgt_gate.a")
    assert result.exit_code == 2 and result.stdout == ""
    assert "unknown quantity 'lstm.gates.forgt_gate.a'" in result.stderr
    assert "did you mean 'lstm.gates.forget_gate.a'" in result.stderr


def test_latex_is_a_table_per_layer_with_escaped_names():
    tex = out("worksheet", "lstm_example.yaml", "--ask", "c,y", "--format", "latex")
    assert r"\begin{tabular}{|r|r|c|c|}" in tex and r"\end{tabular}" in tex     # t, x, c, y
    assert r"$t$ & $x$ & $c$ & output $y$ \\" in tex
    assert r"\texttt{input\_gate.W} $=$ $\left[\begin{array}{rrr} 0 & 100 & 0 \end{array}\right]$" in tex
    assert "_" not in re.sub(r"\$[^$]*\$", "", tex).replace(r"\_", "")   # underscores escaped outside math
    assert tex.count("{") == tex.count("}")
    assert len(re.findall(r"\\rule\{0pt\}", tex)) == 10     # 5 steps × 2 blanks
    assert r"$c$ \texttt{lstm.c}" in tex                      # how an answers file names them
    key = out("worksheet", "lstm_example.yaml", "--ask", "c,y", "--format", "latex", "--key")
    assert r"$6.9995$" in key and r"$\approx 0$" in key and r"\rule" not in key


def test_the_sheet_defines_each_activation_it_uses_and_no_other():
    sheet = out("worksheet", "lstm_hard_sigmoid.yaml")
    assert "gates hardσ = hard_sigmoid" in sheet
    defined = [line for line in sheet.splitlines() if line.startswith("- ")]
    assert defined == ["- linear: `linear(z) = z`", "- hard_sigmoid: `hardσ(z) = clip(0.2·z + 0.5, 0, 1)`"]
    sheet = out("worksheet", "gru.yaml")
    assert "candidate tanh, gates σ = sigmoid" in sheet
    assert "- sigmoid: `σ(z) = 1 / (1 + e^(−z))`" in sheet and "- tanh: `tanh(z) = " in sheet
    assert "relu" not in sheet and "hard_sigmoid" not in sheet
    sheet = out("worksheet", "slot_filling.yaml")
    assert "- relu: `relu(z) = max(0, z)`" in sheet and "- softmax: `softmax(z)_k = " in sheet
    tex = out("worksheet", "lstm_hard_sigmoid.yaml", "--format", "latex")
    assert "gates hard$\\sigma$ = hard\\_sigmoid" in tex
    assert r"\item hard\_sigmoid: $\mathrm{hard}\sigma(z) = \mathrm{clip}(0.2 z + 0.5,\ 0,\ 1)$" in tex


def compile_latex(body, folder):
    """pdflatex on a LaTeX fragment in a plain article (with longtable when the fragment
    says it needs it); the log."""
    import subprocess
    require_program("pdflatex", "apt-get install texlive-latex-base texlive-latex-recommended")
    opening = [line for line in body.splitlines()[:3] if line.startswith("%")]   # what it says it needs
    packages = r"\usepackage{longtable}" if any(r"\usepackage{longtable}" in line for line in opening) else ""
    (folder / "sheet.tex").write_text("\\documentclass{article}" + packages + "\\begin{document}\n" + body +
                                      "\\end{document}\n", encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "sheet.tex"],
                          cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    log = (folder / "sheet.log").read_text(encoding="utf-8", errors="replace")
    assert "Missing character" not in log             # every symbol typeset, none dropped
    return log


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_examples_latex_sheet_fits_the_page(name, tmp_path):
    """Sheet and key, the default quantities and --ask all, and a worked step: each
    compiles with plain pdflatex without a line running into the margin."""
    for args in ([], ["--key"], ["--ask", "all"], ["--ask", "all", "--key"], ["--ask", "all", "--worked", "1"]):
        log = compile_latex(out("worksheet", name, "--format", "latex", *args), tmp_path)
        assert "Overfull \\hbox" not in log, (args, log[log.index("Overfull"):][:600])


WIDE = """\
title: sixteen inputs
inputs: [[0.125, -0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, -14.25], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]
layers:
  - {name: hidden, type: elman, size: 2, activation: tanh, W: 0.015625, U: 0.5}
  - {name: out, type: dense, size: 3, activation: softmax, W: 1, labels: [first_label_long, second, third]}
"""
LEXICON = """\
title: sixteen words
lexicon: {words: [apple, banana, cherry, durian, elderberry, fig, grape, honeydew, kiwi, lemon, mango, nectarine,
                  orange, papaya, quince, raspberry], other: true}
inputs: apple kiwi papaya unknownword
layers:
  - {name: hidden, type: elman, size: 2, activation: relu, W: 1, U: 1}
"""


@pytest.mark.parametrize("text", [WIDE, LEXICON], ids=["wide-inputs", "big-lexicon"])
def test_wide_weights_and_inputs_fit_the_page_too(text, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    for args in ([], ["--key", "--ask", "all"]):
        tex = out("worksheet", str(spec), "--format", "latex", *args)
        assert r"\texttt{W}, columns 1--" in tex                  # W in parts of columns
        log = compile_latex(tex, tmp_path)
        assert "Overfull \\hbox" not in log, log[log.index("Overfull"):][:600]
    tex = out("worksheet", str(spec), "--format", "latex")
    if "lexicon" in text:                                      # the words label the parts' columns
        assert r"\scriptstyle\mathrm{raspberry} & \scriptstyle\mathrm{other}" in tex
    else:                                                      # x listed above the tables, not in them
        assert "$x_{1} = [$$0.125$, $-0.5$" in tex and "$t$ & $x$" not in tex


def test_a_wide_sheet_is_split_into_tables_that_fit(tmp_path):
    tex = out("worksheet", "lstm_example.yaml", "--format", "latex", "--ask", "all")
    captions = re.findall(r"\\textbf\{lstm\} \((\d) of (\d)\)", tex)
    assert len(captions) >= 2 and captions[-1][0] == captions[-1][1]
    # every asked quantity is in exactly one of the tables, each with t and x again
    headers = [line for line in tex.splitlines() if line.startswith("$t$ & $x$")]
    assert len(headers) == len(captions)
    for symbol in ("$z_{i}$", r"$\sigma(z_{i})$", "$c$", "$h$", "output $y$"):
        assert sum(h.count(symbol) for h in headers) == 1, symbol
    # a layer of several units: a row per step and unit, as run --format latex writes them
    tex = out("worksheet", "slot_filling.yaml", "--format", "latex", "--key", "--ask", "y")
    assert "& destination &" in tex and "& time &" in tex
    assert compile_latex(tex, tmp_path).count("Overfull") == 0


# --------------------------------------------------------------------------- the maths, steps, worked examples

def test_the_sheet_states_the_layers_equations():
    # the lecture's LSTM: c = g(z)·σ(z_i) + c_prev·σ(z_f), h = h(c)·σ(z_o)
    sheet = out("worksheet", "lstm_example.yaml")
    for line in ("- `z_i = W·x + b` (with input_gate.W, input_gate.b)", "- `c = g·i + c_prev·f`",
                 "- `h = h(c)·o`", "- where `g = g(z)`, `i = σ(z_i)`, `f = σ(z_f)`, `o = σ(z_o)`"):
        assert line in sheet, line
    assert sheet.index("`z_f = ") < sheet.index("`c = ") < sheet.index("`z_o = ") < sheet.index("`h = ")
    # PyTorch's GRU: n = tanh(W_n·x + b_n + r∘(U_n·h + b_h)), h = (1 − u)·n + u·h_prev
    sheet = out("worksheet", "gru.yaml")
    assert "`z_n = W·x + b + r∘(U·h_prev + b_h)` (with candidate.W, candidate.b, candidate.U, candidate.b_h)" \
        in sheet
    assert "- `h = (1 − u)·n + u·h_prev`" in sheet and "`u = σ(z_u)`" in sheet and "`n = tanh(z_n)`" in sheet
    peephole = out("worksheet", "lstm_peephole.yaml")
    assert "`z_i = W·x + P∘c_prev + b` (with input_gate.W, input_gate.P, input_gate.b)" in peephole
    jordan = out("worksheet", "jordan.yaml")
    assert "`z = W·x + U·y_prev + b`" in jordan and "`z_out = W_o·h + b_o` (with output.W, output.b)" in jordan
    bi = out("worksheet", "bidirectional.yaml")
    assert "   - forward:" in bi and "   - backward:" in bi and "`h = [h→; h←]`" in bi
    tex = out("worksheet", "lstm_example.yaml", "--format", "latex")
    assert r"$c = g\cdot i + c_{t-1}\cdot f$" in tex and r"$h = h(c)\cdot o$" in tex
    assert r"$z_{i} = W\cdot x + b$ \quad {\small(\texttt{input\_gate.W}, \texttt{input\_gate.b})}" in tex
    tex = out("worksheet", "gru.yaml", "--format", "latex")
    assert r"$h = (1 - u)\cdot n + u\cdot h_{t-1}$" in tex


def test_one_of_n_weight_columns_are_labelled_with_their_words():
    import rnntrace
    spec = rnntrace.load_spec(EXAMPLES / "slot_filling.yaml")
    words = list(spec.lexicon.words) + ["other"]
    W = spec.layers[0].W
    sheet = out("worksheet", "slot_filling.yaml")
    header = "| `W` | " + " | ".join(words) + " |"
    assert header in sheet
    rows = sheet[sheet.index(header):].splitlines()[2:2 + W.shape[0]]
    for u, row in enumerate(rows):             # unit u's weight for each word, read from the spec
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert cells[0] == str(u + 1)
        assert [float(c) for c in cells[1:]] == W[u].tolist()
    assert "`U` = `[[" in sheet                 # U reads the memory, not words: a plain matrix
    tex = out("worksheet", "slot_filling.yaml", "--format", "latex")
    assert r"\scriptstyle\mathrm{arrive} & \scriptstyle\mathrm{leave} & \scriptstyle\mathrm{Taipei}" in tex
    assert "1-of-N" not in out("worksheet", "lstm_example.yaml")


def test_steps_asks_for_some_steps_and_gives_the_ones_before():
    key_rows = table_rows(out("worksheet", "lstm_example.yaml", "--ask", "c,y", "--key"))
    sheet = out("worksheet", "lstm_example.yaml", "--ask", "c,y", "--steps", "3:4")
    rows = table_rows(sheet)
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]              # step 5 is not needed
    assert rows[:2] == key_rows[:2]                                  # steps 1 and 2 given: c = 3, 7
    assert [r[2:] for r in rows[2:]] == [["", ""], ["", ""]]          # 3 and 4 asked
    assert "at steps 3, 4" in sheet and "steps 1, 2 are given" in sheet
    answers = yaml.safe_load(out("answers", "lstm_example.yaml", "--ask", "c,y", "--steps", "3:4"))
    assert sorted(answers["steps"]) == [3, 4]
    result = invoke("worksheet", "lstm_example.yaml", "--steps", "7")
    assert result.exit_code == 2 and "Invalid value for '--steps': there is no step 7" in result.stderr
    tex = out("worksheet", "lstm_example.yaml", "--ask", "c,y", "--steps", "3:4", "--format", "latex")
    assert len(re.findall(r"\\rule\{0pt\}", tex)) == 2 * 2 and "$[3, -1, 0]$" not in tex


def test_worked_fills_a_step_and_writes_its_arithmetic_as_run_explain_does():
    sheet = out("worksheet", "lstm_example.yaml", "--ask", "c,y", "--worked", "1")
    rows = table_rows(sheet.split("## Worked example")[0])
    assert rows[0][2] == "3" and rows[1][2:] == ["", ""]            # c = 3 at step 1, given
    worked = sheet.split("## Worked example: step 1")[1].split("```text\n")[1].split("```")[0]
    explained = out("run", "lstm_example.yaml", "--format", "markdown", "--explain", "--steps", "1")
    assert worked in explained                                       # the same text as run --explain
    assert "c   = g·i + c_prev·f = 3·1 + 0·1 = 3" in worked          # the lecture's first step
    assert "Step 1 is worked out below" in sheet
    words = out("worksheet", "slot_filling.yaml", "--worked", "2", "--steps", "3")
    assert "## Worked example: step 2 (Taipei)" in words
    result = invoke("worksheet", "lstm_example.yaml", "--worked", "0")
    assert result.exit_code == 2 and result.stderr.startswith("Error: Invalid value for '--worked': there is no step 0")
    tex = out("worksheet", "lstm_example.yaml", "--worked", "1", "--format", "latex")
    assert r"\subsection*{Worked example: step 1}" in tex
    assert r"c = g$\cdot$i + c\_prev$\cdot$f = 3$\cdot$1 + 0$\cdot$1 = 3" in tex


# --------------------------------------------------------------------------- answers files

def test_answers_writes_the_exact_values_in_the_check_format():
    text = out("answers", "lstm_example.yaml", "--ask", "c,y")
    data = yaml.safe_load(text)
    assert set(data) == {"steps"} and sorted(data["steps"]) == [1, 2, 3, 4, 5]
    assert data["steps"][1] == {"lstm.c": 3, "y": pytest.approx(3 * sigmoid(-10), rel=1e-15)}   # c·σ(z_o)
    assert data["steps"][2]["lstm.c"] == 7


def test_a_spec_from_standard_input_is_named_stdin_and_check_gets_a_file(tmp_path):
    spec_text = out("examples", "basic_rnn.yaml")
    key = invoke("answers", "-", "--ask", "y", input=spec_text)
    assert key.exit_code == 0, key.output
    comments = [line for line in key.stdout.splitlines() if line.startswith("#")]
    assert comments[0].startswith("# Answers for <stdin>:")
    assert "rnntrace check my_spec.yaml my_answers.yaml" in comments[1] and " - " not in comments[1]
    # and the command it suggests works once the spec is saved under that name
    (tmp_path / "my_spec.yaml").write_text(spec_text, encoding="utf-8")
    (tmp_path / "my_answers.yaml").write_text(key.stdout, encoding="utf-8")
    assert invoke("check", str(tmp_path / "my_spec.yaml"), str(tmp_path / "my_answers.yaml")).exit_code == 0
    sheet = invoke("worksheet", "-", input=spec_text)
    assert sheet.exit_code == 0
    assert "`rnntrace check my_spec.yaml answers.yaml`" in sheet.stdout and "check -" not in sheet.stdout
    assert "`<stdin>`" in invoke("worksheet", "-", "--key", input=spec_text).stdout
    assert "from <stdin>" in invoke("worksheet", "-", "--format", "latex", input=spec_text).stdout


# Every bundled example's full key checks right with tolerance 0: test_schema.py, with its report.


@pytest.mark.parametrize("kind", TYPES)
def test_keys_of_starters_and_random_exercises_check_right(tmp_path, kind):
    for args in ([kind], [kind, "--seed", "3"]):
        spec = tmp_path / "spec.yaml"
        spec.write_text(out("new", *args), encoding="utf-8")
        key = tmp_path / "key.yaml"
        key.write_text(out("answers", str(spec), "--ask", "all"), encoding="utf-8")
        assert invoke("check", str(spec), str(key), "--tolerance", "0").exit_code == 0


def test_a_changed_key_is_caught(tmp_path):
    text = out("answers", "basic_rnn.yaml", "--ask", "y")
    assert "3: {y: [32, 32]}" in text
    path = tmp_path / "key.yaml"
    path.write_text(text.replace("3: {y: [32, 32]}", "3: {y: [32, 33]}"), encoding="utf-8")
    result = invoke("check", "basic_rnn.yaml", str(path))
    assert result.exit_code == 1 and "2 of 3 answers right" in result.stdout


@pytest.mark.parametrize("command", ["worksheet", "answers"])
def test_help_has_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0 and f"rnntrace {command} lstm_example.yaml" in result.stdout
