"""Framework-free engines: plain Python, no Django imports (a test enforces it)."""

__all__: list[str] = []
