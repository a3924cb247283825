"""Demo step: filled later."""

from mamori.core.demo import DemoReport


def load(report: DemoReport) -> None:
    """Placeholder."""
