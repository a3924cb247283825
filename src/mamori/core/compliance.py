"""The one interface through which modules offer automated compliance checks.

A module registers a check under a stable code at start-up (``register_check`` in its
``registrations``); the rulebook's control catalogue names the code, runs it on schedule and
keeps each result as evidence. The rulebook app is never edited to add a check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Check", "CheckResult", "checks", "get_check", "register_check"]


@dataclass(frozen=True)
class CheckResult:
    """Pass or fail, a one-line summary in both languages and machine-readable evidence."""

    passed: bool
    summary_ja: str
    summary_en: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A check: ``run(**params)`` returns a :class:`CheckResult`; ``module`` implements it."""

    code: str
    run: Callable[..., CheckResult]
    module: str


_CHECKS: dict[str, Check] = {}


def register_check(code: str, run: Callable[..., CheckResult], module: str) -> None:
    """Offer ``run`` as the check ``code`` (registering the same code again replaces it)."""
    _CHECKS[code] = Check(code, run, module)


def get_check(code: str) -> Check:
    """Return the check ``code``; ``KeyError`` names the codes that exist."""
    try:
        return _CHECKS[code]
    except KeyError:
        known = ", ".join(sorted(_CHECKS)) or "none"
        raise KeyError(f"no check {code!r} is registered (registered: {known})") from None


def checks() -> list[Check]:
    """Return every registered check, by code."""
    return [_CHECKS[code] for code in sorted(_CHECKS)]
