"""What `rnntrace grad` shows, as a user reads it: the names of the symbols, the terms of
the chain rule a layer has, lines that fit the terminal, and the steps a long sequence shows."""
import io
import re

from click.testing import CliRunner
from rich.console import Console

import rnntrace
from rnntrace.cli import main
from rnntrace.engine.bptt import backprop
from rnntrace.render import grad as view

from conftest import EXAMPLES


def grad(*args, columns=120, input=None):
    result = CliRunner().invoke(main, ["grad", *args], input=input, env={"NO_COLOR": "1", "COLUMNS": str(columns)})
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


PEEPHOLE_LSTM = """\
inputs: [1, 2]
layers:
  - name: lstm
    type: lstm
    size: 1
    cell_input:  {W: 1, U: 0.5, b: 0}
    input_gate:  {W: 1, U: 0.5, P: 0.25, b: 0}
    forget_gate: {W: 1, b: 0}
    output_gate: {W: 1, b: 0}
train: {targets: [null, 1]}
"""


def test_lstm_chain_rule_names_only_the_terms_the_layer_has():
    # the lecture's unit has no U and no peepholes: nothing comes back through h, nor a P
    out = grad("many_to_one.yaml", "--explain")
    assert "U_" not in out and "dL/dU" not in out
    assert "peephole" not in out and "P_" not in out and "dL/dP" not in out
    assert "lstm: dL/dh = (from the output) = [−1.0005]" in out       # nothing reads h_prev
    # each block's sum names its own weights (the cell input's z has no index)
    for z in ("z", "z_i", "z_f", "z_o"):
        k = z[1:]
        assert f"lstm: dL/dW{k} += dL/d{z}·xᵀ, dL/db{k} += dL/d{z}\n" in out
    # with U and a peephole, exactly the terms the layer has: U on the cell input and the
    # input gate, a peephole on the input gate only
    result = CliRunner().invoke(main, ["grad", "-", "--explain"], input=PEEPHOLE_LSTM,
                                env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "dL/dh = (from the output) + (Uᵀ·dL/dz + U_iᵀ·dL/dz_i)(step t+1) =" in result.stdout
    assert "dL/dc = dL/dh ∘ σ(z_o) ∘ h′(c) + (P_i∘dL/dz_i + dL/dc ∘ σ(z_f))(step t+1) =" in result.stdout
    assert "dL/dU_i += dL/dz_i·h_prevᵀ (h_prev = [0]), dL/dP_i += dL/dz_i∘c_prev (c_prev = [0])" in result.stdout
    assert "dL/dU_f" not in result.stdout and "dL/dP_f" not in result.stdout


def test_long_lines_wrap_under_themselves_at_80_columns():
    out = grad("many_to_one.yaml", "--explain", columns=80)
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    # an equation too long for one line goes on indented beyond its first line
    first = next(i for i, line in enumerate(lines) if line.startswith("  lstm: dL/dz_o = dL/dσ(z_o) ∘ f′(z_o)"))
    assert lines[first + 1].startswith("      ") and lines[first + 1].strip()
    no_target = next(i for i, line in enumerate(lines) if line.startswith("  No target at this step"))
    assert lines[no_target + 1].startswith("      through the memory")
    # and the summary's long sentence about clipping
    lines = grad("clip_norm.yaml", columns=80).splitlines()
    clip = next(i for i, line in enumerate(lines) if line.startswith("Clip by norm θ = 1"))
    assert lines[clip + 1].startswith("    ") and lines[clip + 1].strip()
    assert all(not line.startswith(" ") for line in lines[clip + 2:])   # the next sentence starts afresh


def test_negative_numbers_use_the_panels_minus_sign():
    # the lecture's unit with the target 8: y = 6.9995, so dL/dy = y − 8 = −1.0005
    out = grad("many_to_one.yaml")
    assert "dL/dy = [−1.0005]" in out
    assert "−4.542e-05" in out                       # scientific form too; the exponent keeps its -
    # no hyphen is used as a minus sign in any number
    assert not re.search(r"(?<![\w.])-\d", out), re.findall(r".{10}(?<![\w.])-\d.{5}", out)


def test_the_view_itself_shows_a_long_sequence_by_its_last_steps():
    # a display decision, made by the grad view, not by the command line
    spec = rnntrace.load_spec(EXAMPLES / "toy_w999.yaml")
    trace = rnntrace.run(spec)
    console = Console(width=120, file=io.StringIO(), color_system=None)
    for part in view.render(backprop(spec, trace), trace):
        console.print(part)
    out = console.file.getvalue()
    shown = re.findall(r"^Step (\d+) ", out, flags=re.M)
    assert shown == ["1000", "999", "998"]
    assert "Steps 997 … 1 are not shown: --steps 1:1000 shows every step" in out


GRU = """\
inputs: [[1, 1], [0.5, 0]]
layers:
  - name: gru
    type: gru
    size: 1
    reset_gate:  {{W: [0, 2], {reset}b: -1}}
    update_gate: {{W: [0, -10], {update}b: 5}}
    candidate:   {{W: [1, 0], {candidate}b: 0}}
train: {{targets: [null, [1]]}}
"""


def test_gru_chain_rule_names_only_the_terms_the_layer_has():
    # the bundled GRU gives every block a U and the candidate a b_hn: every term
    out = grad("-", "--explain", "--steps", "1", columns=200, input=GRU.format(
        reset="U: 0, ", update="U: 0, ", candidate="U: 1, b_h: 0.5, "))
    assert "dL/dσ(z_r) = dL/dz_n ∘ (U_n·h_prev + b_hn) =" in out
    assert ("dL/dh = (from the output) + (U_rᵀ·dL/dz_r + U_uᵀ·dL/dz_u + U_nᵀ·(dL/dz_n ∘ σ(z_r)) + "
            "dL/dh ∘ σ(z_u))(step t+1) =") in out
    assert "dL/dU_n += (dL/dz_n ∘ σ(z_r))·h_prevᵀ" in out and "dL/db_hn += dL/dz_n ∘ σ(z_r)" in out
    # h = (1 − u)·n + u·h_prev reads u twice: two terms
    assert "dL/dσ(z_u) = −dL/dh ∘ tanh(z_n) + dL/dh ∘ h_prev = " in out
    # without U, only the update gate carries the memory back; without b_hn, r scales nothing
    out = grad("-", "--explain", "--steps", "1", columns=200, input=GRU.format(reset="", update="", candidate=""))
    assert "dL/dσ(z_r) = 0: nothing at this step reads σ(z_r)" in out
    assert "dL/dh = (from the output) + (dL/dh ∘ σ(z_u))(step t+1) =" in out
    assert "U_" not in out and "b_h" not in out



def test_a_jordan_layers_chain_rule_is_read_from_its_formulas():
    """Jordan: y = tanh(W_o·h + b_o), h = tanh(W·x + U·y_prev + b), one step, target 0:
    dL/dy = y; dL/dz_out = y·(1 − y²); dL/dh = W_oᵀ·dL/dz_out; every sum's weights named
    as its formula writes them (W_o, b_o), numbers worked out here with math."""
    import math
    import numpy as np
    spec = rnntrace.spec_from_dict({"inputs": [[1.0]], "train": {"targets": [[0.0]], "loss": "squared_error"},
                                    "layers": [{"type": "jordan", "size": 2, "W": [[0.5], [-1.0]], "U": [[1.0], [1.0]],
                                                "b": [0.0, 0.25], "output": {"size": 1, "activation": "tanh",
                                                                             "W": [[2.0, 3.0]], "b": [0.1]}}]})
    h = [math.tanh(0.5), math.tanh(-0.75)]
    y = math.tanh(2 * h[0] + 3 * h[1] + 0.1)
    dz_out = y * (1 - y * y)
    result = backprop(spec)
    out = Console(file=io.StringIO(), width=400, no_color=True)
    for part in view.render(result, rnntrace.run(spec), precision=12, explain=True):
        out.print(part)
    text = out.file.getvalue()
    assert "jordan: dL/dW_o += dL/dz_out·hᵀ, dL/db_o += dL/dz_out" in text
    assert "jordan: dL/dW += dL/dz·xᵀ, dL/dU += dL/dz·y_prevᵀ (y_prev = [0]), dL/db += dL/dz" in text
    line = re.search(r"jordan: dL/dh = W_oᵀ·dL/dz_out = \[(.*?)\]", text).group(1)
    assert np.allclose([float(v.replace("−", "-")) for v in line.split(", ")], [2 * dz_out, 3 * dz_out], atol=1e-11)
    assert "jordan: dL/dz_out = dL/dy ∘ f′(z_out), f′ = 1 − y² with y = [" in text
