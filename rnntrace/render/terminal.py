"""Drawing renderables into text for the terminal, and the same drawing as SVG or HTML.

The text is drawn whole before anything is written, so an error never leaves half an
output. Colour and width follow the real standard output (rich's detection: colour
only on a terminal, ``NO_COLOR`` honoured, the terminal's width, 80 when piped); the
recording behind ``--export`` is of exactly this drawing.
"""
from __future__ import annotations

import io
from typing import Iterable, Optional, Tuple

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text


class _TextConsole(Console):
    """A console that draws every character of text as text: a control character or
    escape sequence inside a title, word, label, layer name or file name is written in
    its visible form (safetext.visible: ``\\x1b``), in the terminal and in an export,
    whichever view put it there. Only the styles rich adds itself reach the terminal."""

    _drawing = False   # inside the outermost render: the segments it yields are made visible there

    def render(self, renderable, options=None):
        # rich renders nested renderables (a panel's table, a table's cells) through this
        # same method: only the outermost call looks at each segment, once.
        if type(renderable) is Text and _laid_out(renderable, options or self.options):
            segments = _unwrapped(renderable, self)
        else:
            segments = super().render(renderable, options)
        return segments if self._drawing else self._visible(segments)

    def _visible(self, segments):
        from ..safetext import visible
        self._drawing = True
        try:
            for segment in segments:
                if segment.control is None and segment.text:
                    shown = visible(segment.text, lines=True)   # the same object when all is text
                    if shown is not segment.text:
                        segment = Segment(shown, segment.style)
                yield segment
        finally:
            self._drawing = False


def _laid_out(text: Text, options) -> bool:
    """Whether rich's wrapping would leave ``text`` as it is: every line fits the width
    (in characters and in terminal cells), no tab, no justification, and, in a text of
    several lines, no span that splitting it at its line breaks would drop (one that
    covers nothing or only line breaks). The views lay out their own text (a layer's
    rows, the outputs over time, the chart), and wrapping it line by line was about 40% of
    drawing a run's panels."""
    width, plain = options.max_width, text.plain
    if width < 1 or "\t" in plain or (text.justify or options.justify or "default") != "default":
        return False
    lines = plain.split("\n")
    if len(lines) > 1 and any(not plain[span.start:span.end].strip("\n") for span in text.spans):
        return False
    return all(len(line) <= width and cell_len(line) <= width for line in lines)


def _unwrapped(text: Text, console: Console):
    """The segments ``Text.__rich_console__`` yields for a text that wrapping leaves as
    it is: the text rendered with its own style under its spans (rich's ``Text.render``
    leaves a text's own style to wrapping, which turns it into a span on each line)."""
    spans = text.spans
    if not text.style and all(a.end <= b.start for a, b in zip(spans, spans[1:])):
        return _in_order(text, console)
    if text.style:
        text = Text(text.plain, spans=[Span(0, len(text), text.style), *spans], end=text.end)
    return text.render(console, text.end)


def _in_order(text: Text, console: Console):
    """``Text.render`` of a text without a style of its own whose spans follow one
    another, as a view's appends leave them: each span a segment in its style, the text
    between spans a segment in the null style, where ``Text.render`` sorts the spans'
    ends and combines the styles open at each."""
    plain, null, at = text.plain, Style.null(), 0
    if not text.spans:   # one segment, without a style (as Text.render)
        yield Segment(plain)
    for span in text.spans:
        if span.start > at:
            yield Segment(plain[at:span.start], null)
        if span.end > span.start:
            style = console.get_style(span.style, default=null)
            yield Segment(plain[span.start:span.end], style.copy() if style.link else style)
        at = max(at, span.end)
    if text.spans and len(plain) > at:
        yield Segment(plain[at:], null)
    if text.end:
        yield Segment(text.end)


def draw(parts: Iterable, width: Optional[int] = None, stream=None,
         highlight: bool = False) -> Tuple[str, Console]:
    """``(text, console)``: the parts drawn as the terminal would show them; the console
    has recorded them for :func:`export`."""
    probe = Console(file=stream) if stream is not None else Console()
    buffer = io.StringIO()
    # emoji=False: a title or word such as ":x:" is shown as written (and rich's emoji
    # table, a few ms of start-up, is never imported); markup=False: so is "[red]".
    # height: the real one, read once (without it, every look at the console's width
    # asks the operating system for the terminal's size, ~50 times a run)
    console = _TextConsole(file=buffer, record=True, width=width or probe.width, height=probe.height,
                           color_system=probe.color_system, force_terminal=probe.is_terminal,
                           no_color=probe.no_color, highlight=highlight, soft_wrap=False, emoji=False,
                           markup=False)
    for part in parts:
        console.print(part)
    return buffer.getvalue(), console


def export_text(console: Console, kind: str, title: str) -> str:
    """The recorded drawing as an SVG picture or an HTML page."""
    if kind == "svg":
        from ..safetext import visible
        return console.export_svg(title=visible(title), clear=False)
    return console.export_html(clear=False, inline_styles=True)
