"""Customer-facing defence: containment actions, the kill switch, the block list, customer
notices and the public status page (SRM 10)."""
