"""Helpers for mamori's own test suite (loaded as a pytest plugin)."""
