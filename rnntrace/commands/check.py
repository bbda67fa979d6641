"""`rnntrace check`: hand-computed answers against the exact run (rnntrace/grading/)."""
from __future__ import annotations

import click

from ..cli import Command
from ..errors import RnntraceError
from .common import (Choice, load, allow_file_option, write, watch_finite, write_rich, NOT_NEGATIVE, precision_option,
                     complete_files, complete_spec)


@click.command(cls=Command)
@click.argument("spec", shell_complete=complete_spec)
@click.argument("answer_files", metavar="ANSWERS...", nargs=-1, required=True, shell_complete=complete_files)
@click.option("--key", "key_path", metavar="KEY.yaml", default=None, shell_complete=complete_files,
              help="Grade against this answer key (what `rnntrace answers` writes): its questions are "
                   "the ones scored (each worth its 'points:', default 1), an unanswered one is wrong, "
                   "other answers are listed as not graded, and its tolerance is used.")
@click.option("--tolerance", type=NOT_NEGATIVE, default=None,
              help="Right means |yours − exact| ≤ TOLERANCE·max(1, |exact|). "
                   "Wins over the key's and a file's own 'tolerance'.  [default: 0.01]")
@click.option("--trust-file-tolerance", is_flag=True,
              help="With several files, use each file's own 'tolerance' (otherwise only one file "
                   "checked on its own, without --key, may set it).")
@click.option("--follow-through", "follow", is_flag=True,
              help="Also count an answer right when it follows from your own earlier answers "
                   "(memory from step t−1, a gate from your z, the cell from your gates, …).")
@click.option("--explain", is_flag=True,
              help="Under each answer that is not right, the exact arithmetic of that quantity at "
                   "that step, as `run --explain` writes it.")
@click.option("--format", "fmt", type=Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table for people; json (rnntrace.check/1) for an autograder; "
                                      "csv (one row per file) for a gradebook.")
@precision_option("Decimals shown in the table (display only; a wrong answer gets as many as it "
                  "takes to differ from the exact value).")
@allow_file_option
@click.pass_context
def check(ctx, spec, answer_files, key_path, tolerance, trust_file_tolerance, follow, explain, fmt, precision):
    """Check hand-computed ANSWERS against the exact run of SPEC.

    An answers file gives, per time step, quantities of the trace and your values:

    \b
      tolerance: 0.01        # optional
      steps:
        1: {lstm.c: 3, y: 0}
        4: {y: 7, c: 7}
        5:
          lstm.h[1]: 0       # one unit of a list, counted from 1

    With one file, each answer gets a row; with several (a whole class) each file gets
    a row with its score and first answer that is not right, and a file that cannot be
    read is reported in its row (scoring 0) without stopping the others. Any name the
    views print is an answer name (lstm.c, c, cell, z_f, σ(z_f), f, forget gate, y).
    Exit code 0 when every answer is right, 1 when one is not (or a file of a class could
    not be read), 2 when grading could not happen (a bad spec, key or option).

    \b
    Examples:
      rnntrace check lstm_example.yaml my_answers.yaml
      rnntrace check lstm_example.yaml my_answers.yaml --explain --follow-through
      rnntrace answers homework.yaml --ask c,y > key.yaml
      rnntrace check homework.yaml --key key.yaml answers/*.yaml \\
          --format csv > grades.csv
    """
    if [spec, key_path, *answer_files].count("-") > 1:   # a second read would find it empty
        raise RnntraceError("only one of SPEC, --key and ANSWERS can be read from standard input (-)")
    if explain and fmt == "csv":
        raise RnntraceError("--explain writes hints in the table and in --format json, not in --format csv")
    if explain and fmt == "table" and len(answer_files) > 1:
        raise RnntraceError("--explain writes the hints of one file; with several, use --format json "
                            "(each answer that is not right gets its hint)")
    spec_obj = load(spec)
    from ..grading.answers import Policy, Reference, check_file, check_files, exit_code, load_key
    from ..render import check as show
    from ..limits import check_held
    check_held(spec_obj, len(spec_obj.inputs), "A shorter sequence keeps it within the limit.")
    trace = watch_finite().run(spec_obj)   # says where it overflowed
    reference = Reference.from_trace(trace, spec)
    key = load_key(key_path, reference) if key_path is not None else None
    one = len(answer_files) == 1
    follower = None
    if follow:
        from ..grading.followthrough import FollowThrough
        follower = FollowThrough(spec_obj, reference)
    policy = Policy(tolerance, key, trust_file_tolerance=(one and key is None) or trust_file_tolerance,
                    follow=follower)
    if one:
        results = [check_file(answer_files[0], reference, policy=policy)]   # unreadable: the usual exit 2
    else:
        results = check_files(answer_files, reference, policy=policy)
    hints = None
    if explain:
        from ..render.explain import quantity_text

        def hints(v):
            return quantity_text(spec_obj, trace, v.t, v.quantity, precision) if v.t is not None else None
    if fmt == "json":
        write(show.check_json(show.report_to_dict(results, spec, key=key_path, hints=hints)))
    elif fmt == "csv":
        write(show.check_csv(results))
    else:
        parts = show.answers_table(results[0], precision, hints) if one else \
            show.class_table(results, show.summary(results), precision)
        write_rich(parts)
    if not one and key is None:   # nothing decides what was asked: a skipped question costs nothing
        click.echo(f"Warning: without --key only the answers each file gives are graded, so a file that "
                   f"skips a question loses nothing; make a key with: rnntrace answers {spec} --ask NAMES "
                   f"> key.yaml, then add --key key.yaml", err=True)
    if not one and not trust_file_tolerance and key is None and tolerance is None:
        own = sum(r.own_tolerance is not None for r in results)
        if own:
            click.echo(f"Note: {own} file{'s set their' if own != 1 else ' sets its'} own tolerance, not used "
                       "(--trust-file-tolerance to use it; --tolerance to choose one)", err=True)
    code = exit_code(results)
    bad = sum(not r.readable for r in results)
    if bad:
        click.echo(f"Note: {bad} of {len(results)} answer files could not be read, each scoring 0 "
                   "(see their rows)", err=True)
    ctx.exit(code)
