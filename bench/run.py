"""Benchmarks: each case against a baseline run side by side on the same machine.

    python bench/run.py                 every case, 7 rounds
    python bench/run.py --runs 15 startup
    python bench/run.py --list
    python bench/run.py --instructions startup     # instructions executed, with valgrind

Every input is generated in a temporary folder. Each round runs every case and its
baseline one after the other, alternating which goes first, so that whatever else the
machine is doing falls on both; the table shows medians and their ratio. Time is the
child's CPU time, user + system (os.wait4 in bench/spawn.py), which other work on a
shared machine moves far less than wall-clock time; peak memory is the child's own
maximum resident set size.

On a machine shared with other work CPU time still moves by several per cent from one
run of the bench to the next. ``--instructions`` counts the instructions each command
executes instead (valgrind's callgrind, with one BLAS thread, a fixed hash seed and no
address randomisation): the same count on every run, so one round is enough and a
change of 1% shows. It leaves out the kernel's time (page faults, reading files), which
CPU time includes; use it to compare versions, CPU time for the README's table.

Adding a case: write a ``Case`` into ``CASES`` below. ``command`` and ``baseline`` are
argument lists in which ``{tmp}`` is the folder of generated inputs, ``{rnntrace}``
the installed command and ``{python}`` this interpreter (an argument with ``*`` is
expanded as a shell would); put what the case needs into ``generate()``. ``requires`` names a subcommand that must exist (cases for commands
still being written are skipped until they land).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable

LONG_STEPS = 20_000
LONG_UNITS = 16
LONG_INPUTS = 8
JSONL_UNITS = (8, 64)   # the hidden sizes of the jsonl cases
GRAD_STEPS = 1_000
CLASS_SIZE = 500


@dataclass
class Case:
    name: str
    what: str
    command: List[str]
    baseline: List[str]
    target: Optional[float] = None            # time ratio to stay under
    memory_target: Optional[float] = None     # peak-memory ratio to stay under
    per_item: Optional[int] = None            # report (command − baseline) / per_item instead of a ratio
    per_item_target_ms: Optional[float] = None
    requires: Optional[str] = None            # an rnntrace subcommand that must exist
    requires_module: Optional[str] = None     # a module that must be installed (an optional extra)
    exit_codes: tuple = (0, 1)                # what a normal run of either side exits with
    verify: Optional[Callable[[Path], Optional[str]]] = field(default=None, repr=False)


def _verify_jsonl(tmp: Path, name: str) -> Optional[str]:
    """The baseline loop must compute what rnntrace computes: compare every number."""
    env = clean_env()
    case = CASE_BY_NAME[name]
    ours = subprocess.run(expand(case.command, tmp), capture_output=True, env=env)
    base = subprocess.run(expand(case.baseline, tmp), capture_output=True, env=env)
    if ours.returncode or base.returncode:
        return f"exit codes {ours.returncode} / {base.returncode}: {ours.stderr.decode()[-300:]}"
    a, b = ours.stdout.splitlines(), base.stdout.splitlines()
    if len(a) != len(b):
        return f"{len(a)} lines against the baseline's {len(b)}"
    if json.loads(a[0]) != json.loads(b[0]):
        return "the header lines differ"
    worst = 0.0
    for line_a, line_b in zip(a[1:], b[1:]):
        x, y = _numbers(json.loads(line_a)), _numbers(json.loads(line_b))
        if len(x) != len(y):
            return "a step has other fields than the baseline's"
        worst = max(worst, float(np.max(np.abs(np.subtract(x, y)))))
    if worst > 1e-12:
        return f"numbers differ from the baseline's by up to {worst:.3g}"
    return None


def _verifies(name: str) -> Callable[[Path], Optional[str]]:
    return lambda tmp: _verify_jsonl(tmp, name)


def _numbers(value) -> list:
    if isinstance(value, dict):
        return [n for key in sorted(value) for n in _numbers(value[key])]
    if isinstance(value, list):
        return [n for item in value for n in _numbers(item)]
    return [value]


def _jsonl_cases(units: int) -> List[Case]:
    """An LSTM of ``units`` units over LONG_STEPS steps as JSON lines, with the plain
    writer and with orjson, each against the numpy loop with its gates in one stacked
    product, writing with json.dumps."""
    loop = ["{python}", str(HERE / "lstm_loop.py"), f"{{tmp}}/weights{units}.npz", "{tmp}/inputs.npy"]
    spec = f"{{tmp}}/long{units}.yaml"
    return [
        Case(f"jsonl-{units}", f"{LONG_STEPS:,}-step LSTM ({units} units, {LONG_INPUTS} inputs from a .npy) as "
             "jsonl with the plain json writer, against bench/lstm_loop.py (gates in one stacked product, "
             "json.dumps)",
             ["{python}", str(HERE / "no_orjson.py"), "run", spec, "--format", "jsonl"], loop,
             target=1.0, memory_target=1.3, verify=_verifies(f"jsonl-{units}")),
        Case(f"jsonl-{units}-fast", "the same with orjson installed (rnntrace[fast]), against the same json.dumps "
             "loop", ["{rnntrace}", "run", spec, "--format", "jsonl"], loop,
             target=0.6, memory_target=1.3, requires_module="orjson", verify=_verifies(f"jsonl-{units}-fast")),
    ]


CASES = [
    Case("startup-json", "run lstm_example.yaml --format json, against importing numpy, yaml, click",
         ["{rnntrace}", "run", "{tmp}/lstm_example.yaml", "--format", "json"],
         ["{python}", "-c", "import numpy, yaml, click"], target=1.12),
    Case("startup-table", "run lstm_example.yaml (tables), against importing those and rich",
         ["{rnntrace}", "run", "{tmp}/lstm_example.yaml"],
         ["{python}", "-c", "import numpy, yaml, click, rich.console, rich.table"], target=1.15),
    Case("page", "page lstm_example.yaml -o FILE (the interactive page), against run --format json",
         ["{rnntrace}", "page", "{tmp}/lstm_example.yaml", "-o", "{tmp}/page.html"],
         ["{rnntrace}", "run", "{tmp}/lstm_example.yaml", "--format", "json"], target=1.3, requires="page"),
    Case("help", "rnntrace --help, against importing click",
         ["{rnntrace}", "--help"], ["{python}", "-c", "import click"]),
    *(case for units in (8, 64) for case in _jsonl_cases(units)),
    Case("jsonl-orjson", f"jsonl-8-fast against the loop written with orjson (bench/lstm_loop.py --orjson)",
         ["{rnntrace}", "run", "{tmp}/long8.yaml", "--format", "jsonl"],
         ["{python}", str(HERE / "lstm_loop.py"), "--orjson", "{tmp}/weights8.npz", "{tmp}/inputs.npy"],
         requires_module="orjson", verify=_verifies("jsonl-orjson")),
    Case("import-keras", "import-keras of a small .keras model (an LSTM and a Dense layer), against `import keras`",
         ["{rnntrace}", "import-keras", "{tmp}/model.keras", "--inputs", "[[1, 0], [0, 1]]"],
         ["{python}", "-c", "import keras"], target=0.5, requires="import-keras", requires_module="keras"),
    Case("yaml-20k", f"validate the same spec with its {LONG_STEPS:,} steps inline in YAML, "
         "against yaml.load with libyaml",
         ["{rnntrace}", "validate", "{tmp}/long_inline.yaml"],
         ["{python}", "-c", "import sys, yaml; yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)",
          "{tmp}/long_inline.yaml"]),
    Case("table-20k", f"run the {LONG_STEPS:,}-step spec as a table (a chart), against its jsonl run",
         ["{rnntrace}", "run", "{tmp}/long.yaml"],
         ["{rnntrace}", "run", "{tmp}/long.yaml", "--format", "jsonl"]),
    Case("grad-1000", f"grad of a {GRAD_STEPS:,}-step LSTM ({LONG_UNITS} units, a target every step) as JSON, "
         "against its forward run as JSON (goal: well under a second in all)",
         ["{rnntrace}", "grad", "{tmp}/grad.yaml", "--format", "json"],
         ["{rnntrace}", "run", "{tmp}/grad.yaml", "--format", "json"], requires="grad"),
    Case("check-500", f"check {CLASS_SIZE} answer files in one run; ms per extra file",
         ["{rnntrace}", "check", "{tmp}/lstm_example.yaml", "{tmp}/answers/*.yaml"],
         ["{rnntrace}", "check", "{tmp}/lstm_example.yaml", "{tmp}/answers/student000.yaml"],
         per_item=CLASS_SIZE - 1, per_item_target_ms=5.0, requires="check",
         exit_codes=(0, 1, 2)),   # 1: some answers are wrong; 2: one file is unreadable
]

# The page at scale (docs/page.md): an 8-unit LSTM with 4 inputs at T = 5, 1,000 and
# 10,000 steps, the page's generation against its own `run --format json` (targets:
# 2× the time, 1.5× the memory). What the browser does with these pages (opening,
# an edit, a step, bytes per step) is measured by bench/page_browser.py.
PAGE_STEPS = (5, 1_000, 10_000)
CASES += [Case(f"page-{steps}", f"page of an 8-unit LSTM, 4 inputs, {steps:,} steps, against its run --format json",
               ["{rnntrace}", "page", f"{{tmp}}/page{steps}.yaml", "-o", f"{{tmp}}/page{steps}.html"],
               ["{rnntrace}", "run", f"{{tmp}}/page{steps}.yaml", "--format", "json"],
               target=2.0, memory_target=1.5, requires="page") for steps in PAGE_STEPS]


def generate_page_specs(tmp: Path) -> None:
    """page<T>.yaml: an 8-unit LSTM with 4 inputs and random weights, T steps of inputs."""
    rng = np.random.default_rng(11)
    lines = ["layers:", "  - name: lstm", "    type: lstm", "    size: 8"]
    for block in ("cell_input", "input_gate", "forget_gate", "output_gate"):
        lines += [f"    {block}:", f"      W: {json.dumps(rng.normal(0, 0.5, (8, 4)).tolist())}",
                  f"      U: {json.dumps(rng.normal(0, 0.5, (8, 8)).tolist())}",
                  f"      b: {json.dumps(rng.normal(0, 0.5, 8).tolist())}"]
    for steps in PAGE_STEPS:
        np.save(tmp / f"page{steps}.npy", rng.normal(0, 1, (steps, 4)))
        (tmp / f"page{steps}.yaml").write_text(f"inputs: {{file: page{steps}.npy}}\n" + "\n".join(lines) + "\n")


CASE_BY_NAME = {case.name: case for case in CASES}


# --------------------------------------------------------------------------- inputs

def generate(tmp: Path) -> None:
    """Every input file the cases use."""
    shutil.copy(ROOT / "examples" / "lstm_example.yaml", tmp / "lstm_example.yaml")
    generate_page_specs(tmp)

    # The long LSTMs: random weights, stored for the baseline (npz) and in the spec (YAML).
    rng = np.random.default_rng(7)
    m = LONG_INPUTS
    xs = rng.normal(0, 1, (LONG_STEPS, m))
    np.save(tmp / "inputs.npy", xs)
    for n, suffix in ((LONG_UNITS, ""),) + tuple((size, str(size)) for size in JSONL_UNITS):
        W = rng.normal(0, 0.5, (4, n, m))
        U = rng.normal(0, 0.5 / np.sqrt(n / LONG_UNITS), (4, n, n))   # the same spread of z at every n
        b = rng.normal(0, 0.5, (4, n))
        np.savez(tmp / f"weights{suffix}.npz", W=W, U=U, b=b)
        layers = _lstm_yaml(W, U, b)
        (tmp / f"long{suffix}.yaml").write_text("inputs: {file: inputs.npy}\n" + layers)
        if not suffix:
            long_layers = layers
    layers = long_layers
    rows = "\n".join(f"  - {json.dumps(row)}" for row in xs.tolist())
    (tmp / "long_inline.yaml").write_text("inputs:\n" + rows + "\n" + layers)
    n = LONG_UNITS

    # A small Keras model for import-keras (made only where Keras is installed).
    if importlib.util.find_spec("keras") is not None:
        subprocess.run([PYTHON, "-c", KERAS_MODEL, str(tmp / "model.keras")], env=clean_env(),
                       capture_output=True)

    # Backpropagation through time: the first GRAD_STEPS steps of the long LSTM, a
    # squared-error target for every step, clipping and one update step.
    np.save(tmp / "grad_inputs.npy", xs[:GRAD_STEPS])
    targets = rng.normal(0, 0.5, (GRAD_STEPS, n))
    train = ("train:\n  loss: squared_error\n  targets: " + json.dumps(targets.tolist())
             + "\n  clip: {norm: 1}\n  learning_rate: 0.1\n")
    (tmp / "grad.yaml").write_text("inputs: {file: grad_inputs.npy}\n" + layers + train)

    # A class of answer files for lstm_example.yaml: most right, some wrong, one malformed.
    answers = tmp / "answers"
    answers.mkdir()
    for i in range(CLASS_SIZE):
        c2 = 7 if i % 5 else 8
        text = f"steps:\n  1: {{lstm.c: 3, y: 0}}\n  2: {{lstm.c: {c2}}}\n  4: {{y: 7}}\n"
        if i == CLASS_SIZE - 1:
            text = "steps: [this is not\n"
        (answers / f"student{i:03d}.yaml").write_text(text)


KERAS_MODEL = """
import sys
import keras
model = keras.Sequential([keras.Input(shape=(None, 2)), keras.layers.LSTM(3, return_sequences=True),
                          keras.layers.Dense(2)])
model.save(sys.argv[1])
"""


def _lstm_yaml(W, U, b) -> str:
    """The ``layers:`` of a spec with one LSTM of these blocks' weights (4×n×m, 4×n×n, 4×n)."""
    blocks = ("cell_input", "input_gate", "forget_gate", "output_gate")
    layer = ["layers:", "  - name: lstm", "    type: lstm", f"    size: {b.shape[1]}"]
    for k, block in enumerate(blocks):
        layer += [f"    {block}:", f"      W: {json.dumps(W[k].tolist())}",
                  f"      U: {json.dumps(U[k].tolist())}", f"      b: {json.dumps(b[k].tolist())}"]
    return "\n".join(layer) + "\n"


# --------------------------------------------------------------------------- running

def rnntrace_command() -> List[str]:
    """The console script beside this Python (not a shell shim), else python -m rnntrace."""
    script = Path(PYTHON).parent / "rnntrace"
    return [str(script)] if script.is_file() else [PYTHON, "-m", "rnntrace"]


def clean_env() -> dict:
    # As a user runs it: bytecode cached, output buffered, no colour codes.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONPROFILEIMPORTTIME")}
    env["NO_COLOR"] = "1"
    env.setdefault("KERAS_BACKEND", "torch")   # import-keras's baseline: Keras as the tests run it
    env["COLUMNS"] = "100"
    # numpy's BLAS on one thread on both sides, as the command line runs it (rnntrace.cli):
    # a baseline with the default threads would pay their start and spin, which rnntrace
    # does not, and the ratio would flatter it
    env.update(OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def expand(argv: List[str], tmp: Path) -> List[str]:
    """The placeholders filled in; an argument with ``*`` becomes the files it matches,
    sorted, as a shell would expand it."""
    out: List[str] = []
    for arg in argv:
        if arg == "{rnntrace}":
            out += rnntrace_command()
            continue
        arg = arg.replace("{tmp}", str(tmp)).replace("{python}", PYTHON)
        if "*" in arg:
            folder, pattern = os.path.split(arg)
            out += sorted(str(p) for p in Path(folder).glob(pattern))
        else:
            out.append(arg)
    return out


def measure(argv: List[str], env: dict, instructions: bool = False):
    """(CPU seconds, peak resident kB, exit code) of one run, output discarded (see spawn.py);
    with ``instructions``, (instructions executed, 0, exit code), counted by valgrind."""
    if instructions:
        return count_instructions(argv, env)
    done = subprocess.run([PYTHON, str(HERE / "spawn.py")] + argv, env=env, capture_output=True, check=True)
    result = json.loads(done.stdout)
    return result["cpu"], result["peak_kb"], result["code"]


def count_instructions(argv: List[str], env: dict):
    """The instructions ``argv`` executes, as valgrind's callgrind counts them: the same on
    every run once BLAS keeps to one thread (its idle threads spin), hashes are seeded
    alike and addresses are not randomised."""
    if argv[0] != PYTHON and Path(argv[0]).read_bytes()[:2] == b"#!":   # a console script:
        argv = [PYTHON] + argv                                          # run by this Python itself
    env = dict(env, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    fixed = ["setarch", "-R"] if shutil.which("setarch") else []
    done = subprocess.run(fixed + ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + argv,
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    found = [line.split()[-1] for line in done.stderr.splitlines() if "Collected :" in line]
    if not found:
        raise RuntimeError(f"valgrind counted nothing: {done.stderr[-300:]}")
    return int(found[-1]), 0, done.returncode


def has_command(name: str, env: dict) -> bool:
    done = subprocess.run(rnntrace_command() + [name, "--help"], capture_output=True, env=env)
    return done.returncode == 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="only cases whose name contains one of these")
    parser.add_argument("--runs", type=int, default=7, help="rounds per case (default 7)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep", action="store_true", help="keep the folder of generated inputs")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions with valgrind instead of CPU time (the same on every run; "
                             "slow: one round, name a few cases)")
    args = parser.parse_args(argv)
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (apt-get install valgrind)")
    runs = 1 if args.instructions else args.runs

    cases = [c for c in CASES if not args.names or any(n in c.name for n in args.names)]
    if args.list:
        for case in CASES:
            print(f"{case.name:<14} {case.what}")
        return 0
    env = clean_env()
    tmp = Path(tempfile.mkdtemp(prefix="rnntrace-bench-"))
    try:
        generate(tmp)
        rows = []
        for case in cases:
            if case.requires_module and importlib.util.find_spec(case.requires_module) is None:
                rows.append((case, None, f"skipped: {case.requires_module} is not installed"))
                continue
            if case.requires and not has_command(case.requires, env):
                rows.append((case, None, f"skipped: no `rnntrace {case.requires}` yet"))
                continue
            if case.verify:
                problem = case.verify(tmp)
                if problem:
                    rows.append((case, None, f"not comparable: {problem}"))
                    continue
            rows.append((case, run_case(case, tmp, env, runs, args.instructions), ""))
        print_table(rows, runs, args.instructions)
    finally:
        if args.keep:
            print(f"inputs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def run_case(case: Case, tmp: Path, env: dict, runs: int, instructions: bool = False) -> dict:
    command, baseline = expand(case.command, tmp), expand(case.baseline, tmp)
    measure(command, env)          # warm-up: bytecode caches and the file cache
    measure(baseline, env)
    times = {"command": [], "baseline": []}
    memory = {"command": [], "baseline": []}
    codes = set()
    for i in range(runs):
        order = (("command", command), ("baseline", baseline))
        for key, argv in (order if i % 2 == 0 else order[::-1]):
            seconds, kb, code = measure(argv, env, instructions)
            times[key].append(seconds)
            memory[key].append(kb)
            codes.add((key, code))
    return {"time": {k: statistics.median(v) for k, v in times.items()},
            "memory": {k: statistics.median(v) for k, v in memory.items()},
            "codes": sorted(codes)}


def print_table(rows, runs: int, instructions: bool = False) -> None:
    what = "instructions executed (valgrind)" if instructions else \
        f"medians of {runs} alternating runs (CPU time, user + system)"
    print(f"rnntrace bench: {what}; Python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    # CPU seconds shown in ms; instructions in millions ("M")
    scale, unit = (1e-6, "M ") if instructions else (1000, "ms")
    header = f"{'case':<14} {'rnntrace':>10} {'baseline':>10} {'ratio':>7} {'target':>7} " \
             f"{'peak MB':>8} {'base MB':>8} {'ratio':>6} {'target':>6}"
    print(header)
    print("-" * len(header))
    for case, result, note in rows:
        if result is None:
            print(f"{case.name:<14} {note}")
            continue
        t, m = result["time"], result["memory"]
        bad = [f"{key} exited {code}" for key, code in result["codes"] if code not in case.exit_codes]
        if case.per_item:
            per = (t["command"] - t["baseline"]) / case.per_item * scale
            ok = "" if case.per_item_target_ms is None or instructions else \
                ("ok" if per < case.per_item_target_ms else "OVER")
            print(f"{case.name:<14} {t['command'] * scale:>8.1f}{unit} {t['baseline'] * scale:>8.1f}{unit} "
                  f"{per:>5.2f}{unit.strip()}/file (target < {case.per_item_target_ms} ms) {ok}")
            if bad:
                print(f"{'':<14} warning: {', '.join(bad)}")
            continue
        ratio = t["command"] / t["baseline"]
        flag = lambda r, target: "" if target is None else ("ok" if r <= target else "OVER")  # noqa: E731
        target = f"{case.target:.2f}" if case.target else "-"
        mtarget = f"{case.memory_target:.1f}" if case.memory_target else "-"
        if instructions:   # no memory, and the time targets are for CPU time
            memory, flags = f"{'-':>8} {'-':>8} {'-':>6} {'-':>6}", ""
        else:
            mratio = m["command"] / m["baseline"]
            memory = f"{m['command'] / 1024:>8.1f} {m['baseline'] / 1024:>8.1f} {mratio:>5.2f}x {mtarget:>6}"
            flags = f"{flag(ratio, case.target)} {flag(mratio, case.memory_target)}"
        print(f"{case.name:<14} {t['command'] * scale:>8.1f}{unit} {t['baseline'] * scale:>8.1f}{unit} {ratio:>6.2f}x "
              f"{target:>6} {memory}  {flags}".rstrip())
        if bad:
            print(f"{'':<14} warning: {', '.join(bad)}")


if __name__ == "__main__":
    sys.exit(main())
