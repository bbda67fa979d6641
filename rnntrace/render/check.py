"""How the verdicts of ``rnntrace check`` are shown: a rich table per answers file,
one row per student for a class, JSON (``rnntrace.check/1``) and CSV for gradebooks.

The verdicts come from :mod:`rnntrace.answers`; nothing is computed here.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, List, Optional, Sequence

from .json import dumps
from .numbers import DEFAULT_PRECISION, plain

RIGHT, WRONG = "right", "WRONG"


def _values(values: Sequence[Optional[float]], precision: int) -> str:
    # plain, not fmt: an exact 0.000136 shows its digits, not "0.0001" beside a
    # difference of 0.00014
    text = [("overflow" if v is None else plain(v, precision)) for v in values]
    return text[0] if len(text) == 1 else "[" + ", ".join(text) + "]"


def _gap(value: Optional[float]) -> str:
    if value is None:
        return "—"
    return "0" if value == 0 else f"{value:.2g}"


def _percent(score: Optional[float]) -> str:
    return "—" if score is None else f"{100 * score:.0f}%"


def verdict_line(v, precision: int = DEFAULT_PRECISION) -> str:
    """``step 4 lstm.c: 8, exact 6.9995``: a wrong answer in one phrase."""
    return f"step {v.t} {v.quantity}: {_values(v.yours, precision)}, exact {_values(v.exact, precision)}"


def file_summary(result) -> str:
    if not result.readable:
        return f"{result.source}: could not be read: {result.error}"
    word = "answer" if result.total == 1 else "answers"
    return f"{result.source}: {result.right} of {result.total} {word} right ({_percent(result.score)})"


def rule(result) -> str:
    """What "right" means, a line of its own so that the formula is never split."""
    return f"right means |yours − exact| ≤ {result.tolerance:g}·max(1, |exact|)"


def answers_table(result, precision: int = DEFAULT_PRECISION) -> List:
    """One file: a row per answer, then the summary line (rich renderables)."""
    from rich.table import Table
    from rich.text import Text
    table = Table(title=result.source, title_justify="left")
    for name, justify in (("step", "right"), ("quantity", "left"), ("yours", "right"), ("exact", "right"),
                          ("difference", "right"), ("verdict", "left")):
        table.add_column(name, justify=justify)
    for v in result.verdicts:
        table.add_row(str(v.t), v.quantity, _values(v.yours, precision), _values(v.exact, precision),
                      _gap(v.difference), Text(RIGHT, style="green") if v.right else Text(WRONG, style="bold red"))
    style = "green" if result.status == "right" else "bold red"
    return [table, Text(file_summary(result), style=style), Text(rule(result), style="dim")]


def class_table(results, summary, precision: int = DEFAULT_PRECISION) -> List:
    """Several files: a row per student (file), then a line for the class."""
    from rich.table import Table
    from rich.text import Text
    table = Table(title=f"{summary['files']} answer files", title_justify="left")
    table.add_column("file")
    table.add_column("score", justify="right")
    table.add_column("right", justify="right")
    table.add_column("first wrong answer, or why the file could not be read")
    for r in results:
        if not r.readable:
            why = r.error[len(r.source) + 1:].lstrip() if r.error.startswith(r.source + ":") else r.error
            table.add_row(r.source, "—", "—", Text(f"unreadable: {why}", style="yellow"))
            continue
        first = r.first_wrong
        note = Text(verdict_line(first, precision), style="red") if first else Text("all right", style="green")
        table.add_row(r.source, _percent(r.score), f"{r.right}/{r.total}", note)
    return [table, Text(class_summary(summary))]


def class_summary(summary) -> str:
    text = (f"{summary['files']} files: {summary['all_right']} all right, {summary['with_wrong']} with "
            f"wrong answers, {summary['unreadable']} unreadable")
    if summary["mean_score"] is not None:
        text += f"; mean score {_percent(summary['mean_score'])}"
    return text


def check_json(report: dict, indent: Optional[int] = None) -> str:
    return dumps(report, indent)


CSV_COLUMNS = ("file", "status", "right", "total", "score", "first_wrong_step", "first_wrong_quantity",
               "first_wrong_yours", "first_wrong_exact", "error")


def _csv_values(values) -> str:
    return " ".join("" if v is None else repr(float(v)) for v in values)


def check_csv(results: Iterable) -> str:
    """One row per answers file, for a gradebook; exact values, not rounded ones."""
    out = io.StringIO()
    from ..safetext import csv_cell   # file names and messages: text a spreadsheet must not run
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        first = r.first_wrong
        writer.writerow([csv_cell(r.source), r.status, r.right if r.readable else "", r.total if r.readable else "",
                         "" if r.score is None else repr(r.score),
                         first.t if first else "", csv_cell(first.quantity) if first else "",
                         _csv_values(first.yours) if first else "", _csv_values(first.exact) if first else "",
                         csv_cell(r.error or "")])
    return out.getvalue()
