"""The JSON Schemas rnntrace ships (spec.json, trace.json, grad.json, check.json) and
the generator of their registry-made parts (generate.py)."""
