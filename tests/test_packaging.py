"""What `pip install .` installs (issue 2): every module of the package, the bundled
examples as rnntrace.examples, the schemas and the starters, and the console script;
and the README's first command run from the installed files, in a folder with no
examples beside it.

The wheel is built from a copy of the checkout by setuptools' own build backend (what
pip runs for pyproject.toml's [build-system]), then unpacked and put first on the path
of a fresh Python."""
import configparser
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import EXAMPLES, ROOT

PACKAGE = ROOT / "rnntrace"
BUILD = """
import sys
from setuptools import build_meta
print(build_meta.build_wheel(sys.argv[1]))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    try:
        import setuptools  # noqa: F401  (pyproject.toml's build requirement)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("setuptools is not installed, but CI must check what is packaged")
        pytest.skip("setuptools is not installed")
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache", ".hypothesis"))
    out = work / "dist"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", BUILD, str(out)], cwd=source, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """The wheel unpacked: a pure-Python wheel is importable as it is."""
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def test_every_module_schema_example_and_starter_is_in_the_wheel(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {str(p.relative_to(ROOT)).replace(os.sep, "/") for p in PACKAGE.rglob("*.py")
                if "__pycache__" not in p.parts}
    expected |= {f"rnntrace/schemas/{p.name}" for p in (PACKAGE / "schemas").glob("*.json")}
    expected |= {f"rnntrace/starters/{p.name}" for p in (PACKAGE / "starters").glob("*.yaml")}
    expected |= {f"rnntrace/examples/{p.name}" for p in EXAMPLES.glob("*.yaml")}
    expected |= {f"rnntrace/render/page_assets/{p.name}" for p in (PACKAGE / "render" / "page_assets").iterdir()}
    assert {"rnntrace/cli.py", "rnntrace/layers/lstm.py", "rnntrace/schemas/trace.json",
            "rnntrace/examples/lstm_example.yaml", "rnntrace/render/page_assets/page.js"} <= expected
    assert sorted(expected - names) == []


def test_the_console_script_is_declared(wheel):
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
    config = configparser.ConfigParser()
    config.read_string(archive.read(entry_points).decode("utf-8"))
    assert config["console_scripts"]["rnntrace"].strip() == "rnntrace.cli:main"


def test_the_readmes_first_command_runs_from_the_installed_files(installed, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(installed))
    where = subprocess.run([sys.executable, "-c", "import rnntrace.bundled as b; print(b.examples_dir())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert where.stdout.strip() == str(installed / "rnntrace" / "examples"), where.stderr
    done = subprocess.run([sys.executable, "-m", "rnntrace", "run", "lstm_example.yaml", "--format", "json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    trace = json.loads(done.stdout)
    # the lecture's cell values 3 and 7 after the first two steps (σ(90) and σ(110) are 1 in float64)
    assert [step["layers"]["lstm"]["c"] for step in trace["steps"][:2]] == [[3.0], [7.0]]


def test_the_page_is_written_from_the_installed_files(installed, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(installed))
    done = subprocess.run([sys.executable, "-m", "rnntrace", "page", "lstm_example.yaml", "-o", "lstm.html"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "lstm.html").read_text(encoding="utf-8")
    assert "window.rnntrace" in page and "prefers-color-scheme" in page   # its script and style inline
