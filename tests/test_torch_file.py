"""import-torch reads torch.save's zip archive without PyTorch (rnntrace.torch_file): every
tensor it reads must be torch.load's to the bit, on the modules the other import-torch
tests build, on views (offsets, transposes, expanded strides), checkpoints and every
floating precision; what it must not read is refused in one line, and no code from the
file runs."""
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import require_torch
from rnntrace.convert import ConvertError
from rnntrace.torch_file import read_state_dict


@pytest.fixture(scope="module")
def torch():
    return require_torch()


def modules(torch):
    nn = torch.nn
    torch.manual_seed(0)
    return {
        "rnn": nn.RNN(3, 4, nonlinearity="relu"),
        "lstm": nn.LSTM(3, 4),
        "gru": nn.GRU(2, 3, bias=False),
        "stacked": nn.LSTM(2, 3, num_layers=2, bidirectional=True),
        "linear": nn.Linear(4, 2),
        "sequential": nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1)),
        "double": nn.GRU(2, 2).double(),
        "half": nn.LSTM(2, 2).half(),
        "bfloat16": nn.RNN(2, 2).to(torch.bfloat16),
    }


def expected(torch, path):
    return {k: v.double().numpy() for k, v in torch.load(path, weights_only=True).items()}


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru", "stacked", "linear", "sequential", "double", "half",
                                  "bfloat16"])
def test_every_tensor_is_torch_loads(torch, tmp_path, name):
    path = tmp_path / f"{name}.pt"
    torch.save(modules(torch)[name].state_dict(), path)
    state, low = read_state_dict(str(path), str(path))
    want = expected(torch, path)
    assert list(state) == list(want)
    for key in want:
        assert state[key].dtype == np.float64 and np.array_equal(state[key], want[key]), key
    assert low == {"half": ["float16"], "bfloat16": ["bfloat16"]}.get(name, [])


def test_views_parameters_and_checkpoints(torch, tmp_path):
    base = torch.arange(24.0).reshape(4, 6)
    state = {"slice": base[1:3, 2:5], "transposed": base.t(), "expanded": torch.ones(1, 3).expand(5, 3),
             "parameter": torch.nn.Parameter(torch.randn(3)), "scalar": torch.tensor(2.5),
             "empty": torch.zeros(0, 3), "long": torch.arange(3)}
    path = tmp_path / "views.pt"
    torch.save({"epoch": 3, "model_state_dict": state}, path)
    got, _ = read_state_dict(str(path), str(path))
    for key, value in state.items():
        want = value.detach().double().numpy()
        assert got[key].shape == want.shape and np.array_equal(got[key], want), key


@pytest.mark.parametrize("make,fragment", [
    (lambda torch: torch.ones(2, device="meta"), "a tensor on the meta device"),
    (lambda torch: torch.quantize_per_tensor(torch.ones(2, dtype=torch.float32), 0.1, 0, torch.qint8), "a quantised tensor"),
    (lambda torch: torch.ones(2, 2).to_sparse(), "a sparse tensor"),
    (lambda torch: torch.ones(2, dtype=torch.complex64), "a complex tensor"),
    (lambda torch: torch.ones(2, dtype=torch.complex128), "imaginary part"),
])
def test_tensors_without_a_spec_twin_are_refused(torch, tmp_path, make, fragment):
    from rnntrace.cli import main
    path = tmp_path / "odd.pt"
    with _quiet():
        torch.save({"weight": make(torch), "bias": torch.zeros(2)}, path)
    result = CliRunner().invoke(main, ["import-torch", str(path)])
    assert result.exit_code == 2 and result.stdout == "", result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


class _quiet:
    def __enter__(self):
        import warnings
        self.catch = warnings.catch_warnings()
        self.catch.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *args):
        self.catch.__exit__(*args)


def test_code_in_the_pickle_never_runs(torch, tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    torch.save({"weight": Payload()}, path)
    with pytest.raises(ConvertError, match=r"holds more than tensors \(posix.system"):
        read_state_dict(str(path), str(path))
    assert not marker.exists()


def test_a_view_past_its_storage_is_refused(torch, tmp_path):
    """A hand-edited pickle whose tensor reaches past its storage: refused, never read."""
    import zipfile
    path = tmp_path / "small.pt"
    torch.save({"weight": torch.ones(2, 2)}, path)
    with zipfile.ZipFile(path) as z:
        entries = {info.filename: z.read(info) for info in z.infolist()}
    key = next(k for k in entries if k.endswith("data.pkl"))
    # size (2, 2), stride (2, 1) → stride (200, 1): the last number would be 201 past the start.
    entries[key] = entries[key].replace(b"K\x02K\x01\x86", b"K\xc8K\x01\x86", 1)
    bad = tmp_path / "bad.pt"
    with zipfile.ZipFile(bad, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    with pytest.raises(ConvertError, match="its view reaches past its storage of 4 numbers"):
        read_state_dict(str(bad), str(bad))


def test_torch_is_not_imported_by_import_torch(torch, tmp_path):
    path = tmp_path / "m.pt"
    torch.save(torch.nn.LSTM(2, 3).state_dict(), path)
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "rnntrace", "import-torch", str(path)],
                         capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert out.returncode == 0 and "inputs:" in out.stdout, out.stderr[-400:]
    modules = [line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time")]
    assert modules and not [m for m in modules if m.split(".")[0] == "torch"]


def test_a_file_name_with_escapes_is_written_escaped(torch, tmp_path):
    from rnntrace.cli import main
    from rnntrace.spec import load_spec
    path = tmp_path / "m\x1b]0;title\x07.pt"
    torch.save(torch.nn.RNN(1, 1).state_dict(), path)
    target = tmp_path / "out.yaml"
    result = CliRunner().invoke(main, ["import-torch", str(path), "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\x07" not in text and "m\\x1b]0;title\\x07.pt" in text.splitlines()[0]
    assert load_spec(target).layers[0].size == 1


def test_a_pickle_past_its_bound_is_refused_before_it_is_unpickled(torch, tmp_path):
    """A small zip whose data.pkl unpacks to more than MAX_CONFIG_BYTES (a pickle of
    names and shapes needs a few KB a tensor): refused from the directory's size."""
    import zipfile
    from rnntrace.limits import MAX_CONFIG_BYTES
    path = tmp_path / "big.pt"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big/data.pkl", b"]" + b"(" * MAX_CONFIG_BYTES + b".")
    with pytest.raises(ConvertError, match=f"data.pkl unpacks to {MAX_CONFIG_BYTES + 2:,} bytes; at most"):
        read_state_dict(str(path), str(path))
