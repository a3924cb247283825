"""What reconciliation does: nodes, books, runs, cases, statements."""
