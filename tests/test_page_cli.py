"""`rnntrace page` without a browser: the command line, the file it writes and the
data the page is drawn from (the browser tests are in test_page.py)."""
import base64
import gzip
import json
import re
import subprocess
import sys

import pytest

from conftest import EXAMPLES, require_module

import rnntrace
from rnntrace.render.numbers import result
from rnntrace.render.page import _hint, explain_data, page_data, page_html, page_trace
from rnntrace.trace import flatten

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))


def cli(*args, stdin=None, cwd=EXAMPLES):
    return subprocess.run([sys.executable, "-m", "rnntrace", *args], capture_output=True, text=True, input=stdin,
                          cwd=cwd)


def embedded(html):
    """The data block of a page, unpacked as the page's script unpacks it."""
    m = re.search(r'<script type="application/json" id="rnntrace-data" data-encoding="([^"]+)">(.*?)</script>',
                  html, re.S)
    encoding, text = m.groups()
    if encoding == "gzip+base64":
        text = gzip.decompress(base64.b64decode(text)).decode("utf-8")
    else:
        assert encoding == "json"
    return json.loads(text)


def test_help_has_examples():
    done = cli("page", "--help")
    assert done.returncode == 0
    assert "Examples:" in done.stdout and "rnntrace page lstm_example.yaml -o lstm.html" in done.stdout
    assert "not for exams" in done.stdout


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_each_example_page_is_small_self_contained_and_embeds_the_exact_trace(name):
    html = page_html(rnntrace.run(rnntrace.load_spec(str(EXAMPLES / name))), source=name)
    assert len(html.encode("utf-8")) < 300_000
    # nothing to fetch: no external script, style, font or image, and a policy that forbids it
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', html)
    assert "@import" not in html and "url(" not in html.replace("url(#arrow", "")
    assert "default-src 'none'" in html
    data = embedded(html)
    # the trace is the --format json trace, number for number
    assert page_trace(data) == json.loads(cli("run", name, "--format", "json").stdout)


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_every_quantity_gets_the_line_that_computes_it(name):
    """The line shown for a quantity (found from the description alone) ends in, or
    passes through, that quantity's own value as --explain writes it."""
    trace = rnntrace.run(rnntrace.load_spec(str(EXAMPLES / name)))
    data = page_data(trace)
    explain = explain_data(trace)
    checked = 0
    for t, step in enumerate(page_trace(data)["steps"][:12], start=1):
        for i, desc in enumerate(data["layers"]):
            where = explain["where_steps"][i].get(str(t)) or explain["where"][i]
            flat = flatten({"layers": {"L": step["layers"][desc["name"]]}})
            for path, indexes in where.items():
                values = flat["L." + path]
                assert len(indexes) == len(values), (name, path)
                for u, (k, v) in enumerate(zip(indexes, values)):
                    if k is None:      # a memory read: its own line, "c_prev = c at step 3 = …"
                        line = explain["memory"][t - 1][i][path][u]
                        assert line.endswith(" = " + result(v)), line
                    else:
                        line = explain["lines"][t - 1][i][k]
                        assert re.search(rf"(= |\[|, ){re.escape(result(v))}(\]|,|$| →| \()", line), (name, t, path, u, line)
                    checked += 1
    assert checked > 0


def test_a_hint_leaves_out_the_value_asked():
    assert _hint("c = g·i + c_prev·f = 3·1 + 0·1 = 3", 3.0, 4) == "c = g·i + c_prev·f = 3·1 + 0·1 = ?"
    assert _hint("z_i = 3·0 + 1·100 + 1·(−10) = 90 → σ(90) = 1 (in float64)", 1.0, 4) == \
        "z_i = 3·0 + 1·100 + 1·(−10) = 90 → σ(90) = ?"
    assert _hint("z_i = 3·0 + 1·100 + 1·(−10) = 90 → σ(90) = 1 (in float64)", 90.0, 4) == \
        "z_i = 3·0 + 1·100 + 1·(−10) = ?"


def test_page_to_stdout_to_a_file_and_from_stdin_are_the_same(tmp_path):
    out = cli("page", "lstm_example.yaml")
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.startswith("<!DOCTYPE html>")
    written = cli("page", "lstm_example.yaml", "-o", str(tmp_path / "a.html"))
    assert written.stdout == "" and written.returncode == 0
    assert (tmp_path / "a.html").read_text(encoding="utf-8") == out.stdout.rstrip("\n") + "\n" or \
        (tmp_path / "a.html").read_text(encoding="utf-8") == out.stdout.rstrip("\n")
    piped = cli("page", "-", stdin=(EXAMPLES / "lstm_example.yaml").read_text())
    assert page_trace(embedded(piped.stdout)) == page_trace(embedded(out.stdout))
    assert embedded(piped.stdout)["source"] == "<stdin>"


def test_run_export_html_writes_the_same_page(tmp_path):
    a, b = tmp_path / "run.html", tmp_path / "page.html"
    assert cli("run", "gru.yaml", "--export", str(a)).returncode == 0
    assert cli("page", "gru.yaml", "-o", str(b)).returncode == 0
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")


def test_practice_data_and_its_checks(tmp_path):
    data = embedded(cli("page", "lstm_example.yaml", "--ask", "c,y", "--tolerance", "0.05").stdout)
    assert data["practice"]["ask"] == ["lstm.c", "y"]
    assert data["practice"]["tolerance"] == 0.05
    assert data["practice"]["hints"]["lstm.c"]["4"] == ["c = g·i + c_prev·f = 1·4.5398e-05 + 6.9998·0.99995 = ?"]
    assert embedded(cli("page", "lstm_example.yaml", "--ask", "c").stdout)["practice"]["tolerance"] == 0.01


@pytest.mark.parametrize("args,message", [
    (["page", "lstm_example.yaml", "--ask", "lstm.cel"], "did you mean 'lstm.c'"),
    (["page", "lstm_example.yaml", "--tolerance", "0.1"], "--tolerance marks the blanks of --ask"),
    (["page", "lstm_example.yaml", "--tolerance", "-1", "--ask", "c"], "expected a number of 0 or more"),
    (["page", "no_such.yaml"], "no such file"),
    (["page", "lstm_example.yaml", "-o", "/nonexistent-dir/x.html"], "cannot write"),
    (["page", "lstm_example.yaml", "--inputs", "[[1, 2]]"], "inputs"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    done = cli(*args)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_notebook_html_is_the_page_in_an_iframe():
    from rnntrace.render.page import notebook_html
    trace = rnntrace.run(rnntrace.load_spec(str(EXAMPLES / "bidirectional.yaml")))
    page = rnntrace.page_html(trace)
    assert page == page_html(trace)
    frame = notebook_html(trace)
    assert frame.startswith("<iframe srcdoc=\"") and frame.endswith("</iframe>")
    inside = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    import html
    assert html.unescape(inside) == page
    assert "<script" not in inside        # escaped: the notebook's page runs none of it itself
    with pytest.raises(AttributeError, match=r"rnntrace.page_html\(trace\)"):
        trace.to_html()


def test_in_ipython_a_trace_shows_as_its_page():
    # The trace does not draw itself (the engine imports no view): `import rnntrace` in a
    # running IPython gives its HTML formatter the Trace class by name.
    require_module("IPython", "a trace shown in a notebook")
    script = ("from IPython.core.interactiveshell import InteractiveShell\n"
              "shell = InteractiveShell.instance()\n"
              "import rnntrace, sys\n"
              "assert 'rnntrace.render.page' not in sys.modules and 'numpy' not in sys.modules\n"
              "trace = rnntrace.run(rnntrace.load_spec('lstm_example.yaml'))\n"
              "data, _ = shell.display_formatter.format(trace)\n"
              "from rnntrace.render.page import notebook_html\n"
              "assert data['text/html'] == notebook_html(trace), data.keys()\n"
              "print('shown')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=EXAMPLES)
    assert done.returncode == 0 and done.stdout.strip() == "shown", done.stderr


def test_a_float32_page_holds_the_float32_trace():
    html = cli("page", "lstm_example.yaml", "--dtype", "float32").stdout
    data = embedded(html)
    assert page_trace(data) == json.loads(cli("run", "lstm_example.yaml", "--dtype", "float32", "--format", "json").stdout)
    assert data["trace"]["dtype"] == "float32"
    # the same as run --export writes
    assert "float64 (the run itself was in float32)" in html


def test_text_from_the_spec_cannot_end_the_script_or_add_markup():
    hostile = "</script><script>alert(1)</script><!-- x"
    spec = rnntrace.spec_from_dict({"title": hostile, "lexicon": {"words": [hostile, "b"]}, "inputs": [hostile, "b"],
                                    "layers": [{"name": "h", "type": "elman", "size": 1, "W": 1, "U": 1}]})
    html = page_html(rnntrace.run(spec))
    assert html.count("</script>") == 2          # the data block's and the script's own
    block = html[html.index('id="rnntrace-data"'):html.index("</script>")]
    assert "<" not in block.split(">", 1)[1]
    assert "<title>&lt;/script&gt;&lt;script&gt;" in html
    data = embedded(html)
    assert data["title"] == hostile and data["tokens"] == [hostile, "b"]
    # line separators, which older JavaScript took for line ends, are escaped too
    from rnntrace.render.page import _script_json
    assert _script_json({"a": "x\u2028y\u2029"}) == '{"a": "x\\u2028y\\u2029"}'


def test_input_files_outside_the_spec_folder_need_allow_file(tmp_path):
    (tmp_path / "class").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "xs.csv").write_text("1\n2\n3\n")
    spec = tmp_path / "class" / "s.yaml"
    spec.write_text("inputs: {file: ../data/xs.csv}\nlayers: [{type: elman, size: 1, W: 1, U: 1}]\n")
    refused = cli("page", str(spec), cwd=tmp_path)
    assert refused.returncode == 2 and "outside the spec's folder" in refused.stderr and refused.stdout == ""
    allowed = cli("page", str(spec), "--allow-file", str(tmp_path / "data"), cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert [s["x"] for s in page_trace(embedded(allowed.stdout))["steps"]] == [[1.0], [2.0], [3.0]]


def test_the_page_is_not_poured_into_a_terminal(tmp_path):
    """Without -o, on a terminal, page refuses (exit 2, one line naming -o); piped it writes."""
    import os
    import pty
    main, side = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "rnntrace", "page", "lstm_example.yaml"], stdout=side,
                              stderr=subprocess.PIPE, text=True, cwd=EXAMPLES)
        os.close(side)
        written = b""
        try:
            while True:
                chunk = os.read(main, 65536)
                if not chunk:
                    break
                written += chunk
        except OSError:        # the terminal's other side is closed: all read
            pass
    finally:
        os.close(main)
    assert done.returncode == 2
    assert "use -o FILE.html" in done.stderr and len(done.stderr.strip().splitlines()) <= 3, done.stderr
    assert b"<html" not in written
    assert cli("page", "lstm_example.yaml").stdout.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_no_hint_holds_the_value_it_asks_for(name):
    """With every quantity asked, no hint (softmax and merges included) writes the asked
    value in any of the forms the arithmetic writes numbers in; a line's other numbers stay."""
    from rnntrace.render.numbers import plain, show
    trace = rnntrace.run(rnntrace.load_spec(str(EXAMPLES / name)))
    practice = page_data(trace, ask=["all"])["practice"]
    steps = trace.to_dict()["steps"]
    checked = seen = 0
    for path, per_step in practice["hints"].items():
        for t, hints in per_step.items():
            values = flatten(steps[int(t) - 1]).get(path) if path != "y" else steps[int(t) - 1]["y"]
            for v, hint in zip(values, hints):
                seen += bool(hint)
                if not hint or v is None or float(v).is_integer():
                    continue
                assert "?" in hint, hint
                for form in (result(v), plain(v), show(v)):
                    assert not re.search(rf"(?<![\d.]){re.escape(form)}(?![\d.e])", hint), (path, t, hint, form)
                checked += 1
    assert seen > 0


def test_a_page_or_an_explain_past_its_bound_is_refused_before_the_run(tmp_path):
    """The page's data and --explain's text are estimated before anything runs and
    refused past rnntrace/limits.py's bounds (exit 2, one line, no file written)."""
    import numpy as np
    from rnntrace.limits import MAX_EXPLAIN_BYTES, MAX_PAGE_BYTES, PAGE_BYTES_PER_NUMBER
    # an Elman unit with one input records 5 numbers a step (x, h_prev, z, h, y)
    steps = MAX_PAGE_BYTES // (5 * PAGE_BYTES_PER_NUMBER) + 1
    np.save(tmp_path / "long.npy", np.ones((steps, 1)))
    (tmp_path / "long.yaml").write_text("inputs: {file: long.npy}\nlayers:\n"
                                        "  - {type: elman, size: 1, W: 1, U: 0.5, b: 0}\n")
    for args in (["page", "long.yaml", "-o", "p.html"], ["run", "long.yaml", "--export", "p.html"]):
        done = cli(*args, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "MB; the limit is 100 MB" in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "p.html").exists()
    # one step short of the bound is a page
    assert steps - 1 <= MAX_PAGE_BYTES // (5 * PAGE_BYTES_PER_NUMBER)
    # --explain: the first step's arithmetic times the steps
    done = cli("run", "long.yaml", "--explain", "--steps", "1:2", cwd=tmp_path)
    assert done.returncode == 0 and "z = " in done.stdout, done.stderr
    np.save(tmp_path / "mid.npy", np.ones((1_000_000, 1)))   # about 70 bytes a step
    (tmp_path / "mid.yaml").write_text((tmp_path / "long.yaml").read_text().replace("long.npy", "mid.npy"))
    done = cli("run", "mid.yaml", "--explain", "--format", "markdown", cwd=tmp_path)
    assert done.returncode == 2 and f"the limit is {MAX_EXPLAIN_BYTES // 1_000_000} MB" in done.stderr, done.stderr
    assert done.stdout == ""
