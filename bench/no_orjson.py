"""Run rnntrace as it runs where orjson is not installed (the plain json writer).

    python bench/no_orjson.py run SPEC --format jsonl

orjson is optional (``pip install rnntrace[fast]``); this hides it from the import
system, so that both writers can be measured on one machine.
"""
import sys

sys.modules["orjson"] = None   # `import orjson` now raises ImportError, as when it is missing

from rnntrace.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "rnntrace"
    sys.exit(main())
