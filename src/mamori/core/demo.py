"""The demo exchange: each module registers a loader that adds what it can show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["DemoReport", "load_demo", "register_demo_loader"]


@dataclass
class DemoReport:
    """What the loaders want printed for the newcomer."""

    lines: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)


_LOADERS: dict[str, tuple[int, Callable[[DemoReport], None]]] = {}


def register_demo_loader(name: str, loader: Callable[[DemoReport], None], order: int = 100) -> None:
    """Register ``loader``; loaders run in ``order`` and must be idempotent."""
    _LOADERS[name] = (order, loader)


def load_demo() -> DemoReport:
    """Run every loader once, in order, and return what they report."""
    report = DemoReport()
    for _, loader in sorted(_LOADERS.values(), key=lambda item: item[0]):
        loader(report)
    return report
