"""How `rnntrace check` lays out one file's verdicts in 80 columns, as in a pipe."""
from click.testing import CliRunner

from rnntrace.cli import main

# the lecture's LSTM unit: c = 3 at step 1 (3·1 + 0), so 4 is wrong; y ≈ 0 at step 1
ANSWERS = "steps:\n  1: {lstm.c: 4, y: 0}\n  2: {lstm.c: 7}\n"


def test_one_file_fits_80_columns_with_the_rule_on_a_line_of_its_own(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_answers.yaml").write_text(ANSWERS, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "lstm_example.yaml", "my_answers.yaml"],
                                env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "right means |yours − exact| ≤ 0.01·max(1, |exact|) (the default)" in lines
    assert "my_answers.yaml: 2 of 3 answers right (67%)" in lines
    # every column has a header, the verdict's too
    header = next(line for line in lines if "quantity" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == \
        ["step", "quantity", "yours", "exact", "difference", "verdict"]
