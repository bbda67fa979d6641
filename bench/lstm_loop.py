"""The baseline for the long-sequence cases: a plain numpy LSTM loop.

It computes the same gates as ``rnntrace run SPEC --format jsonl`` on the spec that
bench/run.py generates (weights from weights.npz, inputs from inputs.npy) and writes
the same JSON lines: a header, then one object per step in the field names of
``rnntrace.trace/1``. It is what a careful person would write by hand: the four blocks'
weights stacked into one matrix, so that one product W·x + b + U·h gives every z at
once (z_g, z_i, z_f, z_o, n rows each), and one sigmoid call for the three gates.

    python bench/lstm_loop.py weights.npz inputs.npy > trace.jsonl
    python bench/lstm_loop.py --orjson weights.npz inputs.npy > trace.jsonl

``--orjson`` writes each line with orjson (numpy arrays serialised directly) instead
of json.dumps: the fastest loop a person would write in Python.
"""
import json
import sys

import numpy as np

BLOCKS = ("cell_input", "input_gate", "forget_gate", "output_gate")


def sigmoid(z):
    # The stable form, as any careful loop would use: e^(−|z|) never overflows.
    e = np.exp(-np.abs(z))
    d = 1.0 + e
    return np.where(z >= 0, 1.0 / d, e / d)


def main(weights_path, inputs_path, fast=False):
    weights = np.load(weights_path, allow_pickle=False)
    W, U, b = weights["W"], weights["U"], weights["b"]    # 4×n×m, 4×n×n, 4×n
    xs = np.load(inputs_path, allow_pickle=False)
    n = b.shape[1]
    Ws, Us, bs = W.reshape(4 * n, -1), U.reshape(4 * n, n), b.reshape(4 * n)   # the blocks stacked
    header = {"format": "rnntrace.trace/1",
              "layers": [{"name": "lstm", "type": "lstm", "size": n, "parameters": int(W.size + U.size + b.size)}]}
    if fast:
        import orjson
        out = sys.stdout.buffer
        dumps = orjson.dumps
        option = orjson.OPT_SERIALIZE_NUMPY
        out.write(dumps(header) + b"\n")
    else:
        out = sys.stdout
        out.write(json.dumps(header) + "\n")
    c = np.zeros(n)
    h = np.zeros(n)
    for t, x in enumerate(xs, start=1):
        z = Ws @ x + bs + Us @ h
        g = np.tanh(z[:n])
        ifo = sigmoid(z[n:])
        i, f, o = ifo[:n], ifo[n:2 * n], ifo[2 * n:]
        c_new = g * i + c * f
        h_new = np.tanh(c_new) * o
        if fast:
            gates = {name: {"z": z[k * n:(k + 1) * n], "a": a}
                     for k, (name, a) in enumerate(zip(BLOCKS, (g, i, f, o)))}
            line = {"t": t, "x": x, "layers": {"lstm": {"c_prev": c, "h_prev": h, "gates": gates,
                                                        "c": c_new, "h": h_new}}, "y": h_new}
            out.write(dumps(line, option=option) + b"\n")
        else:
            gates = {name: {"z": z[k * n:(k + 1) * n].tolist(), "a": a.tolist()}
                     for k, (name, a) in enumerate(zip(BLOCKS, (g, i, f, o)))}
            line = {"t": t, "x": x.tolist(),
                    "layers": {"lstm": {"c_prev": c.tolist(), "h_prev": h.tolist(), "gates": gates,
                                        "c": c_new.tolist(), "h": h_new.tolist()}},
                    "y": h_new.tolist()}
            out.write(json.dumps(line) + "\n")
        c, h = c_new, h_new
    out.flush()


if __name__ == "__main__":
    args = sys.argv[1:]
    fast = "--orjson" in args
    args = [a for a in args if a != "--orjson"]
    main(args[0], args[1], fast)
