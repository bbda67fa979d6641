"""Renderers: each takes a Trace (or its steps) and returns text or rich renderables.
They format numbers; they never compute them."""
