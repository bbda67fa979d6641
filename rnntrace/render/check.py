"""How the verdicts of ``rnntrace check`` are shown: a rich table per answers file,
one row per student for a class, JSON (``rnntrace.check/1``) and CSV for gradebooks.

The verdicts come from :mod:`rnntrace.answers`; nothing is computed here.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, List, Optional

from .json import dumps
from .numbers import DEFAULT_PRECISION, percent, plain_list, rough

RIGHT, WRONG = "right", "WRONG"


def verdict_line(v, precision: int = DEFAULT_PRECISION) -> str:
    """``step 4 lstm.c: 8, exact 6.9995``: a wrong answer in one phrase."""
    return f"step {v.t} {v.quantity}: {plain_list(v.yours, precision)}, exact {plain_list(v.exact, precision)}"


def file_summary(result) -> str:
    if not result.readable:
        return f"{result.source}: could not be read: {result.error}"
    word = "answer" if result.total == 1 else "answers"
    return f"{result.source}: {result.right} of {result.total} {word} right ({percent(result.score)})"


def rule(result) -> str:
    """What "right" means, a line of its own so that the formula is never split."""
    return f"right means |yours − exact| ≤ {result.tolerance:g}·max(1, |exact|)"


def answers_table(result, precision: int = DEFAULT_PRECISION) -> List:
    """One file: a row per answer, then the summary line (rich renderables)."""
    from rich.text import Text

    from .tables import number_column, table as titled, text_column
    table = titled(result.source, number_column("step"), text_column("quantity"), number_column("yours"),
                   number_column("exact"), number_column("difference"), text_column("verdict"))
    for v in result.verdicts:
        table.add_row(str(v.t), v.quantity, plain_list(v.yours, precision), plain_list(v.exact, precision),
                      rough(v.difference), Text(RIGHT, style="green") if v.right else Text(WRONG, style="bold red"))
    style = "green" if result.status == "right" else "bold red"
    return [table, Text(file_summary(result), style=style), Text(rule(result), style="dim")]


def class_table(results, summary, precision: int = DEFAULT_PRECISION) -> List:
    """Several files: a row per student (file), then a line for the class."""
    from rich.text import Text

    from .tables import number_column, table as titled, text_column
    table = titled(f"{summary['files']} answer files", text_column("file"), number_column("score"),
                   number_column("right"), text_column("first wrong answer, or why the file could not be read"))
    for r in results:
        if not r.readable:
            why = r.error[len(r.source) + 1:].lstrip() if r.error.startswith(r.source + ":") else r.error
            table.add_row(r.source, "—", "—", Text(f"unreadable: {why}", style="yellow"))
            continue
        first = r.first_wrong
        note = Text(verdict_line(first, precision), style="red") if first else Text("all right", style="green")
        table.add_row(r.source, percent(r.score), f"{r.right}/{r.total}", note)
    return [table, Text(class_summary(summary))]


def class_summary(summary) -> str:
    text = (f"{summary['files']} files: {summary['all_right']} all right, {summary['with_wrong']} with "
            f"wrong answers, {summary['unreadable']} unreadable")
    if summary["mean_score"] is not None:
        text += f"; mean score {percent(summary['mean_score'])}"
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
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        first = r.first_wrong
        writer.writerow([r.source, r.status, r.right if r.readable else "", r.total if r.readable else "",
                         "" if r.score is None else repr(r.score),
                         first.t if first else "", first.quantity if first else "",
                         _csv_values(first.yours) if first else "", _csv_values(first.exact) if first else "",
                         r.error or ""])
    return out.getvalue()
