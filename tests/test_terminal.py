"""render/terminal.py: whatever a view puts inside a panel or a table (however deeply
nested), the drawing shows a control character as its escape, never raw; only rich's
own styles are escape sequences."""
import io

import pytest
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from conftest import EXAMPLES
from rnntrace.render.terminal import draw


def test_text_nested_in_panels_and_tables_is_drawn_visible():
    table = Table(title="t\x1b[2J")
    table.add_column("name\x1b[4m")
    table.add_row(Text("\x1b]0;owned cell"))
    inner = Panel(table, title="inner\x1b[31m")
    text, _ = draw([Panel(inner, title="outer"), "top\x1b[1m level\u202e"], width=60)
    assert "\x1b" not in text and "\u202e" not in text      # drawn to a pipe: no styles at all
    for shown in ("\\x1b]0;owned", "\\x1b[31m", "\\x1b[2J", "\\x1b[4m", "\\x1b[1m", "\\u202e"):
        assert shown in text, (shown, text)


def test_each_segment_is_looked_at_once_however_deep(monkeypatch):
    import rnntrace.safetext
    seen = []
    real = rnntrace.safetext.visible
    monkeypatch.setattr(rnntrace.safetext, "visible", lambda text, lines=False: seen.append(text) or real(text, lines))
    word = Text("deep")
    draw([Panel(Panel(Panel(word)))], width=30)
    assert seen.count("deep") == 1


# Text the views lay out themselves is drawn without rich's wrapping when every line
# fits (render/terminal._laid_out). The drawing must be exactly rich's: compared here,
# byte for byte with colour on (every style is an escape sequence in the text) and as
# the HTML export records it, over
# every bundled example at four widths in three views, and over text that is wide,
# zero-width, combining, tabbed or holds control characters.

ODD_SPEC = """\
title: "日本語の題 \\x1b[31m red \\u200b zero-width\\ttab"
lexicon: [東京, "naïve", "e\\u0301", "ｗｉｄｅ", word]
inputs: [東京, "naïve", "e\\u0301", "ｗｉｄｅ", word]
layers:
  - {name: "層", type: elman, size: 2,
     W: [[0.5, -1, 2, 0, 1], [1, 1, -1, 0.25, 3]], U: [[0.5, 0], [0, 0.5]], b: [0, 1]}
  - {name: out, type: dense, size: 2, activation: softmax, labels: [はい, "no"],
     W: [[1, -1], [-1, 1]], b: [0, 0]}
"""


def _drawings(trace):
    import io
    from rnntrace.render.terminal import _TextConsole
    from rnntrace.render.view import View, terminal_view
    out = []
    for width in (40, 57, 80, 121):
        for view in (View(), View(explain=True), View(chart_only=True)):
            console = _TextConsole(file=io.StringIO(), width=width, color_system="truecolor", force_terminal=True,
                                   record=True, highlight=False, soft_wrap=False, emoji=False, markup=False)
            for part in terminal_view(trace, view):
                console.print(part)
            out.append((console.file.getvalue(), console.export_html(clear=False, inline_styles=True)))
    return out


def _both_ways(monkeypatch, trace):
    """The drawings of ``trace`` with laid-out text drawn as it is, and all of it wrapped
    by rich; and whether texts were taken each way."""
    from rnntrace.render import terminal
    taken = []
    real = terminal._laid_out
    monkeypatch.setattr(terminal, "_laid_out", lambda text, options: taken.append(real(text, options)) or taken[-1])
    fast = _drawings(trace)
    monkeypatch.setattr(terminal, "_laid_out", lambda text, options: False)
    return fast, _drawings(trace), set(taken)


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_laid_out_text_draws_exactly_as_rich_wraps_it(monkeypatch, name):
    from rnntrace import engine
    from rnntrace.spec import load_spec
    fast, wrapped, taken = _both_ways(monkeypatch, engine.run(load_spec(EXAMPLES / name)))
    assert True in taken
    assert fast == wrapped


def test_laid_out_text_with_wide_zero_width_and_control_characters_draws_as_rich_wraps_it(monkeypatch):
    from rnntrace import engine
    from rnntrace.spec import spec_from_text
    fast, wrapped, taken = _both_ways(monkeypatch, engine.run(spec_from_text(ODD_SPEC)))
    assert taken == {True, False}
    assert fast == wrapped


class _AsciiFile(io.StringIO):
    encoding = "ascii"   # a terminal without UTF-8: rich draws its boxes in ASCII


def _frames_both_ways(trace, widths=(12, 40, 57, 80, 121)):
    """Each step panel of ``trace`` (in the plain and the --explain view) drawn as a Frame
    and as the rich Panel it stands for, with colour, and exported as HTML and SVG; and
    without UTF-8, at 80 columns."""
    import io
    from rnntrace.render.panels import Frame
    from rnntrace.render.terminal import _TextConsole
    from rnntrace.render.view import View, terminal_view
    steps = list(range(1, min(len(trace), 3) + 1))   # the first three steps
    frames = [part for view in (View(steps=steps), View(steps=steps, explain=True))
              for part in terminal_view(trace, view) if isinstance(part, Frame)]
    assert frames
    out = []
    for width, file in [(width, io.StringIO) for width in widths] + [(80, _AsciiFile)]:
        for drawn in (lambda frame: frame, lambda frame: frame.panel()):
            console = _TextConsole(file=file(), width=width, color_system="truecolor", force_terminal=True,
                                   record=True, highlight=False, soft_wrap=False, emoji=False, markup=False)
            for frame in frames:
                console.print(drawn(frame))
            # the SVG has an element per segment (and an id made from them all): the
            # segments themselves must be the Panel's, not only the text they make
            out.append((console.file.getvalue(), console.export_html(clear=False, inline_styles=True),
                        console.export_svg(clear=False)))
    return out[0::2], out[1::2]


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_a_step_frame_draws_exactly_as_the_rich_panel_it_stands_for(name):
    from rnntrace import engine
    from rnntrace.spec import load_spec
    frames, panels = _frames_both_ways(engine.run(load_spec(EXAMPLES / name)))
    assert frames == panels


def test_a_step_frame_of_wide_and_odd_text_draws_as_the_rich_panel():
    from rnntrace import engine
    from rnntrace.spec import spec_from_text
    frames, panels = _frames_both_ways(engine.run(spec_from_text(ODD_SPEC)))
    assert frames == panels
    assert "+--" in frames[-1][0] and "╭" in frames[0][0]   # the ASCII box was drawn too


def _text_cases():
    plain = Text("a\tb")                       # a tab: rich's own way
    pieces = Text("t = ")
    pieces.append("1", style="bold")
    pieces.append(" → ")
    pieces.append("0.5", style="dim")
    pieces.append("\nnext line", style="bold green")
    pieces.append(" ")
    pieces.append("", style="red")            # an empty span
    overlapping = Text("overlapping styles")
    overlapping.stylize("bold", 0, 11)
    overlapping.stylize("italic", 5, 18)
    backwards = Text("spans out of order")
    backwards.stylize("red", 10, 18)
    backwards.stylize("blue", 0, 5)
    own = Text("a style of its own\nand a span", style="underline")
    own.stylize("bold", 2, 7)
    none = Text("none ", end="")
    none.append("style", style="none")
    return [Text(""), Text("plain"), plain, pieces, overlapping, backwards, own, none,
            Text("trailing spaces   ", style="on blue")]


@pytest.mark.parametrize("case", range(len(_text_cases())))
def test_a_text_drawn_without_wrapping_gives_rich_s_own_segments(monkeypatch, case):
    from rnntrace.render import terminal
    text = _text_cases()[case]

    def drawn():
        console = terminal._TextConsole(file=io.StringIO(), width=40, color_system="truecolor", force_terminal=True,
                                        record=True, highlight=False, soft_wrap=False, emoji=False, markup=False)
        console.print(text)
        return (console.file.getvalue(), console.export_html(clear=False, inline_styles=True),
                console.export_svg(clear=False, unique_id="x"))

    fast = drawn()
    monkeypatch.setattr(terminal, "_laid_out", lambda text, options: False)
    assert fast == drawn()


def test_laid_out_text_whose_spans_rich_drops_at_line_breaks_draws_as_rich_wraps_it(monkeypatch):
    # rich splits a text of several lines at its line breaks, and a span that covers
    # nothing or only line breaks is gone from every line: its styles, and the segments
    # an SVG export draws one by one, are the plain text's
    from rich.text import Span
    from rnntrace.render import terminal
    texts = [Text("ab\ncd\n\n", spans=[Span(5, 6, "underline")]),
             Text("x\n\ny", style="bold on blue", spans=[Span(3, 3, "reverse")]),
             Text("ab\ncd", spans=[Span(1, 1, "bold"), Span(2, 3, "on red")]),
             Text("ab\ncd", spans=[Span(1, 4, "underline")]), Text("one line", spans=[Span(2, 2, "bold")])]

    def drawn():
        console = terminal._TextConsole(file=io.StringIO(), width=20, color_system="truecolor", force_terminal=True,
                                        record=True, highlight=False, soft_wrap=False, emoji=False, markup=False)
        for text in texts:
            console.print(text)
            console.print(Panel(text))
        return console.file.getvalue(), console.export_svg(clear=False)

    taken = []
    real = terminal._laid_out
    monkeypatch.setattr(terminal, "_laid_out", lambda text, options: taken.append(real(text, options)) or taken[-1])
    fast = drawn()
    monkeypatch.setattr(terminal, "_laid_out", lambda text, options: False)
    assert True in taken and fast == drawn()
