"""LaTeX answer keys of long sequences: a table of more than 40 rows is a longtable,
which breaks across pages, where one table float was cut off at the foot of its page."""
import subprocess

import rnntrace
from rnntrace.render.latex import LONG_ROWS, trace_latex

from conftest import EXAMPLES, require_program


def toy_latex(**kwargs):
    trace = rnntrace.run(rnntrace.load_spec(EXAMPLES / "toy_w999.yaml"))
    return trace, trace_latex(trace, **kwargs)


def test_a_long_table_is_a_longtable_and_says_what_it_needs():
    trace, text = toy_latex()
    assert text.startswith("% ") and r"\usepackage{longtable}" in text.splitlines()[1]
    assert r"\begin{table}" not in text
    assert text.count(r"\begin{longtable}{rrrr}") == text.count(r"\end{longtable}") == 2   # hidden, output
    assert text.count(r"\endhead") == 2          # the header again on every page
    rows = [line for line in text.splitlines() if line.strip().startswith("$") and line.endswith(r"\\")
            and not line.strip().startswith("$t$")]
    assert len(rows) == 2 * 1000                 # every step of both layers, none cut


def test_up_to_40_rows_stay_a_table_float_with_no_package():
    trace = rnntrace.run(rnntrace.load_spec(EXAMPLES / "toy_w999.yaml"))
    short = trace_latex(trace, trace.steps[:LONG_ROWS])
    assert r"\begin{table}[ht]" in short and "longtable" not in short and not short.startswith("%")
    assert r"\begin{longtable}" in trace_latex(trace, trace.steps[:LONG_ROWS + 1])


def test_a_long_table_compiles_and_is_not_cut_off(tmp_path):
    require_program("pdflatex", "apt-get install texlive-latex-base texlive-latex-recommended")
    _, body = toy_latex()
    (tmp_path / "key.tex").write_text("\\documentclass{article}\\usepackage{longtable}\\begin{document}\n"
                                      + body + "\\end{document}\n", encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "key.tex"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Float too large" not in done.stdout           # the old single float lost ~950 rows
    assert "Overfull \\hbox" not in done.stdout
    pages = int(done.stdout.split("Output written on key.pdf (")[1].split(" pages")[0])
    assert pages > 20                                     # 2000 rows at under 60 a page
