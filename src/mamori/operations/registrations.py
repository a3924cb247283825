"""What operations brings: pages, scopes, jobs, checks, consumers, hooks, the demo step."""

from __future__ import annotations


def register() -> None:
    """Register everything operations brings."""
    from mamori.operations.registrations_bcp import register_bcp

    register_bcp()
