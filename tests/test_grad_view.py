"""What `rnntrace grad` shows, as a user reads it: the names of the symbols, the terms of
the chain rule a layer has, lines that fit the terminal, and the steps a long sequence shows."""
import re

from click.testing import CliRunner

from rnntrace.cli import main


def grad(*args, columns=120):
    result = CliRunner().invoke(main, ["grad", *args], env={"NO_COLOR": "1", "COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_weights_are_w_and_theta_is_only_the_clip_threshold():
    out = grad("clip_norm.yaml")
    assert "One gradient step: w ← w − η·(clipped gradient)" in out
    assert "dL/dw" in out and "dL/dθ" not in out
    assert re.search(r"after w − 0\.01·g", out)
    # θ appears only in the sentence about clipping, as the threshold
    assert "θ" not in out[:out.index("Clip by norm θ = 1")]
    assert "θ" not in out[out.index("One gradient step"):]
    help_text = CliRunner().invoke(main, ["grad", "--help"], env={"COLUMNS": "200"}).stdout
    assert "w − η·g" in help_text and "θ − η" not in help_text
