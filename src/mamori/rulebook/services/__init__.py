"""Services of the rulebook: the transaction edge between pages, API, CLI and engines."""
