"""render/terminal.py: whatever a view puts inside a panel or a table (however deeply
nested), the drawing shows a control character as its escape, never raw; only rich's
own styles are escape sequences."""
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

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
