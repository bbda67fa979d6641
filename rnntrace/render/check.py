"""How the verdicts of ``rnntrace check`` are shown: a rich table per answers file,
one row per student for a class, JSON (``rnntrace.check/1``) and CSV for gradebooks.

The verdicts come from :mod:`rnntrace.grading.answers`; nothing is judged here, only
shaped: the rich tables, the JSON object (``rnntrace.check/1``, docs/check.md) and CSV.
"""
from __future__ import annotations

import csv
import io
import math
import os
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .json import dumps
from .numbers import DEFAULT_PRECISION, apart, general, percent, plain_list, rough

RIGHT, WRONG = "right", "WRONG"


def not_graded_text(result, limit: Optional[int] = 3) -> str:
    """``2 answers not graded: step 2 'outpt' unknown, step 3 lstm.c not asked``:
    what a file gave that its score does not count (empty when nothing)."""
    rows = result.not_graded
    if not rows:
        return ""
    shown = rows if limit is None else rows[:limit]
    parts = [(f"step {t} " if t is not None else "") + (f"'{q}'" if why == "unknown" else q) + f" {why}"
             for t, q, why in shown]
    more = f" and {len(rows) - len(shown)} more" if len(rows) > len(shown) else ""
    n = len(rows)
    return f"{n} answer{'s' if n != 1 else ''} not graded: {', '.join(parts)}{more}"


def verdict_word(v) -> str:
    """``right``, ``WRONG``, ``WRONG: unit 2``, ``right (follows from your lstm.c at step 2)``."""
    if v.status == "error":
        return "error" if v.graded else "error, not graded"
    if v.status == "unanswered":
        return "unanswered"
    if v.right:
        return f"{RIGHT} (follows)" if v.follows else RIGHT
    if v.wrong_units:
        word = "unit" if len(v.wrong_units) == 1 else "units"
        return f"{WRONG}: {word} {', '.join(v.wrong_units)}"
    return WRONG


def verdict_line(v, precision: int = DEFAULT_PRECISION) -> str:
    """``step 4 lstm.c: 8, exact 6.9995``: an answer that is not right, in one phrase."""
    step = f"step {v.t} " if v.t is not None else ""
    if v.status == "unanswered":
        return f"{step}{v.quantity}: unanswered"
    if v.status == "error":
        return f"{step}{v.quantity}: error: {_short_error(v.error)}"
    yours, exact = apart(v.yours, v.exact, precision)
    units = f" (unit {', '.join(v.wrong_units)})" if v.wrong_units else ""
    return f"{step}{v.quantity}: {yours}, exact {exact}{units}"


def _short_error(error: Optional[str]) -> str:
    """An answer's error without the file name its row already shows."""
    if not error:
        return ""
    head, sep, rest = error.partition(": ")
    return rest if sep and ":" in head else error


def file_summary(result) -> str:
    if not result.readable:
        return f"{result.source}: could not be read: {result.error}"
    word = "answer" if result.total == 1 else "answers"
    return f"{result.source}: {result.right} of {result.total} {word} right ({percent(result.score)})"


_FROM = {"option": "--tolerance", "key": "the key's tolerance", "file": "the file's own tolerance",
         "default": "the default"}


def rule(result) -> str:
    """What "right" means, a line of its own so that the formula is never split."""
    return (f"right means |yours − exact| ≤ {general(result.tolerance)}·max(1, |exact|) "
            f"({_FROM[result.tolerance_from]})")


class _AnswerRows:
    """One file's answers: a table when its columns fit the width, else (a narrow
    terminal) two lines per answer, so that no number is ever cut."""

    HEADERS = (("step", "right"), ("quantity", "left"), ("yours", "right"), ("exact", "right"),
               ("difference", "right"), ("verdict", "left"))

    def __init__(self, title: str, rows):
        self.title, self.rows = title, rows

    def __rich_console__(self, console, options):
        from rich.text import Text

        from . import tables
        widths = [max([len(h)] + [len(str(r[i])) for r in self.rows]) for i, (h, _) in enumerate(self.HEADERS)]
        # Numbers are never wrapped; the quantity and the verdict may wrap down to 16.
        soft = (1, 5)
        needed = sum(min(w, 16) if i in soft else w for i, w in enumerate(widths))
        if needed + 19 <= options.max_width:      # 7 rules and 12 spaces of padding
            # The quantity keeps its whole name if it can; the verdict wraps first.
            room = options.max_width - 19 - sum(w for i, w in enumerate(widths) if i not in soft)
            widths[1] = min(widths[1], room - min(widths[5], 16))
            widths[5] = min(widths[5], room - widths[1])
            columns = [(tables.number_column if justify == "right" else tables.text_column)(
                name, overflow="fold", no_wrap=i not in soft, width=widths[i])
                for i, (name, justify) in enumerate(self.HEADERS)]
            table = tables.table(Text(self.title), *columns)
            for row in self.rows:
                table.add_row(*row)
            yield table
            return
        yield Text(self.title, overflow="fold")
        for step, quantity, yours, exact, gap, verdict in self.rows:
            yield Text(f"step {step} {quantity}" if step else quantity, overflow="fold")
            line = Text(f"  yours {yours}, exact {exact}, difference {gap}: ", overflow="fold")
            line.append_text(verdict)
            yield line


def answers_table(result, precision: int = DEFAULT_PRECISION, hints: Optional[Callable] = None) -> List:
    """One file: a row per answer, then the summary line (rich renderables). With
    ``hints`` (verdict → text), the arithmetic of each answer that is not right follows."""
    from rich.text import Text
    errors = []
    rows = []
    for v in result.verdicts:
        if v.right:
            yours, exact = plain_list(v.yours, precision), plain_list(v.exact, precision)
            style = "green"
        else:
            yours, exact = apart(v.yours, v.exact, precision)
            style = "bold red" if v.status == "wrong" else "yellow"
        if v.status == "error":
            errors.append(v.error)
        rows.append(("" if v.t is None else str(v.t), v.quantity, yours if v.yours else "—",
                     exact if v.exact else "—", rough(v.difference), Text(verdict_word(v), style=style)))
    table = _AnswerRows(result.source, rows)
    style = "green" if result.status == "right" else "bold red"
    parts = [table]
    for error in dict.fromkeys(errors):      # a pasted step's copies share one message
        parts.append(Text(f"error: {error}", style="yellow"))
    for v in result.verdicts:
        if v.follows:
            parts.append(Text(f"step {v.t} {v.quantity}: right (follows from {v.follows}, "
                              f"recomputed: {plain_list(v.recomputed or (), precision)})", style="green"))
    if result.not_graded:
        parts.append(Text(not_graded_text(result, 6), style="yellow"))
    parts.append(Text(file_summary(result), style=style))
    parts.append(Text(rule(result), style="dim"))
    if result.own_tolerance is not None and result.tolerance_from != "file":
        parts.append(Text(f"the file's own tolerance {general(result.own_tolerance)} is not used",
                          style="dim"))
    if hints is not None:
        parts += hint_blocks(result, hints)
    return parts


def hint_blocks(result, hints: Callable) -> List:
    """Under each answer that is not right, the exact arithmetic, as ``run --explain``
    writes it for that quantity at that step."""
    from rich.text import Text
    parts = []
    for v in result.verdicts:
        if v.right or v.status == "error":
            continue
        text = hints(v)
        if not text:
            continue
        parts.append(Text(f"\nstep {v.t} {v.quantity}: yours {apart(v.yours, v.exact, DEFAULT_PRECISION)[0]}"
                          if v.yours else f"\nstep {v.t} {v.quantity}: unanswered", style="bold"))
        parts.append(Text("\n".join("  " + line for line in text.splitlines()), overflow="fold"))
    if parts:
        parts.insert(0, Text("\nHow the exact values are computed (as run --explain writes them):"))
    return parts


def short_names(sources: Sequence[str]) -> Tuple[str, List[str]]:
    """The common folder of the files and each one's path within it, so that a class
    table shows the part of a name that tells the files apart."""
    if len(sources) < 2:
        return "", list(sources)
    folders = [s.rpartition("/")[0] for s in sources]
    common = os.path.commonpath(folders) if all(folders) and \
        len({f.startswith("/") for f in folders}) == 1 else ""
    if not common or common == "/":
        return "", list(sources)
    cut = len(common) + 1
    return common + "/", [s[cut:] for s in sources]


class _ClassRows:
    """The class's rows, laid out for the width they are drawn at: a table where the
    names fit beside the verdicts, else (a narrow terminal) a block per file. Either
    way a name is never cut: it wraps."""

    def __init__(self, title: str, rows):
        self.title, self.rows = title, rows

    def __rich_console__(self, console, options):
        from rich.text import Text

        from . import tables
        longest = max((len(r[0]) for r in self.rows), default=4)
        tol_width = max((len(r[2]) for r in self.rows), default=4)
        # 4 columns: 5 rules and 8 spaces of padding; the score ("12/14 86%") and the
        # tolerance take what they need, the verdict at least 20, the file name the rest.
        score_width = max(5, max((len(r[1]) for r in self.rows), default=5))
        room = options.max_width - 13 - score_width - max(4, tol_width) - 20
        if room >= min(longest, 16):
            # Widths given outright: rich's own sharing-out overshoots with min widths.
            file_width = min(longest, room)
            note_width = options.max_width - 13 - score_width - max(4, tol_width) - file_width
            table = tables.table(Text(self.title),
                                 tables.text_column("file", overflow="fold", width=file_width),
                                 tables.number_column("score", no_wrap=True, width=score_width),
                                 tables.number_column("tol.", no_wrap=True, width=max(4, tol_width)),
                                 tables.text_column("first answer not right", width=note_width, overflow="fold"))
            for name, score, tol, note in self.rows:
                table.add_row(Text(name), score, tol, note)
            yield table
            return
        yield Text(self.title)
        for name, score, tol, note in self.rows:
            yield Text(name, overflow="fold")
            yield Text(f"  {score}  tolerance {tol}", overflow="fold")
            line = Text("  ")
            line.append_text(note)
            yield line


def class_table(results, summary, precision: int = DEFAULT_PRECISION) -> List:
    """Several files: a row per student (file), then a line for the class. A file's
    name is never cut: the folder they share is said once in the title and the rest
    wraps within its column."""
    from rich.text import Text
    folder, names = short_names([r.source for r in results])
    title = f"{summary['files']} answer files" + (f" in {folder}" if folder else "")
    rows = []
    for r, name in zip(results, names):
        tol = general(r.tolerance) + ("*" if r.tolerance_from == "file" else "")
        if not r.readable:
            why = r.error
            if why.startswith(r.source + ":"):      # the row names the file: say where in it
                why = why[len(r.source) + 1:].lstrip()
                why = f"at {why}" if why[:1].isdigit() else why
            rows.append((name, "— 0%", tol, Text(f"unreadable: {why}", style="yellow")))
            continue
        first = r.first_wrong
        note = Text(verdict_line(first, precision), style="red") if first else Text("all right", style="green")
        if r.not_graded:    # a file whose answers were not all counted says so in its row
            note.append_text(Text(f"; {not_graded_text(r, 2)}", style="yellow"))
        rows.append((name, f"{_points(r)} {percent(r.score)}", tol, note))
    parts = [_ClassRows(title, rows), Text(class_summary(summary))]
    if any(r.tolerance_from == "file" for r in results):
        parts.append(Text("* the file's own tolerance (--trust-file-tolerance)", style="dim"))
    return parts


def class_summary(summary) -> str:
    text = (f"{summary['files']} files: {summary['all_right']} all right, {summary['with_wrong']} with "
            f"wrong answers, {summary['unreadable']} unreadable")
    if summary["mean_score"] is not None:
        text += f"; mean score {percent(summary['mean_score'])}"
        if summary["unreadable"]:
            text += f" counting {summary['unreadable']} unreadable as 0"
    if summary.get("not_graded"):
        n = summary["not_graded"]
        text += f"; {n} answer{'s' if n != 1 else ''} not graded (unknown names, or not asked by the key)"
    return text


def check_json(report: dict, indent: Optional[int] = None) -> str:
    return dumps(report, indent)


#: The gradebook's columns, in this order (docs/check.md, "--format csv"): a new column
#: may be added at the end, none is renamed, moved or removed.
CSV_COLUMNS = ("file", "status", "right", "total", "score", "tolerance", "tolerance_from", "first_wrong_step",
               "first_wrong_quantity", "first_wrong_yours", "first_wrong_exact", "ignored", "error",
               "points", "max_points", "percent", "not_graded")


def _number(value: float) -> str:
    """A number for a spreadsheet: whole numbers plainly (2, not 2.0), never -0.0."""
    value = float(value) + 0.0                 # -0.0 + 0.0 is 0.0
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _csv_values(values) -> str:
    return " ".join("" if v is None else (v if isinstance(v, str) else repr(float(v) + 0.0)) for v in values)


def _points(result) -> str:
    """``5/6``, or ``7.5/10`` points when a key gives them."""
    if result.points == result.right and result.max_points == result.total:
        return f"{result.right}/{result.total}"
    return f"{_number(result.points)}/{_number(result.max_points)}"


def check_csv(results: Iterable) -> str:
    """One row per answers file, for a gradebook; exact values, not rounded ones. A file
    that cannot be read scores 0 with status error."""
    out = io.StringIO()
    from ..safetext import csv_cell   # file names and messages: text a spreadsheet must not run
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        first = r.first_wrong
        writer.writerow([csv_cell(r.source), r.status, r.right if r.readable else "", r.total if r.readable else "",
                         repr(round(r.score, 4) + 0.0) if r.readable else "0",
                         repr(r.tolerance + 0.0) if math.isfinite(r.tolerance) else "", r.tolerance_from,
                         first.t if first and first.t is not None else "", csv_cell(first.quantity) if first else "",
                         _csv_values(first.yours) if first else "", _csv_values(first.exact) if first else "",
                         len(r.ignored), csv_cell(r.error or ""),
                         _number(r.points), _number(r.max_points) if r.readable else "",
                         f"{100 * r.score:.1f}", csv_cell(not_graded_text(r, None))])
    return out.getvalue()


# --------------------------------------------------------------------------- JSON: rnntrace.check/1

def _json_number(value):
    return value if not isinstance(value, float) or math.isfinite(value) else None


def verdict_to_dict(v: Verdict, hint: Optional[str] = None) -> Dict[str, Any]:
    data = {"t": v.t, "quantity": v.quantity, "status": v.status, "yours": list(v.yours),
            "exact": list(v.exact), "difference": v.difference, "allowed": v.allowed, "right": v.right,
            "wrong_units": list(v.wrong_units), "follows": v.follows,
            "recomputed": None if v.recomputed is None else list(v.recomputed), "error": v.error,
            "graded": v.graded}
    if hint is not None:
        data["hint"] = hint
    return data


def result_to_dict(r: FileResult, hints: Optional[Callable] = None) -> Dict[str, Any]:
    first = r.first_wrong

    def verdict(v):
        return verdict_to_dict(v, hints(v) if hints is not None and not v.right else None)

    return {"file": r.source, "status": r.status, "error": r.error,
            "tolerance": _json_number(r.tolerance), "tolerance_from": r.tolerance_from,
            "right": r.right, "total": r.total, "points": r.points, "max_points": r.max_points, "score": r.score,
            "first_wrong": None if first is None else verdict(first),
            "answers": [verdict(v) for v in r.verdicts],
            "ignored": [{"t": t, "quantity": q} for t, q in r.ignored],
            "not_graded": [{"t": t, "quantity": q, "why": why} for t, q, why in r.not_graded]}


def summary(results: Sequence[FileResult]) -> Dict[str, Any]:
    """The class: its mean counts a file that cannot be read as 0, as a gradebook does."""
    readable = [r for r in results if r.readable]
    return {"files": len(results), "all_right": sum(r.status == "right" for r in results),
            "with_wrong": sum(r.status == "wrong" for r in results),
            "unreadable": len(results) - len(readable),
            "answers": sum(r.total for r in readable), "right": sum(r.right for r in readable),
            "ignored": sum(len(r.ignored) for r in readable),
            "not_graded": sum(len(r.not_graded) for r in readable),
            "mean_score": sum(r.score for r in results) / len(results) if results else None}


def report_to_dict(results: Sequence[FileResult], spec_source: str, *, key: Optional[str] = None,
                   hints: Optional[Callable] = None) -> Dict[str, Any]:
    """The ``rnntrace.check/1`` object that ``check --format json`` prints."""
    from ..grading.answers import FORMAT
    return {"format": FORMAT, "spec": spec_source, "key": key,
            "files": [result_to_dict(r, hints) for r in results], "summary": summary(results)}
