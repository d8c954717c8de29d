"""Benchmarks are run explicitly: `python -m pytest benchmarks/ --benchmark-only`."""
