"""Each command imports only what it needs, so that start-up stays fast.

A fresh Python runs the command line in a subprocess and reports which modules it
imported. ``run --format json`` needs numpy, yaml and the engine, but neither rich nor
the table, check or gradient code; ``rnntrace --help`` needs click only. (How fast
that makes start-up is measured by bench/run.py, not here.)
"""
import json
import subprocess
import sys
import textwrap

import pytest

from conftest import EXAMPLES, ROOT

LSTM = str(EXAMPLES / "lstm_example.yaml")

PROBE = textwrap.dedent("""
    import io, json, sys
    from rnntrace.cli import main
    args, report = json.loads(sys.argv[1]), sys.argv[2]
    sys.stdout = io.StringIO()
    try:
        main.main(args, prog_name="rnntrace", standalone_mode=False)
    finally:
        sys.stdout = sys.__stdout__
        with open(report, "w") as out:
            json.dump(sorted(sys.modules), out)
""")

#: Modules for the terminal view, answers checking and gradients: never for json output.
HEAVY = ("rich", "rnntrace.grading", "rnntrace.gradients", "rnntrace.engine.bptt", "rnntrace.engine.surface",
         "rnntrace.render.table", "rnntrace.render.panels", "rnntrace.render.terminal", "rnntrace.render.view",
         "rnntrace.render.chart", "rnntrace.render.explain", "rnntrace.render.check", "rnntrace.render.grad",
         "rnntrace.render.surface", "rnntrace.surface_options", "rnntrace.sheet", "rnntrace.convert", "rnntrace.convert_keras", "torch", "keras")


def imported(args, tmp_path):
    report = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), str(report)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return set(json.loads(report.read_text()))


def loaded(modules, names):
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_run_as_json_imports_neither_rich_nor_table_check_or_grad_code(tmp_path, fmt):
    modules = imported(["run", LSTM, "--format", fmt], tmp_path)
    assert "rnntrace.engine" in modules and "numpy" in modules   # the probe really ran it
    assert loaded(modules, HEAVY) == []
    if fmt == "json":   # records are made without it (rnntrace/records.py); orjson, which
        assert "dataclasses" not in modules   # JSON lines use when installed, imports it itself
    # the registry of output formats (a table, no imports of its own) and the JSON writer
    assert {m for m in modules if m.startswith("rnntrace.render.")} <= {"rnntrace.render.formats",
                                                                       "rnntrace.render.json"}


def test_the_table_view_is_what_imports_rich(tmp_path):
    # The counterpart of the test above: the probe does see rich when it is used.
    assert "rich.table" in imported(["run", LSTM], tmp_path)


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["run", "--help"]])
def test_help_and_version_import_neither_numpy_nor_rich(tmp_path, args):
    modules = imported(args, tmp_path)
    assert "rnntrace.cli" in modules
    assert loaded(modules, ("numpy", "rich", "yaml")) == []


@pytest.mark.parametrize("args, modules", [
    (["--help"], []), (["--version"], []), (["run", "--help"], ["run"]),
    (["run", LSTM], ["run"]), (["run", LSTM, "--format", "json"], ["run"]),
    (["validate", LSTM], ["validate"]), (["grad", "--help"], ["grad"])])
def test_a_command_imports_its_own_module_only(tmp_path, args, modules):
    # Subcommands are loaded when called (rnntrace/cli.py, COMMANDS): `run` builds
    # neither grad, check nor page, and --help lists them all without building one.
    expected = ["rnntrace.commands"] + [f"rnntrace.commands.{m}" for m in ["common"] * bool(modules) + modules]
    assert loaded(imported(args, tmp_path), ("rnntrace.commands",)) == sorted(expected if modules else [])


@pytest.mark.parametrize("args", [["--version"], ["run", LSTM, "--format", "json"]])
def test_no_package_metadata_lookup_at_start(tmp_path, args):
    # importlib.metadata and pkg_resources scan every installed package: tens of ms.
    assert loaded(imported(args, tmp_path), ("pkg_resources", "importlib.metadata", "importlib_metadata")) == []


@pytest.mark.parametrize("args", [["run", LSTM], ["run", LSTM, "--format", "json"], ["--version"]])
def test_a_run_looks_up_no_translations(tmp_path, args):
    # click looks its own texts (--help's, --version's) up with gettext, whose first lookup
    # imports locale: about 1 ms of start-up. The command line gives those texts itself.
    assert "locale" not in imported(args, tmp_path)


def test_the_console_script_imports_only_the_command_line():
    # What pip writes for the entry point: it must not go through pkg_resources.
    import shutil
    from pathlib import Path
    script = Path(sys.executable).parent / "rnntrace"
    if not script.is_file():
        found = shutil.which("rnntrace")
        if found is None:
            pytest.skip("rnntrace is not installed as a command here")
        script = Path(found)
    text = script.read_text(errors="replace")
    if "pyenv" in text and "exec" in text and "rnntrace.cli" not in text:
        pytest.skip("a version-manager shim, not the generated script")
    assert "pkg_resources" not in text and "importlib.metadata" not in text
    assert "from rnntrace.cli import main" in text


def test_the_page_imports_neither_rich_nor_the_table_view(tmp_path):
    modules = imported(["page", LSTM, "-o", str(tmp_path / "p.html")], tmp_path)
    assert "rnntrace.render.page" in modules
    assert loaded(modules, ("rich", "rnntrace.render.panels", "rnntrace.render.view", "rnntrace.render.chart",
                            "torch")) == []


# --------------------------------------------------------------------------- cycles

def _import_graph():
    """Which rnntrace modules each rnntrace module imports, counting imports inside
    functions (a lazy import still ties the two modules together)."""
    import ast
    package = ROOT / "rnntrace"
    modules = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    graph = {}
    for name, (path, is_package) in modules.items():
        here = name if is_package else name.rsplit(".", 1)[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = here.split(".")[:len(here.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:   # from . import tables: the module; from . import run: the package
                    found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _cycles(graph):
    """The groups of modules that import each other, directly or round a loop."""
    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen
    reachable = {m: reach(m) for m in graph}
    groups = {frozenset([m] + [n for n in reachable[m] if m in reachable[n]]) for m in graph if m in reachable[m]}
    return sorted(sorted(g) for g in groups)


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


#: Imports that go against the flow spec → engine → trace → views and are known, each
#: (module, what it imports). None: a notebook shows a Trace as its page through the
#: formatter rnntrace/__init__.py gives IPython, not through the Trace itself.
AGAINST_THE_FLOW = set()


def test_no_module_imports_one_that_imports_it_back():
    graph = _import_graph()
    assert "rnntrace.render.latex" in graph["rnntrace.render.worksheet"] or \
        "rnntrace.render.tex" in graph["rnntrace.render.worksheet"]          # the graph was read
    for module, imported in AGAINST_THE_FLOW:
        assert imported in graph[module], "gone: take it off AGAINST_THE_FLOW"
        graph[module].discard(imported)
    assert _cycles(graph) == []


def test_every_name_a_module_uses_is_defined():
    # A name renamed in one module and still used under its old name in another shows
    # up only when that line runs (an error message's path, say): look for it at once.
    import builtins
    import symtable
    known = set(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__", "__path__"}
    missing = []
    for path in sorted((ROOT / "rnntrace").rglob("*.py")):
        top = symtable.symtable(path.read_text(encoding="utf-8"), str(path), "exec")
        defined = known | {s.get_name() for s in top.get_symbols()
                           if s.is_assigned() or s.is_imported() or s.is_namespace()}

        def walk(table):
            for s in table.get_symbols():
                implicit = s.is_global() and not s.is_declared_global()
                unbound = table is top and s.is_referenced() and not (s.is_assigned() or s.is_imported())
                if (implicit or unbound) and s.get_name() not in defined:
                    missing.append(f"{path.relative_to(ROOT)}: {table.get_name()} uses {s.get_name()}")
            for child in table.get_children():
                walk(child)
        walk(top)
    assert missing == []


def test_a_run_imports_no_pathlib():
    # pathlib imports urllib.parse and ipaddress: 13–18 ms that a run does not need.
    # (An editable install's finder imports it at start-up on its own; -S leaves site out.)
    import subprocess
    import sys
    from conftest import ROOT
    code = ("import sys; sys.argv = ['rnntrace', 'run', 'lstm_example.yaml', '--format', 'json']\n"
            "from rnntrace.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write(' '.join(m for m in ('pathlib', 'urllib.parse', 'ipaddress') if m in sys.modules))")
    import os
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path += {sys.path!r}\n" + code],
                          capture_output=True, text=True, env=env, cwd=str(ROOT / "examples"))
    assert done.stdout.startswith("{\"format\": \"rnntrace.trace/1\""), done.stderr[-500:]
    assert done.stderr.strip() == "", done.stderr[-500:]
