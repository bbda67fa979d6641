"""`rnntrace import-torch`, `import-keras` and `import-onnx`: a framework's model file
turned into a spec (docs/import.md)."""
from __future__ import annotations

import os

import click

from ..cli import Command
from ..errors import RnntraceError
from .common import Choice, write, save, complete_files


def _imported_inputs(text):
    """The ``--inputs`` of an imported model, as plain data for the spec, or None."""
    if text is None:
        return None
    from ..yamlsource import parse
    inputs = parse(text, "--inputs", "--inputs").data
    if inputs is None:
        raise RnntraceError("--inputs: expected a list of steps, found nothing")
    return inputs


def _label_list(text):
    """``dest, time,other`` → ["dest", "time", "other"]; None stays None."""
    return None if text is None else [x.strip() for x in text.split(",")]


def _write_imported(spec, comment: str, zeros: bool, output) -> None:
    """Every import's end: the spec as YAML under its comment (with a word on the stand-in
    inputs when none were given), to standard output or the file ``-o`` names."""
    from ..convert import spec_to_yaml
    if zeros:
        comment += "\nThe inputs are one step of zeros: put the sequence to run in their place."
    text = spec_to_yaml(spec, comment=comment)
    if output is None:
        write(text)
        return
    save(output, text, output)


# --------------------------------------------------------------------------- import-torch

class _TableChoice(Choice):
    """A Choice whose names come from a table, read when first needed (not at start-up)."""

    def __init__(self, load):
        self._load, self.case_sensitive = load, True

    @property
    def choices(self):
        return self._load()


def _dense_activations():
    from ..convert import DENSE_ACTIVATIONS   # the activation table's functions PyTorch has
    return DENSE_ACTIVATIONS


@click.command("import-torch", cls=Command)
@click.argument("weights", metavar="FILE.pt", shell_complete=complete_files)
@click.option("--inputs", "inputs_text", default=None, metavar="SEQUENCE",
              help="The input sequence in YAML or JSON, one list per step: '[[1, 0], [0, 1]]'. "
                   "Default: one step of zeros, to be replaced.")
@click.option("--nonlinearity", type=Choice(["tanh", "relu"]), default=None,
              help="nn.RNN's nonlinearity (a state_dict does not record it).  [default: tanh, said on stderr]")
@click.option("--activation", type=_TableChoice(_dense_activations),
              default="linear", show_default=True, help="What follows the last nn.Linear.")
@click.option("--labels", default=None, metavar="A,B,…", help="Names of the last nn.Linear's units.")
@click.option("--title", default=None, help="The spec's title.")
@click.option("-o", "--output", default=None, metavar="FILE", shell_complete=complete_files,
              help="Write the spec to FILE instead of standard output.")
def import_torch(weights, inputs_text, nonlinearity, activation, labels, title, output):
    """Turn the weights of a PyTorch model (nn.RNN, nn.LSTM, nn.GRU, nn.Linear; stacked
    and bidirectional too) into a spec, stacked in the order of the state_dict.

    FILE.pt is what `torch.save(model.state_dict(), "FILE.pt")` writes. rnntrace
    reads its zip archive itself, without PyTorch: the pickle inside builds tensors
    and plain containers only, never code from the file (meta, quantised, sparse
    and complex tensors are refused). A file of PyTorch before 1.6 needs PyTorch.

    \b
    Examples:
      rnntrace import-torch model.pt --inputs '[[1, 0], [0, 1]]' -o model.yaml
      rnntrace import-torch tagger.pt --activation softmax \\
          --labels dest,time,other | rnntrace run -
    """
    from ..convert import load_torch_file, spec_from_state_dict, unrecorded_nonlinearity
    from ..safetext import visible
    inputs = _imported_inputs(inputs_text)
    state, low = load_torch_file(weights)
    spec = spec_from_state_dict(state, source=weights, inputs=inputs, title=title,   # valid, or an error
                                nonlinearity=nonlinearity or "tanh", activation=activation,
                                labels=_label_list(labels))
    rnns = unrecorded_nonlinearity(spec)
    if rnns and nonlinearity is None:
        # A state_dict holds tensors only: nothing in it says whether nn.RNN used tanh or ReLU.
        click.echo(f"Note: {', '.join(rnns)}: an nn.RNN's state_dict does not record its nonlinearity; "
                   "assumed tanh (--nonlinearity relu if the model uses ReLU)", err=True)
    comment = f"Imported from {visible(os.path.basename(weights))}: weights as the model holds them."
    if low:
        comment += (f"\nThe file stores weights in {' and '.join(low)}; each is widened to float64 exactly, "
                    "and the spec computes in float64.")
    _write_imported(spec, comment, inputs is None, output)


# --------------------------------------------------------------------------- import-keras

@click.command("import-keras", cls=Command)
@click.argument("model", metavar="MODEL.keras|MODEL.h5")
@click.option("--inputs", "inputs_text", default=None, metavar="SEQUENCE",
              help="The input sequence in YAML or JSON, one list per step: '[[1, 0], [0, 1]]'. "
                   "Default: one step of zeros, to be replaced.")
@click.option("--labels", default=None, metavar="A,B,…", help="Names of the last Dense layer's units.")
@click.option("--output-number", "output_number", type=click.IntRange(min=1), default=None, metavar="N",
              help="Which output of the model the spec's y is, when its last layer gives several "
                   "(merge_mode=None: 1 forward, 2 backward; return_state=True: 1 the sequence); "
                   "the written spec's comments name them.")
@click.option("--title", default=None, help="The spec's title.")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the spec to FILE instead of standard output.")
def import_keras(model, inputs_text, labels, output_number, title, output):
    """Turn a Keras model (Embedding, SimpleRNN, LSTM, GRU, RNN of a cell,
    Bidirectional, Dense and TimeDistributed(Dense) layers; Masking, Dropout) into a
    spec, with the activations, biases and layer names the file records
    (docs/import.md).

    MODEL is what `model.save("MODEL.keras")` writes, or a legacy `.h5` file (`-`:
    standard input). rnntrace reads it as data (zip, JSON and HDF5 through h5py),
    every size and type checked before a number is read: Keras is not needed, and
    no code from the file is run (a Lambda layer is refused). Needs h5py (pip
    install 'rnntrace[keras]').

    \b
    Examples:
      rnntrace import-keras model.keras --inputs '[[1, 0], [0, 1]]' -o model.yaml
      rnntrace import-keras tagger.h5 --labels dest,time,other | rnntrace run -
      rnntrace import-keras bi.keras --output-number 2 -o backward.yaml
    """
    from ..convert_keras import load_keras_model, spec_from_keras
    from ..safetext import visible
    from ..spec import spec_from_dict
    inputs = _imported_inputs(inputs_text)
    source = load_keras_model(model)
    spec, notes = spec_from_keras(source, inputs=inputs, title=title,
                                  labels=_label_list(labels), output=output_number)
    spec_from_dict(spec, source=source.path)     # what is written is a valid spec
    made = f" (Keras {source.version})" if source.version else ""
    comment = "\n".join([f"Imported from {visible(os.path.basename(source.path))}{visible(made)}: weights as the "
                          "model holds them."]
                        + notes)
    _write_imported(spec, comment, inputs is None, output)


# --------------------------------------------------------------------------- import-onnx

@click.command("import-onnx", cls=Command)
@click.argument("model", metavar="MODEL.onnx", shell_complete=complete_files)
@click.option("--inputs", "inputs_text", default=None, metavar="SEQUENCE",
              help="The input sequence in YAML or JSON: one list per step '[[1, 0], [0, 1]]', ids "
                   "'[3, 0, 2]', or words with --lexicon. Default: one step of zeros, to be replaced.")
@click.option("--lexicon", "lexicon_file", default=None, metavar="FILE", shell_complete=complete_files,
              help="The words of an embedding table's rows, in order, one per line (- for stdin).")
@click.option("--labels", default=None, metavar="A,B,…", help="Names of the last dense layer's units.")
@click.option("--title", default=None, help="The spec's title.")
@click.option("-o", "--output", default=None, metavar="FILE", shell_complete=complete_files,
              help="Write the spec to FILE instead of standard output.")
def import_onnx(model, inputs_text, lexicon_file, labels, title, output):
    """Turn an ONNX model (LSTM, GRU and RNN nodes with every attribute, and the
    Gather, Gemm, MatMul, Add, Softmax and reshaping around them that torch.onnx.export
    and tf2onnx write) into a spec; anything else is refused, naming the node.

    MODEL.onnx is read with the onnx package (pip install 'rnntrace[onnx]'), without
    external data files; nothing in it is run. docs/import.md lists what is read.

    \b
    Examples:
      rnntrace import-onnx lstm.onnx --inputs '[[1, 0], [0, 1]]' -o lstm.yaml
      rnntrace import-onnx tagger.onnx --lexicon words.txt \\
          --inputs 'arrive Taipei on November' --labels dest,time,other | rnntrace run -
    """
    from ..safetext import visible
    from ..convert_onnx import import_onnx as read_onnx
    from ..spec import spec_from_dict
    from ..yamlsource import read_named
    inputs = _imported_inputs(inputs_text)
    if isinstance(inputs, str):
        inputs = inputs.split()
    lexicon = None
    if lexicon_file is not None:
        lexicon = read_named(lexicon_file, "--lexicon" if lexicon_file == "-" else lexicon_file, "lexicon").split()
        if not lexicon:
            raise RnntraceError(f"{lexicon_file}: no words (expected one word per line)")
    imported = read_onnx(model, inputs=inputs, lexicon=lexicon, labels=_label_list(labels), title=title)
    spec_from_dict(imported.spec, source=model)     # what is written is a valid spec
    comment = "\n".join([f"Imported from {visible(os.path.basename(model))}: weights as the model holds them."]
                        + imported.notes)
    _write_imported(imported.spec, comment, inputs is None, output)
