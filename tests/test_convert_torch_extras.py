"""PyTorch models beyond plain stacks, against PyTorch itself in float64: nn.Embedding
in front, batch_first modules, stacked bidirectional layers, nn.RNN with ReLU."""
import numpy as np
import pytest

from rnntrace import engine
from rnntrace.convert import ConvertError, spec_data_from_state_dict, spec_from_state_dict
from rnntrace.spec import spec_from_dict


def seeded(torch, module, seed=0, spread=1.0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1) * spread)
    return module.double()


def tagger(torch, cell="LSTM", batch_first=False, num_layers=1, bidirectional=False, **kwargs):
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(6, 3)
            self.rnn = getattr(torch.nn, cell)(3, 4, num_layers=num_layers, bidirectional=bidirectional,
                                               batch_first=batch_first, **kwargs)
            self.out = torch.nn.Linear(4 * (2 if bidirectional else 1), 2)

        def forward(self, ids):
            return torch.softmax(self.out(self.rnn(self.emb(ids))[0]), -1)
    return seeded(torch, Model())


IDS = [4, 0, 5, 2, 2, 1]


@pytest.mark.parametrize("cell,kwargs", [("LSTM", {}), ("GRU", {}), ("RNN", {"nonlinearity": "relu"}),
                                         ("RNN", {"nonlinearity": "tanh"})])
@pytest.mark.parametrize("batch_first", [False, True])
def test_embedding_then_a_recurrent_layer_matches_pytorch_word_by_word(torch, cell, kwargs, batch_first):
    model = tagger(torch, cell, batch_first, **kwargs)
    ids = torch.tensor([IDS]) if batch_first else torch.tensor(IDS)[:, None]
    with torch.no_grad():
        expected = model(ids)[0 if batch_first else slice(None)]
        expected = expected.numpy() if batch_first else expected[:, 0].numpy()
    spec = spec_from_state_dict(model, inputs=ids.numpy(), activation={"out": "softmax"})
    assert spec.layers[0].type == "embedding" and spec.layers[0].ids
    trace = engine.run(spec)
    np.testing.assert_allclose(np.array([s.y for s in trace]), expected, rtol=0, atol=1e-13)


def test_a_lexicon_names_the_rows_and_the_words_are_the_inputs(torch):
    model = tagger(torch)
    words = ["Taipei", "to", "arrive", "on", "November", "2nd"]
    data = spec_data_from_state_dict(model, inputs=[words[k] for k in IDS], lexicon=words)
    assert data["lexicon"] == words and data["inputs"][0] == "November"
    spec = spec_from_dict(data)
    by_id = engine.run(spec_from_state_dict(model, inputs=IDS))
    for a, b in zip(engine.run(spec), by_id):
        np.testing.assert_array_equal(a.y, b.y)
    assert spec.layers[0].words == tuple(words)


def test_a_bare_state_dict_tells_an_embedding_by_its_shape(torch):
    model = tagger(torch)
    data = spec_data_from_state_dict(model.state_dict(), inputs=IDS)
    assert [layer["type"] for layer in data["layers"]] == ["embedding", "lstm", "dense"]
    with pytest.raises(ConvertError, match="^out: an nn.Embedding has one 'weight' \\(V × D\\) and no bias"):
        spec_data_from_state_dict(model.state_dict(), inputs=IDS, embedding="out")


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "RNN"])
def test_stacked_bidirectional_layers_match_pytorch(torch, cell):
    model = tagger(torch, cell, num_layers=3, bidirectional=True)
    ids = torch.tensor(IDS)[:, None]
    with torch.no_grad():
        expected = model(ids)[:, 0].numpy()
    spec = spec_from_state_dict(model, inputs=IDS, activation={"out": "softmax"})
    assert [layer.type for layer in spec.layers] == ["embedding"] + ["bidirectional"] * 3 + ["dense"]
    trace = engine.run(spec)
    np.testing.assert_allclose(np.array([s.y for s in trace]), expected, rtol=0, atol=1e-13)


def test_a_batch_of_several_sequences_is_refused(torch):
    model = tagger(torch, batch_first=True)
    with pytest.raises(ConvertError, match="a batch of 2 sequences"):
        spec_data_from_state_dict(model, inputs=[IDS, IDS])


@pytest.mark.parametrize("bidirectional,num_layers", [(False, 1), (True, 2)])
def test_lstm_with_proj_size_matches_pytorch_forward_and_gradients(torch, bidirectional, num_layers):
    """h = W_hr·(o∘tanh(c)): the spec's projection; Embedding → LSTM(proj_size) → Linear,
    word by word, and every gradient of Σ_t ½‖y_t − target_t‖² against autograd."""
    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(6, 3)
            self.lstm = torch.nn.LSTM(3, 4, proj_size=2, bidirectional=bidirectional, num_layers=num_layers)
            self.out = torch.nn.Linear(4 if bidirectional else 2, 2)

        def forward(self, ids, h0=None):
            return self.out(self.lstm(self.emb(ids), h0)[0])
    model = seeded(torch, Model(), seed=3, spread=1.5)
    ids = torch.tensor(IDS)[:, None]
    D = 2 if bidirectional else 1
    gen = torch.Generator().manual_seed(5)
    h0 = torch.randn(num_layers * D, 1, 2, generator=gen, dtype=torch.float64)
    c0 = torch.randn(num_layers * D, 1, 4, generator=gen, dtype=torch.float64)
    targets = torch.randn(len(IDS), 2, generator=gen, dtype=torch.float64)
    y = model(ids, (h0, c0))[:, 0]
    loss = 0.5 * ((y - targets) ** 2).sum()
    loss.backward()
    data = spec_data_from_state_dict(model, inputs=IDS, initial={"lstm": (h0, c0)})
    data["train"] = {"targets": targets.numpy().tolist()}
    spec = spec_from_dict(data)
    trace = engine.run(spec)
    np.testing.assert_allclose(np.array([s.y for s in trace]), y.detach().numpy(), rtol=0, atol=1e-13)
    from rnntrace.engine.bptt import backprop
    grads = backprop(spec, trace).gradients
    first = spec.layers[1].name
    w_hr = grads[f"{first}.forward.projection" if bidirectional else f"{first}.projection"]
    np.testing.assert_allclose(w_hr, model.lstm.weight_hr_l0.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(grads["embedding.E"], model.emb.weight.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(grads["dense.W"], model.out.weight.grad.numpy(), rtol=0, atol=1e-12)
