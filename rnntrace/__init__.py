"""rnntrace: run a small recurrent neural network one time step at a time and show
every number it computes.

    >>> import rnntrace
    >>> trace = rnntrace.run(rnntrace.load_spec("examples/lstm_example.yaml"))
    >>> trace[3].y        # the output at step 4
"""
__version__ = "0.3.0"

__all__ = ["load_spec", "run", "iter_steps", "Trace", "Spec", "SpecError", "RnntraceError", "page_html",
           "__version__"]


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
    if name == "page_html":   # a trace's interactive page (docs/page.md)
        from .render.page import page_html
        return page_html
    if name in ("SpecError", "RnntraceError"):
        from . import errors
        return getattr(errors, name)
    raise AttributeError(f"module 'rnntrace' has no attribute {name!r}")


# --------------------------------------------------------------------------- notebooks
# In Jupyter a trace shows as its interactive page. The engine's Trace does not draw
# itself (data flows spec → engine → trace → views): the package, above both, gives
# IPython's HTML formatter the class by its name, so that neither numpy nor the page is
# imported before a trace is shown, and `rnntrace --help` pays one dictionary look-up.

def _notebook_html(trace) -> str:
    from .render.page import notebook_html
    return notebook_html(trace)


def load_ipython_extension(ipython) -> None:
    """``%load_ext rnntrace``: traces show as their page (done by ``import rnntrace``
    itself inside a running IPython)."""
    ipython.display_formatter.formatters["text/html"].for_type_by_name("rnntrace.trace", "Trace", _notebook_html)


def _in_ipython() -> None:
    import sys
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None and hasattr(shell, "display_formatter"):
        load_ipython_extension(shell)


_in_ipython()
