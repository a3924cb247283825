"""The transaction edge of operations: incidents and what hangs on them."""
