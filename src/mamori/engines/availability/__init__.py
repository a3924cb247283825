"""Availability of a monitored service over a range, from its state periods (SRM 21-1).
Framework-free."""

from mamori.engines.availability.measure import (
    STATES,
    Availability,
    Period,
    measure,
)

__all__ = ["STATES", "Availability", "Period", "measure"]
