"""Services of guard: where a transaction opens (SRM 10)."""
