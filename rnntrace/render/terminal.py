"""Drawing renderables into text for the terminal, and the same drawing as SVG or HTML.

The text is drawn whole before anything is written, so an error never leaves half an
output. Colour and width follow the real standard output (rich's detection: colour
only on a terminal, ``NO_COLOR`` honoured, the terminal's width, 80 when piped); the
recording behind ``--export`` is of exactly this drawing.
"""
from __future__ import annotations

import io
from typing import Iterable, Optional, Tuple

from rich.console import Console


class _TextConsole(Console):
    """A console that draws every character of text as text: a control character or
    escape sequence inside a title, word, label, layer name or file name is written in
    its visible form (safetext.visible: ``\\x1b``), in the terminal and in an export,
    whichever view put it there. Only the styles rich adds itself reach the terminal."""

    _drawing = False   # inside the outermost render: the segments it yields are made visible there

    def render(self, renderable, options=None):
        # rich renders nested renderables (a panel's table, a table's cells) through this
        # same method: only the outermost call looks at each segment, once.
        if self._drawing:
            return super().render(renderable, options)
        return self._visible(super().render(renderable, options))

    def _visible(self, segments):
        from rich.segment import Segment
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


def draw(parts: Iterable, width: Optional[int] = None, stream=None,
         highlight: bool = False) -> Tuple[str, Console]:
    """``(text, console)``: the parts drawn as the terminal would show them; the console
    has recorded them for :func:`export`."""
    probe = Console(file=stream) if stream is not None else Console()
    buffer = io.StringIO()
    # emoji=False: a title or word such as ":x:" is shown as written (and rich's emoji
    # table, a few ms of start-up, is never imported); markup=False: so is "[red]".
    console = _TextConsole(file=buffer, record=True, width=width or probe.width,
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
