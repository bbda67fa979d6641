"""import-onnx: ONNX's own published LSTM, GRU and RNN test cases reproduced; random
single-node models over every attribute against onnxruntime (float32) and
onnx.reference (float64); the plumbing torch.onnx.export writes; the refusals."""
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from rnntrace import engine
from rnntrace.cli import main
from rnntrace.convert import ConvertError
from rnntrace.convert_onnx import import_onnx, output_value
from rnntrace.spec import spec_from_dict

from onnx_models import compare, random_model
from conftest import require_module

onnx = require_module("onnx", "ONNX models")

#: Every activation an ONNX recurrent operator may name.
ACTIVATIONS = ("Sigmoid", "Tanh", "Relu", "HardSigmoid", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "Affine",
               "Elu", "Softsign", "Softplus")


def backend_cases():
    """ONNX's node test cases of the three operators: importing their three modules
    makes them (collect_testcases would make all 1,800 of every operator)."""
    import importlib
    from onnx.backend.test.case import node
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(node, "_NodeTestCases"):
            for name in ("lstm", "gru", "rnn"):
                importlib.import_module(f"onnx.backend.test.case.node.{name}")
            cases = list(node._NodeTestCases)
        else:
            cases = node.collect_testcases("")
    return {c.name: c for c in cases if c.name.startswith(("test_lstm", "test_gru", "test_rnn", "test_simple_rnn"))}


CASES = backend_cases()


def test_every_published_case_is_here():
    # onnx 1.23 publishes 18 cases for the three operators; a new one would show up here
    assert len(CASES) >= 18 and {"test_lstm_with_peepholes", "test_gru_seq_length", "test_lstm_batchwise",
                                  "test_simple_rnn_bidirectional"} <= set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_onnx_backend_case_is_reproduced(name):
    """The model, its inputs (as graph inputs) and its expected outputs as ONNX ships
    them: every batch entry imported as its own spec and run in float64."""
    case = CASES[name]
    graph = case.model.graph
    for inputs, outputs in case.data_sets:
        feeds = dict(zip([i.name for i in graph.input], inputs))
        expected = dict(zip([o.name for o in graph.output], outputs))
        batch = feeds["X"].shape[0 if any(a.name == "layout" and a.i for a in graph.node[0].attribute) else 1]
        for output, ours, theirs in compare(case.model, feeds, batch, expected):
            np.testing.assert_allclose(ours, theirs, rtol=case.rtol, atol=case.atol, err_msg=output)
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6, err_msg=output)   # float32 data


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_random_models_agree_with_onnxruntime_in_float32(op):
    """Every attribute onnxruntime's CPU operators take (layout 0 only): directions,
    activations, biases, initial states, peepholes, sequence_lens, linear_before_reset,
    clip and input_forget."""
    ort = require_module("onnxruntime", "the ONNX comparisons")
    rng = np.random.default_rng({"LSTM": 1, "GRU": 2, "RNN": 3}[op])
    seen = set()
    for _ in range(16):
        model, feeds, batches = random_model(rng, op, dtype="float32", activations=ACTIVATIONS, sequence_lens=True,
                                             variants=True)
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in model.graph.node[0].attribute}
        attrs["activations"] = [name.decode() for name in attrs.get("activations", [])]
        seen |= {attrs["direction"].decode(), *("sequence_lens" in feeds, "P" in feeds)}
        seen |= {key for key in ("clip", "input_forget") if key in attrs}
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        expected = dict(zip([o.name for o in model.graph.output], session.run(None, feeds)))
        for output, ours, theirs in compare(model, feeds, batches, expected):
            finite = np.isfinite(theirs)
            if not finite.all():
                # onnxruntime's float32 Softplus is log(1 + e^z): e^z overflows above z ≈ 88.7
                assert "Softplus" in attrs["activations"] and np.isfinite(ours).all(), output
            # bounded functions keep float32's rounding small; unbounded ones (a ReLU cell grows
            # to hundreds over a few steps) carry it along with the values
            bounded = set(attrs["activations"]) <= {"Sigmoid", "Tanh", "HardSigmoid", "Softsign"}
            np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-5 if bounded else 1e-4, atol=1e-5,
                                       err_msg=output)
    assert {"forward", "reverse", "bidirectional", True, "clip"} <= seen
    assert op != "LSTM" or "input_forget" in seen


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_random_models_agree_with_onnx_reference_in_float64(op):
    """onnx.reference computes in float64 (it ignores activations, clip, input_forget
    and sequence_lens, so those are left at their defaults here); layout 1 too."""
    from onnx.reference import ReferenceEvaluator
    rng = np.random.default_rng({"LSTM": 11, "GRU": 12, "RNN": 13}[op])
    layouts = set()
    for _ in range(10):
        layout = int(rng.integers(0, 2))
        layouts.add(layout)
        model, feeds, batches = random_model(rng, op, layout=layout)
        expected = dict(zip([o.name for o in model.graph.output], ReferenceEvaluator(model).run(None, feeds)))
        for output, ours, theirs in compare(model, feeds, batches, expected):
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9, err_msg=output)
    assert layouts == {0, 1}


# --------------------------------------------------------------------------- what torch.onnx.export writes

def export(torch, module, example, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), str(path), dynamo=False, input_names=["x"], output_names=["y"])
    return onnx.load(str(path))


class Tagger:
    """Embedding → LSTM → Linear → softmax, as PyTorch models of a slot-filling tagger are."""

    @staticmethod
    def make(torch, bidirectional=False, cell="LSTM", vocabulary=7):
        class Model(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = torch.nn.Embedding(vocabulary, 3)
                self.rnn = getattr(torch.nn, cell)(3, 4, bidirectional=bidirectional)
                self.out = torch.nn.Linear(8 if bidirectional else 4, 3)

            def forward(self, ids):
                return torch.softmax(self.out(self.rnn(self.emb(ids))[0]), -1)
        torch.manual_seed(0)
        return Model().float()   # what is exported: float32, as models are saved


@pytest.mark.parametrize("cell,bidirectional", [("LSTM", False), ("LSTM", True), ("GRU", False), ("RNN", True)])
def test_a_torch_onnx_export_of_a_tagger_agrees_word_by_word_with_onnxruntime(torch, tmp_path, cell,
                                                                               bidirectional):
    ort = require_module("onnxruntime", "the ONNX comparisons")
    model = Tagger.make(torch, bidirectional, cell)
    ids = torch.tensor([[3], [0], [6], [2], [2]])
    proto = export(torch, model, ids, tmp_path / "tagger.onnx")
    session = ort.InferenceSession(str(tmp_path / "tagger.onnx"), providers=["CPUExecutionProvider"])
    theirs = session.run(None, {"x": ids.numpy()})[0][:, 0, :]
    words = list("abcdefg")
    imported = import_onnx(proto, inputs=[words[int(k)] for k in ids[:, 0]], lexicon=words, labels=["B", "I", "O"])
    assert [layer["type"] for layer in imported.spec["layers"]] == \
        ["embedding", "bidirectional" if bidirectional else {"LSTM": "lstm", "GRU": "gru", "RNN": "elman"}[cell],
         "dense"]
    trace = engine.run(spec_from_dict(imported.spec))
    ours = np.array([step.y for step in trace])
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    assert [step.layers["dense"].label for step in trace] == ["BIO"[k] for k in np.argmax(theirs, axis=1)]
    with torch.no_grad():   # and PyTorch itself, in float64
        expected = model.double()(ids)[:, 0, :].numpy()
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-6)   # the file holds float32 weights


def test_the_written_spec_names_weights_and_gate_orders(torch, tmp_path):
    model = Tagger.make(torch)
    export(torch, model, torch.tensor([[1], [2]]), tmp_path / "m.onnx")
    result = CliRunner().invoke(main, ["import-onnx", str(tmp_path / "m.onnx"), "--inputs", "[1, 2]"])
    assert result.exit_code == 0, result.output
    assert "# emb.weight (7 × 3): the embedding table E" in result.output
    assert "ONNX's gate order i, o, f, c; b = Wb + Rb" in result.output
    assert "output y: dense at every step" in result.output
    spec = spec_from_dict(__import__("yaml").safe_load(result.output))
    assert spec.layers[0].ids


# --------------------------------------------------------------------------- refusals

def single(op_type, inputs, outputs, **attrs):
    from onnx import TensorProto, helper
    node = helper.make_node(op_type, inputs, outputs, name="the_node", **attrs)
    return node, helper, TensorProto


def test_an_unknown_operator_is_refused_naming_the_node_and_its_type():
    model, feeds, _ = random_model(np.random.default_rng(4), "RNN", dtype="float32")
    from onnx import helper
    extra = helper.make_node("LayerNormalization", ["Y", "W"], ["Z"], name="norm")
    model.graph.node.append(extra)
    with pytest.raises(ConvertError, match=r"node 'norm' \(LayerNormalization\): this operator has no spec"):
        import_onnx(model, inputs=feeds["X"], feeds={k: v for k, v in feeds.items() if k != "X"})


@pytest.mark.parametrize("attribute,value,reason", [
    ("clip", -1.0, "clip=-1.0: expected a positive threshold"),
    ("activations", ["Gelu", "Tanh", "Tanh"], "activation Gelu is not in the spec's activation table"),
])
def test_what_the_spec_cannot_say_yet_is_refused(attribute, value, reason):
    model, feeds, _ = random_model(np.random.default_rng(5), "LSTM", dtype="float32")
    node = model.graph.node[0]
    if node.attribute and any(a.name == "direction" for a in node.attribute):
        for a in node.attribute:
            if a.name == "direction":
                a.s = b"forward"
    from onnx import helper
    node.attribute.append(helper.make_attribute(attribute, value))
    feeds = {k: v[:1] if k in ("W", "R", "B", "P") else v for k, v in feeds.items()}
    with pytest.raises(ConvertError, match=reason):
        import_onnx(model, inputs=feeds["X"], feeds={k: v for k, v in feeds.items() if k != "X"})


def test_external_data_is_refused_without_reading_it(tmp_path):
    model, feeds, _ = random_model(np.random.default_rng(6), "GRU", dtype="float32")
    for name in ("W", "R"):
        model.graph.initializer.append(onnx.numpy_helper.from_array(feeds[name], name))
    onnx.save(model, str(tmp_path / "m.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)
    (tmp_path / "weights.bin").unlink()      # never opened: its absence changes nothing
    result = CliRunner().invoke(main, ["import-onnx", str(tmp_path / "m.onnx")])
    assert result.exit_code == 2
    assert "stored in an external data file" in result.output and "Traceback" not in result.output


def test_an_oversized_or_broken_file_is_refused_before_reading(tmp_path, monkeypatch):
    import rnntrace.convert_onnx as convert_onnx
    path = tmp_path / "big.onnx"
    path.write_bytes(b"\x00" * 2048)
    monkeypatch.setattr(convert_onnx, "MAX_ONNX_BYTES", 1024)
    result = CliRunner().invoke(main, ["import-onnx", str(path)])
    assert result.exit_code == 2 and "2,048 bytes; an ONNX model is read up to 1,024 bytes" in result.output
    monkeypatch.undo()
    (tmp_path / "junk.onnx").write_bytes(b"this is not protobuf \xff\xfe")
    result = CliRunner().invoke(main, ["import-onnx", str(tmp_path / "junk.onnx")])
    assert result.exit_code == 2 and "not an ONNX model" in result.output
    result = CliRunner().invoke(main, ["import-onnx", str(tmp_path / "none.onnx")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_a_graph_output_of_a_selected_direction_is_refused():
    """A Slice of one direction out of a bidirectional layer's output cannot be passed on."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(8)
    weights = {"W": rng.normal(size=(2, 2, 3)), "R": rng.normal(size=(2, 2, 2)), "s": np.array([0]),
               "e": np.array([1]), "a": np.array([1])}
    nodes = [helper.make_node("RNN", ["X", "W", "R"], ["Y"], name="rnn", hidden_size=2, direction="bidirectional"),
             helper.make_node("Slice", ["Y", "s", "e", "a"], ["Z"], name="cut")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [4, 1, 3])],
                              [helper.make_tensor_value_info("Z", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v.astype(np.float32 if v.dtype.kind == "f" else np.int64), k)
                               for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    with pytest.raises(ConvertError, match=r"node 'cut' \(Slice\): selects one direction"):
        import_onnx(model, inputs=rng.normal(size=(4, 3)))


def ulps(ours, theirs):
    """|a − b| in units of the last place of the larger of the two float32 numbers."""
    ours, theirs = np.asarray(ours, np.float32), np.asarray(theirs, np.float32)
    return np.abs(ours.astype(np.float64) - theirs) / np.spacing(np.maximum(np.abs(ours), np.abs(theirs)))


def test_float32_runs_stay_within_the_ulps_docs_spec_md_states(torch):
    """docs/spec.md, "float32 said as it is": a --dtype float32 run is not a framework's
    rounding; over these networks it stays within 512 ulps and 1e-6 of onnxruntime's and
    PyTorch's float32 outputs (bounded activations: unbounded ones carry their rounding
    into values that grow without limit)."""
    ort = require_module("onnxruntime", "the ONNX comparisons")
    worst_ulps = worst = 0.0
    for op, seed in (("LSTM", 1), ("GRU", 2), ("RNN", 3)):
        rng = np.random.default_rng(seed)
        for _ in range(16):
            model, feeds, batches = random_model(rng, op, dtype="float32", sequence_lens=True)
            session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            expected = dict(zip([o.name for o in model.graph.output], session.run(None, feeds)))
            for _, ours, theirs in compare(model, feeds, batches, expected, dtype="float32"):
                assert ours.dtype == np.float32
                worst_ulps = max(worst_ulps, ulps(ours, theirs).max())
                worst = max(worst, np.abs(ours.astype(np.float64) - theirs).max())
    from rnntrace.convert import spec_from_state_dict
    for cell in ("RNN", "LSTM", "GRU"):
        for bidirectional in (False, True):
            gen = torch.Generator().manual_seed(len(cell) + bidirectional)
            module = getattr(torch.nn, cell)(3, 4, num_layers=2, bidirectional=bidirectional).float()
            with torch.no_grad():
                for p in module.parameters():
                    p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float32) * 2 - 1)
                x = torch.randn(8, 1, 3, generator=gen, dtype=torch.float32)
                theirs = module(x)[0][:, 0].numpy()
            trace = engine.run(spec_from_state_dict(module, inputs=x[:, 0].numpy()), dtype="float32")
            ours = np.array([step.y for step in trace])
            worst_ulps = max(worst_ulps, ulps(ours, theirs).max())
            worst = max(worst, np.abs(ours.astype(np.float64) - theirs).max())
    assert 0 < worst_ulps <= 512 and worst <= 1e-6, (worst_ulps, worst)


def test_batch_major_plumbing_as_tf2onnx_writes_it_agrees_with_onnxruntime():
    """A Keras model through tf2onnx: a batch-major input (B, T, F) transposed for the
    LSTM, Y squeezed and transposed back, a Dense as MatMul + Add, a softmax; and the
    last step's state taken through Y_h into a second dense head."""
    from onnx import TensorProto, helper, numpy_helper
    ort = require_module("onnxruntime", "the ONNX comparisons")
    rng = np.random.default_rng(21)
    H, F, T = 3, 2, 5
    weights = {"W": rng.uniform(-1, 1, (1, 4 * H, F)), "R": rng.uniform(-1, 1, (1, 4 * H, H)),
               "B": rng.uniform(-1, 1, (1, 8 * H)), "K": rng.uniform(-1, 1, (H, 4)), "k": rng.uniform(-1, 1, 4),
               "axes": np.array([1]), "K2": rng.uniform(-1, 1, (H, 2))}
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2], name="to_time_major"),
             helper.make_node("LSTM", ["xt", "W", "R", "B"], ["Y", "Y_h"], hidden_size=H, name="lstm"),
             helper.make_node("Squeeze", ["Y", "axes"], ["Ys"], name="squeeze"),
             helper.make_node("Transpose", ["Ys"], ["Yb"], perm=[1, 0, 2], name="to_batch_major"),
             helper.make_node("MatMul", ["Yb", "K"], ["z"], name="dense/MatMul"),
             helper.make_node("Add", ["z", "k"], ["zb"], name="dense/BiasAdd"),
             helper.make_node("Softmax", ["zb"], ["y"], axis=-1, name="dense/Softmax")]
    graph = helper.make_graph(nodes, "keras", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, T, F])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v.astype(np.int64 if k == "axes" else np.float32), k)
                               for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x = rng.normal(size=(1, T, F)).astype(np.float32)
    theirs = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    imported = import_onnx(model, inputs=x)
    assert [layer["type"] for layer in imported.spec["layers"]] == ["lstm", "dense"]
    trace = engine.run(spec_from_dict(imported.spec))
    np.testing.assert_allclose(output_value(trace, imported, "y"), theirs, rtol=0, atol=1e-6)
    # the final state feeding a head: the output at the last step
    with pytest.raises(ConvertError, match=r"node 'head' \(MatMul\): reads the output of an earlier layer"):
        branch = helper.make_graph(nodes + [helper.make_node("Squeeze", ["Y_h", "axes"], ["hT"], name="last"),
                                            helper.make_node("MatMul", ["hT", "K2"], ["y2"], name="head")],
                                   "branch", graph.input, list(graph.output) + [
                                       helper.make_tensor_value_info("y2", TensorProto.FLOAT, None)], graph.initializer)
        import_onnx(helper.make_model(branch, opset_imports=[helper.make_opsetid("", 17)]), inputs=x)
    head = nodes[:2] + [helper.make_node("Squeeze", ["Y_h", "axes"], ["hT"], name="last"),
                        helper.make_node("MatMul", ["hT", "K2"], ["y2"], name="head")]
    model = helper.make_model(helper.make_graph(head, "last", graph.input, [helper.make_tensor_value_info(
        "y2", TensorProto.FLOAT, None)], graph.initializer), opset_imports=[helper.make_opsetid("", 17)])
    theirs = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    imported = import_onnx(model, inputs=x[0])
    assert "output y2: dense at the last step" in imported.notes
    trace = engine.run(spec_from_dict(imported.spec))
    np.testing.assert_allclose(output_value(trace, imported, "y2"), theirs, rtol=0, atol=1e-6)


def test_import_onnx_with_a_lexicon_reads_words(torch, tmp_path):
    model = Tagger.make(torch)
    export(torch, model, torch.tensor([[1], [2]]), tmp_path / "m.onnx")
    (tmp_path / "words.txt").write_text("\n".join("abcdefg") + "\n")
    result = CliRunner().invoke(main, ["import-onnx", str(tmp_path / "m.onnx"), "--lexicon", str(tmp_path / "words.txt"),
                                       "--inputs", "g a c", "--labels", "B,I,O"])
    assert result.exit_code == 0, result.output
    data = __import__("yaml").safe_load(result.output)
    assert data["lexicon"] == list("abcdefg") and data["inputs"] == ["g", "a", "c"]
    assert data["layers"][-1]["labels"] == ["B", "I", "O"]
    bad = CliRunner().invoke(main, ["import-onnx", str(tmp_path / "m.onnx"), "--lexicon", str(tmp_path / "words.txt"),
                                    "--inputs", "g a z"])
    assert bad.exit_code == 2 and "'z' is not in the lexicon" in bad.output, bad.output
