"""rnntrace: run a small recurrent neural network one time step at a time and show
every number it computes.

    >>> import rnntrace
    >>> trace = rnntrace.run(rnntrace.load_spec("examples/lstm_example.yaml"))
    >>> trace[3].y        # the output at step 4
"""
__version__ = "0.3.0"

__all__ = ["load_spec", "run", "iter_steps", "Trace", "Spec", "SpecError", "RnntraceError", "__version__"]


def __getattr__(name):
    # Imports stay lazy so that `rnntrace --help` does not pay for numpy.
    if name in ("load_spec", "Spec", "spec_from_dict", "spec_from_text"):
        from . import spec
        return getattr(spec, name)
    if name in ("run", "iter_steps"):
        from . import engine
        return getattr(engine, name)
    if name == "Trace":
        from .trace import Trace
        return Trace
    if name in ("SpecError", "RnntraceError"):
        from . import errors
        return getattr(errors, name)
    raise AttributeError(f"module 'rnntrace' has no attribute {name!r}")
