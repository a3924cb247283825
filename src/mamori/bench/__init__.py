"""Benchmarks: ``python -m mamori.bench NAME`` prints figures and a baseline, last line JSON."""
