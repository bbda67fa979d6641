"""The table view (panels, outputs over time, chart), the csv/markdown/latex formats,
--export, step and layer selection, and terminal manners.

Views are drawn at a fixed width into a string; the tests look for the numbers and
labels that must be there (values worked out by hand from the lecture, or computed
here with the math module), not for exact spacing.
"""
import csv
import io
import math
import re
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from rich.console import Console

import rnntrace
from rnntrace.cli import main
from rnntrace.errors import RnntraceError
from rnntrace.render.chart import BARS, bins
from rnntrace.render.csv import trace_csv
from rnntrace.render.latex import trace_latex
from rnntrace.render.markdown import trace_markdown
from rnntrace.render.selection import check_layers, parse_steps
from rnntrace.render.view import CHART_OVER, View, terminal_view
from rnntrace.trace import flatten, step_to_dict

from conftest import EXAMPLES, require_program, sigmoid

ALL_EXAMPLES = sorted(EXAMPLES.glob("*.yaml"))


def draw(trace, width=80, **view):
    console = Console(width=width, file=io.StringIO(), color_system=None, highlight=False)
    for part in terminal_view(trace, View(**view)):
        console.print(part)
    return console.file.getvalue()


def squeeze(text):
    return re.sub(r"[ \t]+", " ", text)


def load(name):
    return rnntrace.load_spec(EXAMPLES / name)


def run_cli(*args):
    return CliRunner().invoke(main, ["run", *[str(a) for a in args]])


@pytest.fixture(scope="module")
def lstm_trace():
    return rnntrace.run(load("lstm_example.yaml"))


# --------------------------------------------------------------------------- panels

def test_lstm_panel_rows_follow_the_lecture(lstm_trace):
    text = draw(lstm_trace, steps=[1])
    order = ["cell input    z → g(z)", "input gate    z_i → σ(z_i)", "forget gate   z_f → σ(z_f)",
             "cell          c_prev → c", "output gate   z_o → σ(z_o)", "output        h = h(c)·o"]
    places = [text.index(label) for label in order]
    assert places == sorted(places)
    flat = squeeze(text)
    # step 1: z = 3 → 3, z_i = 90 → σ = 1, z_f = 110 → 1, cell 0 → 3, z_o = −10 → ≈0
    assert "z → g(z) 3 → 3" in flat
    assert "z_i → σ(z_i) 90 → 1" in flat
    assert "z_f → σ(z_f) 110 → 1" in flat
    assert "c_prev → c 0 → 3" in flat
    assert "z_o → σ(z_o) −10 → ≈0" in flat
    assert "Step 1 of 5" in text


def test_lstm_panels_show_the_cell_kept_and_wiped(lstm_trace):
    flat = squeeze(draw(lstm_trace))
    # step 3: nothing written, the forget gate σ(10) ≈ 1 keeps 7 as 6.9998
    c3 = 2 * sigmoid(-10) + 7 * sigmoid(10)
    assert f"c_prev → c 7 → {c3:.4f}" in flat
    # step 4: the output gate opens: h = c ≈ 6.9995, which must not print as 7
    c4 = 1 * sigmoid(-10) + c3 * sigmoid(10)
    assert f"{c4:.4f}" == "6.9995"
    assert "z_o → σ(z_o) 90 → 1" in flat
    assert "y = [6.9995]" in flat
    # step 5: x2 = −1 closes the forget gate: the cell is wiped to ≈0, not 0
    assert "z_f → σ(z_f) −90 → ≈0" in flat
    assert "c_prev → c 6.9995 → ≈0" in flat


def test_summary_shows_exact_beside_rounded(lstm_trace):
    text = draw(lstm_trace)
    assert "Outputs over time" in text
    rows = [squeeze(line).strip() for line in text.splitlines()]
    # step 4: the exact cell value, read back, is the lecture's 6.999501; shown rounded
    c4 = 1 * sigmoid(-10) + (2 * sigmoid(-10) + 7 * sigmoid(10)) * sigmoid(10)
    row = next(r for r in rows if r.startswith("4 ") and "lstm.c" in r)
    exact, shown = row.split()[-2:]
    assert float(exact) == pytest.approx(c4, abs=1e-14)
    assert len(exact.replace(".", "")) >= 15
    assert shown == "6.9995"
    # step 1: y = 3·σ(−10) = 1.3619e-4 exactly, 0.0001 rounded
    row = next(r for r in rows if r.startswith("y ") and float(r.split()[-2]) < 2e-4)
    assert float(row.split()[-2]) == pytest.approx(3 * sigmoid(-10), rel=1e-12)


def test_elman_reads_and_writes_memory_one_column_per_unit():
    flat = squeeze(draw(rnntrace.run(load("basic_rnn.yaml")), steps=[2]))
    assert "unit 1 unit 2" in flat
    assert "memory read h_prev 2 2" in flat          # step 1 wrote [2, 2]
    assert "z → h 6 → 6 6 → 6" in flat                # 1 + 1 + 2 + 2
    assert "write back memory ← h 6 6" in flat
    assert "z → y 12 → 12 12 → 12" in flat


def test_jordan_memory_holds_the_output():
    flat = squeeze(draw(rnntrace.run(load("jordan.yaml")), steps=[2]))
    assert "memory read y_prev 3" in flat             # y_1 = 1 + 2
    assert "z_out → y 9 → 9" in flat
    assert "write back memory ← y 9" in flat


def test_gru_shows_its_three_parts():
    text = draw(rnntrace.run(load("gru.yaml")), steps=[1])
    for label in ("reset gate", "update gate", "candidate", "h = (1 − u)·n + u·h_prev"):
        assert label in text
    # x = [1, 1]: z_r = 2·1 − 1 = 1 → σ(1)
    assert f"1 → {sigmoid(1):.4f}" in squeeze(text)


@pytest.mark.parametrize("example", ["lstm_example.yaml", "gru.yaml", "lstm_peephole_gers.yaml"])
def test_a_panels_formula_row_says_what_explain_says(example):
    """A row of a formula (an LSTM's or GRU's h) is written from the description's
    formula, the same words the --explain arithmetic writes for it."""
    from rnntrace.layers import describe
    from rnntrace.render.explain import record_lines
    spec = load(example)
    trace = rnntrace.run(spec)
    layer = spec.layers[0]
    formula = next(q["formula"] for q in describe(layer)["quantities"] if q["path"] == "h")
    assert f"output        h = {formula}" in draw(trace, steps=[1])
    explained = record_lines(layer, trace[0].layers[layer.name], trace[0].x, 4)
    assert any(lhs.startswith("h") and rhs.startswith(f"{formula} = ") for lhs, rhs in explained), explained


def test_bidirectional_side_by_side_with_reading_direction():
    trace = rnntrace.run(load("bidirectional.yaml"))
    text = draw(trace, width=100, steps=[2])
    assert "→ forward, read x_1…x_2" in text
    assert "← backward, read x_4…x_2" in text
    # running totals of 1, 2, 3, 4: forward 1 + 2 = 3; backward 4 + 3 + 2 = 9
    line = next(l for l in text.splitlines() if "→ forward" in l)
    assert "← backward" in line                       # side by side at 100 columns
    assert "merged (concat): h = [3, 9]" in text
    narrow = draw(trace, width=50, steps=[2])         # one above the other when narrow
    assert all(len(l) <= 50 for l in narrow.splitlines())
    assert "← backward" in narrow


def test_softmax_labels_winner_and_word():
    text = draw(rnntrace.run(load("slot_filling.yaml")), steps=[2])
    assert "word Taipei" in text
    for label in ("destination", "time", "other"):
        assert label in text
    assert "destination ◀" in text
    assert "most likely: destination" in text
    leave = draw(rnntrace.run(load("slot_filling_leave.yaml")), steps=[2])
    assert "word Taipei" in leave
    assert "most likely: destination" not in leave


def test_a_softmax_tie_is_said_to_be_a_tie():
    # z = W·x with equal rows: z = [1, 1, 0], so y = [e/(2e + 1), e/(2e + 1), 1/(2e + 1)]: yes and no tie
    spec = rnntrace.spec_from_dict({"lexicon": {"words": ["yes", "no"]}, "inputs": "yes no", "layers": [
        {"name": "vote", "type": "dense", "size": 3, "activation": "softmax", "labels": ["yes", "no", "maybe"],
         "W": [[1, 1], [1, 1], [0, 0]]}]})
    trace = rnntrace.run(spec)
    tie = math.e / (2 * math.e + 1)
    assert trace[0].y.tolist() == pytest.approx([tie, tie, 1 / (2 * math.e + 1)], rel=1e-15)
    assert trace[0].y[0] == trace[0].y[1]                       # exactly: the same float64
    text = draw(trace, steps=[1], explain=True)
    assert "yes ◀" in text and "no ◀" in text and "maybe ◀" not in text
    assert "most likely: a tie between yes and no" in text
    assert "→ a tie between yes and no" in text                # the y line and the explained softmax
    assert text.count("most likely:") == 1
    narrow = draw(trace, width=40, steps=[1])                  # split into tables of units: said once
    assert narrow.count("most likely:") == 1 and narrow.count("◀") == 2 + 2   # the tables and the summary
    assert "| a tie between yes and no |" in trace_markdown(trace)
    summary = text[text.index("Outputs over time"):]
    assert [line.endswith("◀") for line in summary.splitlines()[3:6]] == [True, True, False]
    # no tie: the one winner, as before
    spec = rnntrace.spec_from_dict({"inputs": [[1]], "layers": [
        {"type": "dense", "size": 2, "activation": "softmax", "labels": ["a", "b"], "W": [[1], [0]]}]})
    one = draw(rnntrace.run(spec), steps=[1])
    assert re.search(r"most likely: a\s*│", one) and "tie" not in one and "b ◀" not in one


def test_wide_layer_is_split_into_tables_of_units():
    spec = rnntrace.spec_from_dict({"inputs": [[1, 2]], "layers": [
        {"type": "elman", "size": 12, "activation": "linear", "W": 1, "U": 0}]})
    text = draw(rnntrace.run(spec), width=60)
    assert all(len(line) <= 60 for line in text.splitlines())
    assert "unit 12" in text
    assert "(units 1–" in text
    assert squeeze(text).count("3 → 3") == 12         # every unit: 1 + 2 = 3


# --------------------------------------------------------------------------- selection

def test_parse_steps():
    assert parse_steps("3", 5) == [3]
    assert parse_steps("2:4", 5) == [2, 3, 4]
    assert parse_steps("2:", 5) == [2, 3, 4, 5]
    assert parse_steps(":2", 5) == [1, 2]
    assert parse_steps("1,3:4", 5) == [1, 3, 4]
    assert parse_steps(None, 5) is None
    for bad in ("0", "6", "4:2", "x", "2:9"):
        with pytest.raises(RnntraceError):
            parse_steps(bad, 5)


def test_cli_steps_range():
    result = run_cli("lstm_example.yaml", "--steps", "2:4")
    assert result.exit_code == 0
    assert "Step 1 of 5" not in result.stdout and "Step 5 of 5" not in result.stdout
    for t in (2, 3, 4):
        assert f"Step {t} of 5" in result.stdout


def test_cli_steps_out_of_range_is_exit_2():
    result = run_cli("lstm_example.yaml", "--steps", "9")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no step 9" in result.stderr and "5 steps" in result.stderr


def test_cli_unknown_layer_names_the_close_one():
    result = run_cli("slot_filling.yaml", "--layer", "slott")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "did you mean 'slot'?" in result.stderr


def test_cli_layer_shows_only_that_layer():
    result = run_cli("slot_filling.yaml", "--layer", "slot", "--steps", "2")
    assert result.exit_code == 0
    assert "slot: dense" in result.stdout
    assert "hidden: Elman" not in result.stdout
    assert check_layers(load("slot_filling.yaml"), ["slot"]) == ["slot"]


def test_precision_is_display_only():
    two = run_cli("lstm_example.yaml", "--steps", "4", "--precision", "2").stdout
    assert "y = [≈7]" in two                         # 6.9995 at 2 decimals
    # the exact column is unchanged: every digit of c_4, worked out by hand
    c4 = 1 * sigmoid(-10) + (2 * sigmoid(-10) + 7 * sigmoid(10)) * sigmoid(10)
    row = next(squeeze(line).split() for line in two.splitlines() if "lstm.c" in line)
    assert row[-1] == "≈7" and float(row[-2]) == pytest.approx(c4, rel=1e-15)
    assert len(row[-2].replace(".", "")) >= 15
    four = run_cli("lstm_example.yaml", "--steps", "4").stdout
    assert "y = [6.9995]" in four


# --------------------------------------------------------------------------- chart

def test_chart_of_the_lecture_lstm(lstm_trace):
    text = draw(lstm_trace, chart_only=True)
    lines = {line.split()[1]: line for line in text.splitlines() if line.startswith("lstm ")}
    # gates on the fixed scale 0 … 1: input gate open at steps 1–2 (σ(90) = 1),
    # ≈0 afterwards; the output gate opens only at step 4
    assert "██▁▁▁" in lines["σ(z_i)"]
    assert "▁▁▁█▁" in lines["σ(z_o)"]
    assert "████▁" in lines["σ(z_f)"]
    # the cell: 3, 7, 7, 7, ≈0 between its own ends ≈0 and 7
    assert lines["c"].split()[-1] == "7"
    assert BARS[-1] * 3 + BARS[0] in lines["c"]


def test_bins_cover_every_step_once():
    for count, columns in ((5, 60), (1000, 56), (20000, 60), (61, 60)):
        runs = bins(count, columns)
        assert len(runs) <= columns
        assert runs[0][0] == 0 and runs[-1][1] == count
        assert all(a[1] == b[0] for a, b in zip(runs, runs[1:]))


def long_spec(steps):
    return rnntrace.spec_from_dict({"inputs": [[1 if t % 7 == 0 else 0] for t in range(steps)], "layers": [
        {"type": "elman", "size": 1, "activation": "tanh", "W": 1, "U": 0.5}]})


def test_long_sequence_gets_the_chart_and_a_hint():
    trace = rnntrace.run(long_spec(CHART_OVER + 10))
    text = draw(trace)
    assert "Step 1 of" not in text
    assert "Over time, steps 1–60" in text
    assert "--panels" in text and "--steps" in text
    assert f"Step 60 of 60" in draw(trace, panels=True)
    assert "Step 3 of 60" in draw(trace, steps=[3])


def test_very_long_sequence_chart_fits_the_width():
    trace = rnntrace.run(long_spec(5000))
    text = draw(trace, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "a mark every" in text


# --------------------------------------------------------------------------- formats

def test_csv_one_row_per_step_one_column_per_quantity(lstm_trace):
    text = trace_csv(lstm_trace)
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert len(body) == 5
    paths = flatten(step_to_dict(lstm_trace[0])).keys()
    for path in paths:
        if path != "x":
            assert path in header
    assert ["x[1]", "x[2]", "x[3]"] == [h for h in header if h.startswith("x")]
    first = dict(zip(header, body[0]))
    assert first["t"] == "1" and first["lstm.c"] == "3" and first["lstm.gates.input_gate.z"] == "90"
    assert float(first["y"]) == pytest.approx(3 * sigmoid(-10), rel=1e-12)
    fourth = dict(zip(header, body[3]))
    assert float(fourth["lstm.c"]) == pytest.approx(6.999501, abs=1e-6)


def test_cli_csv_with_words_and_layer():
    result = run_cli("slot_filling.yaml", "--format", "csv", "--layer", "slot")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["token"] for r in rows] == ["arrive", "Taipei", "on", "November", "2nd"]
    assert rows[1]["slot.label"] == "destination"
    assert not any(k.startswith("hidden.") for k in rows[0])
    e = [math.exp(4), 1.0, math.exp(2)]
    assert float(rows[1]["slot.y[1]"]) == pytest.approx(e[0] / sum(e), rel=1e-12)


def test_markdown_answer_key(lstm_trace):
    text = trace_markdown(lstm_trace)
    assert text.startswith("# The lecture's LSTM unit")
    assert "| t | x | z | g(z) | z_i | σ(z_i) | z_f | σ(z_f) | c | z_o | σ(z_o) | h |" in text
    assert "| 1 | [3, 1, 0] | 3 | 3 | 90 | 1 | 110 | 1 | 3 | -10 | ≈0 |" in text
    assert "| 2 | [4, 1, 0] | 4 | 4 | 90 | 1 | 110 | 1 | 7 |" in text
    row4 = next(line for line in text.splitlines() if line.startswith("| 4 |"))
    assert row4.endswith("| 6.9995 |")


def test_latex_table_pastes_as_is(lstm_trace):
    text = trace_latex(lstm_trace)
    assert text.isascii()                     # plain pdflatex, no Unicode set-up needed
    assert text.count(r"\begin{table}") == text.count(r"\end{table}") == 1
    assert r"\begin{tabular}{rrrrrrrrrrrr}" in text
    assert r"$\sigma(z_{i})$" in text
    rows = [line.strip() for line in text.splitlines() if re.match(r"\$\d", line.strip())]
    assert len(rows) == 5
    assert all(row.count("&") == 11 and row.endswith(r"\\") for row in rows)
    assert rows[0].startswith("$1$ & $[3, 1, 0]$ & $3$ & $3$ & $90$ & $1$ & $110$ & $1$ & $3$ & $-10$ & "
                              r"$\approx 0$")
    assert "$6.9995$" in rows[3]


def test_latex_escapes_words():
    spec = rnntrace.spec_from_dict({"title": "50% of a_b & more", "lexicon": {"words": ["a_b", "c&d"]},
                                    "inputs": "a_b c&d",
                                    "layers": [{"type": "dense", "size": 1, "W": 1}]})
    text = trace_latex(rnntrace.run(spec))
    assert r"50\% of a\_b \& more" in text
    assert r"a\_b &" in text and r"c\&d &" in text


# --------------------------------------------------------------------------- export

def test_export_svg_is_valid_xml_with_the_numbers(tmp_path):
    out = tmp_path / "lstm.svg"
    result = run_cli("lstm_example.yaml", "--export", out, "--width", "80")
    assert result.exit_code == 0, result.stderr
    ET.parse(out)                                     # well-formed XML
    svg = out.read_text(encoding="utf-8").replace("&#160;", " ")
    for number in ("6.9995", "110", "Step 4 of 5", "Outputs over time"):
        assert number in svg
    assert "Step 4 of 5" in result.stdout             # and the terminal shows the same


def test_export_html(tmp_path):
    out = tmp_path / "lstm.html"
    result = run_cli("lstm_example.yaml", "--export", out)
    assert result.exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "<html" in html.lower() and "6.9995" in html


def test_the_html_export_is_the_interactive_page(tmp_path):
    # one kind of HTML: `run --export FILE.html` writes what `rnntrace page` writes, the
    # whole run whatever the terminal view shows (tests/test_page.py drives it in a browser)
    from rnntrace.render.page import page_html
    out = tmp_path / "lstm.html"
    result = run_cli("lstm_example.yaml", "--steps", "3:4", "--explain", "--export", out, "--width", "80")
    assert result.exit_code == 0, result.stderr
    assert "Step 4 of 5" in result.stdout                 # the terminal shows its view as before
    spec = rnntrace.load_spec(str(EXAMPLES / "lstm_example.yaml"))
    assert out.read_text(encoding="utf-8") == page_html(rnntrace.run(spec), source="lstm_example.yaml")


def test_export_needs_svg_or_html(tmp_path):
    result = run_cli("lstm_example.yaml", "--export", tmp_path / "x.png")
    assert result.exit_code == 2 and ".svg or .html" in result.stderr
    assert not (tmp_path / "x.png").exists()
    result = run_cli("lstm_example.yaml", "--export", tmp_path / "no" / "such" / "x.svg")
    assert result.exit_code == 2 and "cannot write" in result.stderr
    assert result.stdout == ""


def test_json_refuses_view_options():
    result = run_cli("lstm_example.yaml", "--format", "json", "--steps", "2")
    assert result.exit_code == 2 and result.stdout == ""


# --------------------------------------------------------------------------- terminal manners

@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=lambda p: p.name)
def test_every_example_fits_80_columns(path):
    for options in ([], ["--explain", "--steps", "1:3"], ["--chart"]):
        result = run_cli(path, "--width", "80", *options)
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""
        too_long = [line for line in result.stdout.splitlines() if len(line) > 80]
        assert too_long == [], (options, too_long[:3])


def test_no_colour_when_not_a_terminal():
    result = run_cli("lstm_example.yaml")
    assert "\x1b[" not in result.stdout


def test_colour_on_a_terminal_and_no_color_honoured(monkeypatch):
    from rnntrace.render.terminal import draw as draw_text
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured, _ = draw_text(terminal_view(rnntrace.run(load("lstm_example.yaml")), View(chart_only=True)))
    assert re.search(r"\x1b\[[0-9;]*3[0-7]m", coloured)          # a foreground colour
    monkeypatch.setenv("NO_COLOR", "1")
    plain, _ = draw_text(terminal_view(rnntrace.run(load("lstm_example.yaml")), View(chart_only=True)))
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", plain)


def test_cli_inputs_replace_the_specs():
    result = run_cli("lstm_example.yaml", "--inputs", "[[3, 1, 0], [4, 1, 0]]", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["lstm.c"] for r in rows] == ["3", "7"]          # the lecture's first two steps
    words = run_cli("slot_filling.yaml", "--inputs", "leave Taipei on", "--steps", "2")
    assert "word Taipei" in words.stdout and "Step 2 of 3" in words.stdout
    bad = run_cli("lstm_example.yaml", "--inputs", "[[1, 2]]")
    assert bad.exit_code == 2 and "expected steps of 3 numbers" in bad.stderr


def test_readme_picture_is_the_tools_own_svg():
    root = EXAMPLES.parent
    svg = root / "docs" / "lstm_example.svg"
    assert "(docs/lstm_example.svg)" in (root / "README.md").read_text(encoding="utf-8")
    ET.parse(svg)
    text = svg.read_text(encoding="utf-8").replace("&#160;", " ")
    assert "rich-terminal" in text                    # drawn by rnntrace's --export (rich)
    for needle in ("Step 5 of 5", "6.9995", "Outputs over time"):
        assert needle in text


def test_markdown_rows_per_unit_for_wide_layers():
    text = trace_markdown(rnntrace.run(load("basic_rnn.yaml")), layers=["hidden"])
    assert "| t | x | unit | z | h |" in text
    # the lecture's basic RNN: hidden 1 + 1 = 2, then 1 + 1 + 2 + 2 = 6 per unit
    assert "| 1 | [1, 1] | 1 | 2 | 2 |" in text
    assert "| 2 | [1, 1] | 1 | 6 | 6 |" in text
    assert "|  |  | 2 | 6 | 6 |" in text


@pytest.mark.parametrize("name", ["lstm_example.yaml", "slot_filling.yaml", "jordan.yaml",
                                  "bidirectional.yaml", "lstm_two_layer.yaml"])
def test_latex_compiles_with_plain_pdflatex(name, tmp_path):
    import subprocess
    require_program("pdflatex", "apt-get install texlive-latex-base texlive-latex-recommended")
    body = trace_latex(rnntrace.run(load(name)))
    (tmp_path / "key.tex").write_text("\\documentclass{article}\\begin{document}\n" + body +
                                      "\\end{document}\n", encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "key.tex"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Overfull \\hbox" not in done.stdout              # fits the page's text width


def test_huge_and_non_finite_numbers_stay_short():
    from rnntrace.render.numbers import fmt
    from rnntrace.render.numbers import latex_math as number
    assert fmt(1e300) == "1e+300"
    assert fmt(-123456789012345678901.0) == "-1.2346e+20"
    assert fmt(123456789012345.0) == "123456789012345"       # below 1e15: every digit
    assert fmt(float("inf")) == "inf" and fmt(float("nan")) == "nan"
    assert number(1e300, 4) == r"1 \times 10^{300}"
    assert number(float("-inf"), 4) == r"-\infty"
    spec = rnntrace.spec_from_dict({"inputs": [1, 0, 0], "layers": [
        {"type": "elman", "size": 1, "activation": "linear", "W": 1e300, "U": 1e300}]})
    import numpy as np
    with np.errstate(over="ignore"):                        # overflows to inf at step 2
        trace = rnntrace.run(spec)
    text = draw(trace, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "1e+300 → 1e+300" in squeeze(text) and "inf → inf" in squeeze(text)


def test_markdown_with_the_arithmetic():
    result = run_cli("lstm_example.yaml", "--format", "markdown", "--explain", "--steps", "2")
    assert result.exit_code == 0
    assert "### Step 2" in result.stdout and "### Step 1" not in result.stdout
    assert "4·1 + 3·1 = 7" in result.stdout                  # the lecture: 3 + 4 = 7
    assert run_cli("lstm_example.yaml", "--format", "latex", "--explain").exit_code == 2
