"""The baseline for the long-sequence case: a plain numpy LSTM loop.

It computes the same gates as ``rnntrace run SPEC --format jsonl`` on the spec that
bench/run.py generates (weights from weights.npz, inputs from inputs.npy) and writes
the same JSON lines: a header, then one object per step in the field names of
``rnntrace.trace/1``. Nothing here is clever; it is what a person would write by hand.

    python bench/lstm_loop.py weights.npz inputs.npy > trace.jsonl
"""
import json
import sys

import numpy as np

BLOCKS = ("cell_input", "input_gate", "forget_gate", "output_gate")


def sigmoid(z):
    # The stable form, as any careful loop would use: e^(−|z|) never overflows.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def main(weights_path, inputs_path):
    weights = np.load(weights_path, allow_pickle=False)
    W, U, b = weights["W"], weights["U"], weights["b"]    # 4×n×m, 4×n×n, 4×n
    xs = np.load(inputs_path, allow_pickle=False)
    n = b.shape[1]
    out = sys.stdout
    header = {"format": "rnntrace.trace/1",
              "layers": [{"name": "lstm", "type": "lstm", "size": n, "parameters": int(W.size + U.size + b.size)}]}
    out.write(json.dumps(header) + "\n")
    c = np.zeros(n)
    h = np.zeros(n)
    for t, x in enumerate(xs, start=1):
        gates = {}
        acts = []
        for k, name in enumerate(BLOCKS):
            z = W[k] @ x + b[k] + U[k] @ h
            a = np.tanh(z) if k == 0 else sigmoid(z)
            gates[name] = {"z": z.tolist(), "a": a.tolist()}
            acts.append(a)
        g, i, f, o = acts
        c_new = g * i + c * f
        h_new = np.tanh(c_new) * o
        line = {"t": t, "x": x.tolist(),
                "layers": {"lstm": {"c_prev": c.tolist(), "h_prev": h.tolist(), "gates": gates,
                                    "c": c_new.tolist(), "h": h_new.tolist()}},
                "y": h_new.tolist()}
        out.write(json.dumps(line) + "\n")
        c, h = c_new, h_new
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
