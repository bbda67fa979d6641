"""Reading a file someone else wrote (a student's answers, a class's specs): a regular
file, opened once, never through a symlink (docs/check.md, "Reading the files").

A submission that is a symlink could make the grader read the key or any file the
grader can read, and echo its text into a report; a FIFO blocks ``open()`` until a
writer comes, and a device may never end. So the file is opened with ``O_NOFOLLOW``
(a symlink in the last place of its name is refused: the message names the link and
nothing of its target) and ``O_NONBLOCK`` (opening a FIFO does not wait), then
``fstat`` on the open descriptor decides: only a regular file is read, at most
``yamlsource.MAX_BYTES`` of it.
"""
from __future__ import annotations

import os
import stat

from ..errors import MissingFileError, SpecError
from ..yamlsource import MAX_BYTES, read_limited, read_text


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_regular(path, label: str, what: str = "answers") -> str:
    """The text of the regular file ``path``; anything else is one error naming
    ``label`` (and never the text or the target of what is there)."""
    article = "an" if what[:1] in "aeiou" else "a"
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise MissingFileError(label) from None
    except IsADirectoryError:
        raise SpecError(f"expected {article} {what} file, found a directory", file=label) from None
    except PermissionError:
        raise SpecError("cannot read: permission denied", file=label) from None
    except OSError as exc:
        if os.path.islink(path):       # ELOOP (Linux) or EMLINK (some BSDs): O_NOFOLLOW met a link
            raise SpecError(f"is a symbolic link; {what} files are read only as regular files, "
                            "never through a link", file=label) from None
        try:                           # a socket cannot be opened (ENXIO): say what it is
            mode = os.lstat(path).st_mode
        except OSError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            raise SpecError(f"expected {article} {what} file, found {_kind(mode)}", file=label) from None
        raise SpecError(f"cannot read: {exc.strerror or type(exc).__name__}", file=label) from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise SpecError(f"expected {article} {what} file, found {_kind(mode)}", file=label)
    with os.fdopen(fd, "rb") as stream:
        return read_text(label, read_limited(stream, MAX_BYTES))


def read_named_regular(name, label: str, what: str = "answers") -> str:
    """``-`` is standard input (read once, bounded); any other name a regular file."""
    if str(name) == "-":
        from ..yamlsource import read_named
        return read_named(name, label, what)
    return read_regular(name, label, what)
