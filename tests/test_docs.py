"""The project's own documentation (docs/ and the README) is the reference its code
cites: every page cited exists, every link leads somewhere, and the pages name what the
code reads and writes (every key of every layer type, every field of a record)."""
import re

import pytest

import rnntrace
from rnntrace.engine.bptt import backprop
from rnntrace.layers import TYPES as HOMES

from conftest import EXAMPLES, ROOT

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]
SOURCES = sorted((ROOT / "rnntrace").rglob("*.py")) + sorted((ROOT / "rnntrace" / "schemas").glob("*.json"))
#: One example of each layer type (dense: the slot filler's softmax).
EXAMPLE_OF = {"elman": "elman.yaml", "jordan": "jordan.yaml", "lstm": "lstm_example.yaml", "gru": "gru.yaml",
              "bidirectional": "bidirectional.yaml", "dense": "slot_filling.yaml"}


def text(path):
    return path.read_text(encoding="utf-8")


def test_the_formats_have_pages():
    for name in ("spec", "trace", "grad", "check", "surface"):
        assert (DOCS / f"{name}.md").is_file(), name


@pytest.mark.parametrize("path", SOURCES + PAGES + sorted((ROOT / "tests").glob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_code_and_pages_cite_the_projects_own_docs(path):
    body = text(path)
    old = "DESIGN" + " §"        # the design notes users never had
    assert old not in body
    for cited in re.findall(r"docs/([\w-]+\.md)", body):
        assert (DOCS / cited).is_file(), f"{path.name} cites docs/{cited}, which is not there"


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it."""
    heading = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return heading.replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_leads_to_a_file_and_heading(page):
    for target in re.findall(r"\]\(([^)\s]+)\)", text(page)):
        if re.match(r"[a-z]+:", target):
            continue                       # a web address
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        assert linked.exists(), f"{page.name}: {target}"
        if anchor:
            headings = [_slug(h) for h in re.findall(r"^#+ (.+)$", text(linked), flags=re.M)]
            assert anchor in headings, f"{page.name}: {target}"


def _section(page: str, heading: str) -> str:
    """The text of a page under ``heading`` up to the next heading of its level or above."""
    body = text(DOCS / page)
    start = body.index(heading + "\n")
    level = heading.split(" ")[0]
    rest = body[start + len(heading):]
    end = re.search(rf"^#{{1,{len(level)}}} ", rest, flags=re.M)
    return rest[:end.start()] if end else rest


@pytest.mark.parametrize("name", sorted(HOMES))
def test_the_spec_page_names_every_key_of_every_layer_type(name):
    section = _section("spec.md", f"### `{name}`")
    for key in HOMES[name].KEYS - {"name", "type", "size"}:
        assert f"`{key}`" in section, f"{name}: {key}"


def test_the_spec_page_names_every_choice_the_schema_has():
    from conftest import schema
    defs = schema("spec.json")["$defs"]
    page = text(DOCS / "spec.md")
    choices = (defs["output_activation"]["anyOf"][0]["enum"] + defs["bidirectional"]["properties"]["merge"]["enum"]
               + defs["lstm_output_gate"]["properties"]["peephole"]["enum"]
               + defs["train"]["properties"]["loss"]["enum"])
    for choice in choices:
        assert f"`{choice}`" in page, choice


def _fields(record: dict, prefix: str = "") -> set:
    """Every field name of a record, nested ones too (gates.input_gate.z: gates, input_gate, z)."""
    names = set()
    for key, value in record.items():
        names.add(key)
        if isinstance(value, dict):
            names |= _fields(value)
    return names


def _row(page: str, heading: str, name: str) -> str:
    rows = [line for line in _section(page, heading).splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, (page, name)
    return rows[0]


@pytest.mark.parametrize("name", sorted(EXAMPLE_OF))
def test_the_trace_page_lists_every_field_of_a_record(name):
    spec = rnntrace.load_spec(EXAMPLES / EXAMPLE_OF[name])
    layer = next(layer for layer in spec.layers if layer.type == name)
    record = rnntrace.run(spec).to_dict()["steps"][0]["layers"][layer.name]
    row = _row("trace.md", "## Records, by layer type", name)
    # a bidirectional layer's directions are records of their own types (their rows)
    fields = {"forward", "backward", "h"} if name == "bidirectional" else _fields(record)
    for field in fields:
        assert re.search(rf"\b{re.escape(field)}\b", row), field


@pytest.mark.parametrize("name", sorted(EXAMPLE_OF))
def test_the_grad_page_lists_every_field_of_a_backward_record(name):
    spec = rnntrace.load_spec(EXAMPLES / EXAMPLE_OF[name])
    layer = next(layer for layer in spec.layers if layer.type == name)
    targets = [None] * (len(spec.inputs) - 1) + [[0.0] * spec.layers[-1].output_size]
    data = dict(spec.document.data, train={"targets": targets})
    record = backprop(rnntrace.spec_from_dict(data)).to_dict()["steps"][0]["layers"][layer.name]
    row = _row("grad.md", "### Per layer type", name)
    fields = {"forward", "backward", "dh"} if name == "bidirectional" else _fields(record)
    for field in fields:
        assert re.search(rf"\b{re.escape(field)}\b", row), field



def test_the_typo_example_is_what_validate_prints(tmp_path, monkeypatch):
    # README and docs/spec.md: `rnntrace new lstm` with forget_gate misspelt
    from click.testing import CliRunner
    from rnntrace.cli import main
    starter = CliRunner().invoke(main, ["new", "lstm"]).stdout
    (tmp_path / "my_lstm.yaml").write_text(starter.replace("    forget_gate:", "    forgt_gate:"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate", "my_lstm.yaml"])
    assert result.exit_code == 2
    for page in (ROOT / "README.md", DOCS / "spec.md"):
        assert result.stderr in text(page), page.name


def test_the_readmes_first_command_makes_and_uses_a_virtual_environment():
    """Issue 19: Debian's and Ubuntu's system Python refuse `pip install` outside a virtual
    environment, so the first command a newcomer copies makes one."""
    readme = text(ROOT / "README.md")
    first = re.search(r"^```bash\n(.*?)\n```", readme, flags=re.M | re.S).group(1)
    assert first == "python3 -m venv .venv && . .venv/bin/activate && pip install . && rnntrace run lstm_example.yaml"
    tests = [block for block in re.findall(r"^```bash\n(.*?)\n```", readme, flags=re.M | re.S) if "pytest" in block]
    assert tests and tests[0].startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]'")
    assert "sudo" not in tests[0]                      # the root part is a line of its own


def test_the_readme_is_a_short_guide_with_a_page_per_command():
    from rnntrace.cli import main
    readme = text(ROOT / "README.md")
    assert len(readme.splitlines()) <= 400
    assert "## Contents" in readme
    table = readme[readme.index("## The commands"):]
    table = table[:table.index("\n## ")]
    for name in main.commands:
        row = next((line for line in table.splitlines() if f"`{name}`" in line), None)
        assert row is not None and re.search(r"\(docs/[\w-]+\.md\)", row), f"{name} has no manual page"
