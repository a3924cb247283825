"""Services of risk management: where a transaction opens and the risk engine decides."""

from __future__ import annotations

__all__ = ["RiskRefused"]


class RiskRefused(Exception):
    """A change is refused; ``code`` is stable for machines, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
