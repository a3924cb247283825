"""Incident engine (SRM 6-1-3, 7-3, 9, 10-2; ISM 8-1-3, 9-3): severity by rules as data and the
commander a kind of incident calls for. Framework-free."""

from mamori.engines.incidents.severity import (
    FACTS,
    SEVERITIES,
    Facts,
    SeverityRule,
    commander_role,
    grade,
)

__all__ = ["FACTS", "SEVERITIES", "Facts", "SeverityRule", "commander_role", "grade"]
