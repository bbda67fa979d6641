"""Hostile specs: no code runs, and oversized or explosive input is refused early, in
bounded memory, with one line on stderr and exit code 2."""
import json
import math
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rnntrace import yamlsource
from rnntrace.cli import main
from rnntrace.errors import SpecError
from rnntrace.yamlsource import MAX_DEPTH, MAX_VALUES, parse

from conftest import ROOT

LAYERS = "layers: [{type: dense, size: 1, W: 1}]\n"


def refused(path: Path, *args):
    result = CliRunner().invoke(main, ["validate", str(path), *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    assert len(result.stderr.splitlines()) == 1
    return result.stderr


# --------------------------------------------------------------------------- no Python objects from tags

@pytest.mark.parametrize("tagged", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple [1, 2]",
    "!!binary aGVsbG8=",
    "!!set {{a, b}}",
    "!!omap [a: 1]",
    "!local 1",
    "!<tag:example.com,2000:app/foo> 1",
])
def test_tags_that_would_construct_objects_are_refused(tmp_path, tagged):
    marker = tmp_path / "ran"
    path = tmp_path / "spec.yaml"
    path.write_text(f"inputs: {tagged.format(marker=marker)}\n{LAYERS}")
    message = refused(path)
    assert f"{path}:1:9: inputs: the tag " in message and "is not allowed in a spec" in message
    assert not marker.exists()


def test_a_tag_deep_inside_is_refused_at_its_place(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("inputs: [1]\nlayers:\n  - type: dense\n    size: 1\n"
                    "    W: [[!!python/object/apply:os.getcwd []]]\n")
    assert refused(path) == (f"Error: {path}:5:10: layers[0].W[0][0]: the tag "
                             "'tag:yaml.org,2002:python/object/apply:os.getcwd' is not allowed in a spec\n")


def test_yaml_own_tags_are_plain_values():
    doc = parse("a: !!str 1\nb: !!float 2\nc: !!int 3\nd: !!null ''\ne: !!bool true\nf: !!seq [1]\n", "t")
    assert doc.data == {"a": "1", "b": 2.0, "c": 3, "d": None, "e": True, "f": [1]}
    assert isinstance(doc.data["b"], float)


def test_a_mismatched_yaml_tag_is_an_error():
    with pytest.raises(SpecError, match=r"the tag 'tag:yaml.org,2002:int' needs a number, found 'x'"):
        parse("a: !!int x\n", "t")


def test_merge_keys_are_refused(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("base: &b {W: 1}\ninputs: [1]\nlayers:\n  - {<<: *b, type: dense, size: 1}\n")
    assert "merge keys (<<) are not supported" in refused(path)


# --------------------------------------------------------------------------- aliases

BOMB = "".join(
    f"{name}: &{name} [{', '.join(['*' + prev] * 10) if prev else ', '.join(['1'] * 10)}]\n"
    for prev, name in zip([None] + list("abcdefgh"), "abcdefghi"))


def test_an_alias_bomb_is_refused_in_bounded_memory():
    # Nine lines that expand to 10^9 numbers; aliased data is shared, never copied,
    # and counting stops at the limit.
    assert BOMB.count("\n") == 9
    tracemalloc.start()
    try:
        with pytest.raises(SpecError) as caught:
            parse(BOMB, "bomb.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"more than {MAX_VALUES:,} values" in str(caught.value)
    assert "an alias counts its whole node each time" in str(caught.value)
    assert peak < 5_000_000   # bytes: far below what even 10^6 expanded values would take


def test_the_alias_bomb_through_the_command_line(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB + "inputs: *i\n" + LAYERS)
    message = refused(path)
    # The count passes the limit at an alias in line 7 (10^6 + 10^5 + … values so far).
    assert message.startswith(f"Error: {path}:7:") and "2,000,000 values" in message


def test_aliases_within_the_limit_work_and_share_data():
    doc = parse("w: &w [[1, 2], [3, 4]]\nv: *w\n", "t")
    assert doc.data["v"] == [[1, 2], [3, 4]] and doc.data["v"] is doc.data["w"]


def test_a_recursive_alias_is_refused():
    with pytest.raises(SpecError, match=r"the alias \*a does not refer to a finished node"):
        parse("a: &a [1, *a]\n", "t")


def test_an_undefined_alias_is_refused():
    with pytest.raises(SpecError, match=r"t:1:4: a: the alias \*nowhere does not refer"):
        parse("a: *nowhere\n", "t")


def test_too_many_plain_values(monkeypatch):
    monkeypatch.setattr(yamlsource, "MAX_VALUES", 100)
    parse("inputs: [" + ", ".join(["1"] * 90) + "]\n", "t")
    with pytest.raises(SpecError, match="more than 100 values"):
        parse("inputs: [" + ", ".join(["1"] * 101) + "]\n", "t")


# --------------------------------------------------------------------------- nesting

@pytest.mark.parametrize("text", [
    "[" * 100_000,
    "[" * 100_000 + "]" * 100_000,
    "a: " + "{b: " * 100_000,
    "- " * 100_000 + "1\n",
    "".join(" " * i + "- \n" for i in range(0, 2000, 2)),
], ids=["unclosed [", "closed [ ]", "flow mappings", "compact block lists", "indented block lists"])
def test_deep_nesting_is_refused_without_recursion(tmp_path, text):
    # In a separate interpreter: a recursive composer would crash the process itself.
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    done = subprocess.run([sys.executable, "-m", "rnntrace", "validate", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 2, done.stderr[-500:]
    assert done.stdout == "" and "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    assert done.stderr.startswith(f"Error: {path}:1:") or done.stderr.startswith(f"Error: {path}:")
    assert f"nested more than {MAX_DEPTH} levels deep" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_nesting_up_to_the_limit_is_fine():
    parse("[" * MAX_DEPTH + "]" * MAX_DEPTH, "t")
    with pytest.raises(SpecError, match="nested more than"):
        parse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "t")


# --------------------------------------------------------------------------- size

def test_the_readme_states_the_limits_the_code_keeps():
    """Issue 6: the limits are stated in the README; these are the numbers the code uses."""
    from rnntrace import spec as spec_module
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("**Limits.**")
    limits = readme[start:readme.index("\n\n", readme.index("| what", start))]
    for stated in (f"{yamlsource.MAX_BYTES:,} bytes", f"| {yamlsource.MAX_VALUES:,};",
                   f"| {MAX_DEPTH} levels", f"| {spec_module.MAX_WEIGHTS:,} ("):
        assert stated in limits, stated



def test_an_oversized_file_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlsource, "MAX_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text("inputs: [" + ", ".join(["1"] * 1000) + "]\n" + LAYERS)
    assert "larger than 1,000 bytes, the most rnntrace reads" in refused(path)


def test_an_endless_file_is_refused(monkeypatch):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    monkeypatch.setattr(yamlsource, "MAX_BYTES", 1 << 16)
    # validate reads only regular files: a device is refused before anything is read
    assert "/dev/zero: expected a spec file, found a device" in refused(Path("/dev/zero"))
    # run reads what it is given, and stops at the limit
    result = CliRunner().invoke(main, ["run", "/dev/zero"])
    assert result.exit_code == 2 and "the most rnntrace reads" in result.stderr


def test_endless_standard_input_is_refused(monkeypatch):
    monkeypatch.setattr(yamlsource, "MAX_BYTES", 100)
    result = CliRunner().invoke(main, ["validate", "-"], input="#" * 5000)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "Error: <stdin>: the file is larger than 100 bytes, the most rnntrace reads\n"


def test_a_broadcast_weight_cannot_ask_for_unbounded_memory(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("inputs: [1]\nlayers:\n  - {type: elman, size: 30000, W: 1, U: 1}\n")
    tracemalloc.start()
    try:
        message = refused(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # W is 30000×1; U would be 30000×30000 = 900,000,000 weights (7.2 GB).
    assert "the network has more than 10,000,000 weights" in message and "900,000,000" in message
    assert peak < 50_000_000


# --------------------------------------------------------------------------- files a spec refers to

def test_an_inputs_file_is_never_unpickled(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    data = np.empty(2, dtype=object)
    data[0], data[1] = Payload(), 1.0
    np.save(tmp_path / "evil.npy", data, allow_pickle=True)
    path = tmp_path / "spec.yaml"
    path.write_text("inputs: {file: evil.npy}\n" + LAYERS)
    message = refused(path)
    assert "evil.npy" in message and "Python objects" in message
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"\x93NUMPY garbage", b"not numpy at all", b""])
def test_a_broken_npy_file_is_an_error_not_a_traceback(tmp_path, content):
    (tmp_path / "bad.npy").write_bytes(content)
    path = tmp_path / "spec.yaml"
    path.write_text("inputs: {file: bad.npy}\n" + LAYERS)
    assert "bad.npy" in refused(path)


def test_an_endless_answers_file_is_refused(monkeypatch, examples):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    monkeypatch.setattr(yamlsource, "MAX_BYTES", 1 << 16)
    result = CliRunner().invoke(main, ["check", str(examples / "lstm_example.yaml"), "/dev/zero"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    # refused before anything is read: an answers file is a regular file (docs/check.md)
    assert result.output == "Error: /dev/zero: expected an answers file, found a device\n"


def test_an_endless_csv_inputs_file_is_refused(tmp_path):
    # A device is not a file of inputs: refused before it is read (and, outside the
    # spec's folder, before it is opened).
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    (tmp_path / "zeros.csv").symlink_to("/dev/zero")
    path = tmp_path / "spec.yaml"
    path.write_text("inputs: {file: zeros.csv}\n" + LAYERS)
    assert "zeros.csv: outside the spec's folder" in refused(path)
    result = CliRunner().invoke(main, ["validate", str(path), "--allow-file", "/dev/zero"])
    assert result.exit_code == 2
    assert "zeros.csv: expected a regular file of inputs, found a FIFO, socket or device" in result.stderr


def test_a_large_csv_inputs_file_is_refused_by_its_bytes(tmp_path, monkeypatch):
    from rnntrace import inputfiles
    monkeypatch.setattr(inputfiles, "MAX_INPUT_VALUES", 10)   # 320 bytes
    (tmp_path / "big.csv").write_text("# " + "x" * 400 + "\n1\n")
    path = tmp_path / "spec.yaml"
    path.write_text("inputs: {file: big.csv}\n" + LAYERS)
    assert "big.csv: the file is larger than 320 bytes; input files are limited to 10 numbers" in refused(path)


def test_a_csv_inputs_file_of_bytes_that_are_not_text(tmp_path):
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe1,2\n")
    path = tmp_path / "spec.yaml"
    path.write_text("inputs: {file: bin.csv}\n" + LAYERS)
    assert "bin.csv" in refused(path)


def test_libyaml_reads_specs_where_pyyaml_has_it():
    # Issue 7: big specs parse with libyaml (C) where available; the tests below check that
    # it refuses and places errors as the pure-Python parser does.
    import yaml
    expected = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
    assert yamlsource._Loader is expected


@pytest.fixture(params=["libyaml", "python"])
def loader(request, monkeypatch):
    """The same reading with libyaml's parser and with PyYAML's pure-Python one (used
    where PyYAML was built without libyaml)."""
    import yaml
    if request.param == "libyaml":
        if not getattr(yaml, "__with_libyaml__", False):
            pytest.skip("PyYAML without libyaml")
        monkeypatch.setattr(yamlsource, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(yamlsource, "_Loader", yaml.SafeLoader)
    return request.param


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000, "t:1:65: the document is nested more than 64 levels deep"),
    ("a: &a [1, *a]", "t:1:11: a[1]: the alias *a does not refer to a finished node"),
    ("a: 1\n---\nb: 2\n", "t:2:1: expected one YAML document, found a second one (---)"),
    ("a: !!python/name:os.system", "t:1:4: a: the tag 'tag:yaml.org,2002:python/name:os.system' is not allowed"),
    ("a: \x07", "t:1:4: expected printable text, found the character #x0007"),
    ("a:\n\t- 1\n", "t:2:1: YAML syntax error: a tab cannot indent YAML; use spaces"),
], ids=["deep nesting", "recursive alias", "two documents", "python tag", "control character", "tab"])
def test_both_parsers_refuse_alike(loader, text, message):
    with pytest.raises(SpecError) as caught:
        parse(text, "t")
    if text.startswith("[[") and caught.value.column == 1001:
        # A newer libyaml scans ahead to its own depth limit (1000) before it hands over the
        # first bracket: the same message, at the place where it stopped.
        message = message.replace(":65:", ":1001:")
    assert str(caught.value).startswith(message)


def test_both_parsers_read_alike(loader):
    doc = parse("a:\n  - [1, 2]\n  - {b: on, c: 1e-3, d: '3', e: -.inf, f: 0x1F, g: ~}\n", "t")
    assert doc.data == {"a": [[1, 2], {"b": "on", "c": 0.001, "d": "3", "e": -math.inf, "f": 31, "g": None}]}
    assert doc.position(("a", 1, "c")) == (3, 16)
    assert doc.position(("a", 1, "c"), at_key=True) == (3, 13)
    assert doc.position(("a", 0, 1)) == (2, 9)
    assert doc.position(("a", 5)) == (2, 3)   # no such item: the nearest parent that exists


def test_one_of_n_inputs_cannot_ask_for_unbounded_memory(tmp_path):
    words = [f"w{i}" for i in range(20_000)]
    path = tmp_path / "lexicon.yaml"
    path.write_text(json.dumps({"lexicon": {"words": words, "other": True}, "inputs": words[:5000],
                                "layers": [{"type": "dense", "size": 1, "W": 1}]}))
    message = refused(path)
    # 5,000 steps × (20,000 words + other) = 100,005,000 numbers, 800 MB
    assert "5,000 words, each 20,001 numbers long (1-of-N), make 100,005,000 input numbers" in message


def test_an_unknown_word_of_a_long_lexicon_keeps_the_message_short(tmp_path):
    words = [f"w{i}" for i in range(20_000)]
    path = tmp_path / "lexicon.yaml"
    path.write_text(json.dumps({"lexicon": words, "inputs": ["w1", "zzz"],
                                "layers": [{"type": "dense", "size": 1, "W": 1}]}))
    message = refused(path)
    assert "(w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, … 20,000 words in all)" in message
    assert len(message) < 300
