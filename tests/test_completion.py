"""Shell completion: after `eval "$(_RNNTRACE_COMPLETE=bash_source rnntrace)"`, Tab
completes file names, the bundled examples' names and new's types. Checked at click's
completion protocol and by pressing Tab in a real interactive bash."""
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from rnntrace.cli import main
from rnntrace.starters import TYPES

from conftest import EXAMPLES, require_program


def offered(words, cwd, monkeypatch):
    """What `rnntrace WORDS<Tab>` is offered, as click's bash protocol says it: (type, value)."""
    monkeypatch.chdir(cwd)
    env = {"_RNNTRACE_COMPLETE": "bash_complete", "COMP_WORDS": " ".join(["rnntrace", *words]),
           "COMP_CWORD": str(len(words))}
    result = CliRunner().invoke(main, [], env=env, prog_name="rnntrace")
    return [tuple(line.split(",", 1)) for line in result.stdout.splitlines()]


@pytest.fixture
def folder(tmp_path):
    for name in ("hw_lstm.yaml", "hw_gru.yaml", "lstm_mine.yaml"):
        (tmp_path / name).write_text("inputs: [1]\n")
    (tmp_path / "lstm_dir").mkdir()
    return tmp_path


def test_spec_completes_files_and_bundled_examples(folder, monkeypatch):
    # nothing bundled starts with hw_: the shell completes the file names itself
    assert offered(["run", "hw_l"], folder, monkeypatch) == [("file", "hw_l")]
    bundled = sorted(p.name for p in EXAMPLES.glob("lstm*.yaml"))
    assert len(bundled) >= 3
    # bundled names offered, and (for bash, which then lists no files itself) the folder's files too
    assert offered(["run", "lstm"], folder, monkeypatch) == \
        [("file", "lstm")] + [("plain", v) for v in ["lstm_dir/", "lstm_mine.yaml"] + bundled]
    for command in ("validate", "worksheet", "answers", "grad", "check"):
        assert ("plain", "gru.yaml") in offered([command, "gr"], folder, monkeypatch)
    assert offered(["run", "lstm_dir/"], folder, monkeypatch) == [("file", "lstm_dir/")]


def test_types_examples_and_files_of_the_other_arguments(folder, monkeypatch):
    assert offered(["new", "l"], folder, monkeypatch) == [("plain", "lstm")]
    assert [v for _, v in offered(["new", ""], folder, monkeypatch)] == list(TYPES)
    assert offered(["examples", "gr"], folder, monkeypatch) == \
        [("plain", p.name) for p in sorted(EXAMPLES.glob("gr*.yaml"))]
    assert offered(["check", "gru.yaml", "hw"], folder, monkeypatch) == [("file", "hw")]
    assert offered(["run", "gru.yaml", "-o", "hw"], folder, monkeypatch) == [("file", "hw")]
    assert offered(["import-torch", "m"], folder, monkeypatch) == [("file", "m")]


def test_command_names_complete_from_the_table(folder, monkeypatch):
    from rnntrace.cli import COMMANDS
    assert offered([""], folder, monkeypatch) == [("plain", name) for name in sorted(COMMANDS)]
    assert offered(["im"], folder, monkeypatch) == [("plain", n) for n in ("import-keras", "import-onnx", "import-torch")]
    assert offered(["--v"], folder, monkeypatch) == [("plain", "--version")]


def _press_tab(line, cwd, expect, timeout=20.0):
    """Type ``line`` and Tab in an interactive bash with rnntrace's completion loaded;
    the text bash shows once ``expect`` appears (or at the timeout)."""
    program = Path(sys.executable).parent / "rnntrace"          # the one installed with this Python
    if not program.exists():
        program = Path(shutil.which("rnntrace"))
    env = {"PATH": os.pathsep.join([str(program.parent), os.environ.get("PATH", "")]), "HOME": str(cwd),
           "TERM": "dumb", "PS1": "$ ", "INPUTRC": "/dev/null"}
    leader, follower = pty.openpty()
    shell = subprocess.Popen(["bash", "--norc", "--noprofile", "-i"], stdin=follower, stdout=follower,
                             stderr=follower, cwd=cwd, env=env, start_new_session=True)
    os.close(follower)
    seen = ""

    def read_until(text):
        nonlocal seen
        end = time.time() + timeout
        while text not in seen and time.time() < end:
            if select.select([leader], [], [], 0.1)[0]:
                try:
                    seen += os.read(leader, 65536).decode(errors="replace")
                except OSError:
                    break

    try:
        os.write(leader, b'eval "$(_RNNTRACE_COMPLETE=bash_source rnntrace)" && echo LOAD""ED\n')
        read_until("LOADED")                # the echo's output, not the typed line
        seen = ""
        os.write(leader, (line + "\t").encode())
        read_until(expect)
        return seen
    finally:
        os.write(leader, b"\x15exit\n")
        try:
            shell.wait(5)
        except subprocess.TimeoutExpired:
            shell.kill()
        os.close(leader)


def test_tab_in_a_real_bash(folder):
    require_program("bash", "apt-get install bash")
    assert "rnntrace run hw_lstm.yaml " in _press_tab("rnntrace run hw_l", folder, "hw_lstm.yaml ")
    assert "rnntrace run lstm_example.yaml " in _press_tab("rnntrace run lstm_ex", folder, "example.yaml ")
    assert "rnntrace new gru " in _press_tab("rnntrace new gr", folder, "gru ")
