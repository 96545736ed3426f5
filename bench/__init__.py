"""Benchmarks: figures measured against a floor in the same run, written to docs/benchmarks.md."""
