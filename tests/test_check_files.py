"""Answer files are regular files, read once (docs/check.md, "Reading the files"): a
symlink is refused and named, with nothing of its target shown; a FIFO, a device or a
socket is refused before anything is read (a FIFO never hangs the class); the text of
a file that is not an answers file is never quoted. `validate` reads specs the same way."""
import json
import os
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from rnntrace.cli import main

from conftest import EXAMPLES

LECTURE = str(EXAMPLES / "lstm_example.yaml")
SECRET = "admin:$6$SECRETSALT$hashhashhash:19000:0:99999:7:::"
GOOD = "steps:\n  1: {c: 3}\n  2: {c: 7}\n"


def cli(*args, **kwargs):
    result = CliRunner().invoke(main, [str(a) for a in args], **kwargs)
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def classroom(tmp_path):
    (tmp_path / "key.yaml").write_text(cli("answers", LECTURE, "--ask", "c").stdout, encoding="utf-8")
    (tmp_path / "shadow").write_text(SECRET + "\nother:$6$x$y:1:2:3\n", encoding="utf-8")
    (tmp_path / "good.yaml").write_text(GOOD, encoding="utf-8")
    os.symlink(tmp_path / "key.yaml", tmp_path / "to-key.yaml")
    os.symlink(tmp_path / "shadow", tmp_path / "to-shadow.yaml")
    return tmp_path


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_a_symlink_is_refused_and_named_and_its_target_never_shown(classroom, fmt):
    result = cli("check", LECTURE, "--key", classroom / "key.yaml", classroom / "good.yaml",
                 classroom / "to-key.yaml", classroom / "to-shadow.yaml", "--format", fmt)
    assert result.exit_code == 1          # the class was graded; a refused file is a row scoring 0
    for hidden in ("SECRETSALT", "admin:", "other:", "hashhash", "key.yaml:"):
        assert hidden not in result.output.replace(str(classroom / "to-key.yaml"), ""), hidden
    if fmt == "json":
        files = json.loads(result.stdout)["files"]
        assert [f["status"] for f in files] == ["wrong", "error", "error"]
        assert files[0]["right"] == 2
        for f in files[1:]:
            assert f["right"] == 0 and f["error"].endswith(
                "is a symbolic link; answers files are read only as regular files, never through a link")
    if fmt == "table":
        assert result.output.count("symbolic link") == 2


def test_one_symlinked_file_alone_is_one_line(classroom):
    result = cli("check", LECTURE, classroom / "to-key.yaml")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"Error: {classroom / 'to-key.yaml'}: is a symbolic link; answers files are "
                             "read only as regular files, never through a link\n")


def _run(args, timeout=60):
    # a child process: a reader that opened the FIFO would wait for a writer forever
    return subprocess.run([sys.executable, "-m", "rnntrace", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, PYTHONPATH=os.getcwd()))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_the_class_does_not_hang_it(classroom):
    os.mkfifo(classroom / "pipe.yaml")
    done = _run(["check", LECTURE, classroom / "good.yaml", classroom / "pipe.yaml", "--format", "csv"])
    assert done.returncode == 1       # graded; the file that could not be read is a row saying why
    rows = done.stdout.splitlines()
    assert rows[1].startswith(f"{classroom / 'good.yaml'},right,")
    assert "pipe.yaml,error," in rows[2] and "expected an answers file, found a FIFO (named pipe)" in rows[2]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_validate_refuses_a_fifo_without_hanging(classroom):
    os.mkfifo(classroom / "spec.yaml")
    done = _run(["validate", LECTURE, classroom / "spec.yaml"])
    assert done.returncode == 2
    assert f"{classroom / 'spec.yaml'}: expected a spec file, found a FIFO (named pipe)" in done.stderr
    assert "lstm_example.yaml: valid" in done.stdout


def test_validate_refuses_a_symlinked_spec_and_shows_nothing_of_it(classroom):
    result = cli("validate", classroom / "to-shadow.yaml")
    assert result.exit_code == 2 and "SECRETSALT" not in result.output and "admin" not in result.output
    assert "is a symbolic link" in result.stderr


def test_a_device_is_refused_before_reading(classroom):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    result = cli("check", LECTURE, "/dev/zero", classroom / "good.yaml", "--format", "json")
    files = json.loads(result.stdout)["files"]
    assert files[0]["status"] == "error" and files[0]["error"] == "/dev/zero: expected an answers file, found a device"
    assert files[1]["status"] == "right"


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
    except OSError:
        pytest.skip("no unix sockets here")
    try:
        result = cli("check", LECTURE, path)
        assert result.exit_code == 2 and "expected an answers file, found a socket" in result.stderr
    finally:
        server.close()


@pytest.mark.parametrize("text", [SECRET + "\n", "just a line of someone's text\n", "- alpha\n- beta\n", "4242.5\n",
                                  "password: hunter2\nsteps: {1: {c: 3}}\n"])
def test_the_text_of_a_file_that_is_not_an_answers_file_is_never_quoted(tmp_path, text):
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("check", LECTURE, path)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    for word in ("SECRET", "someone", "alpha", "4242", "password", "hunter2"):
        assert word not in result.stderr, result.stderr
    assert "a.yaml:1:1: " in result.stderr        # where, and nothing of what


def test_a_near_name_is_still_suggested(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("stpes: {1: {c: 3}}\n", encoding="utf-8")
    assert "unknown key 'stpes'" in cli("check", LECTURE, path).stderr and "did you mean 'steps'" in \
        cli("check", LECTURE, path).stderr
