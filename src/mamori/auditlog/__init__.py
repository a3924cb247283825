"""Tamper-evident audit log: an RFC 6962 Merkle log with signed checkpoints (ISM 23-1-2)."""
