"""Engines stay free of Django; public surfaces are explicit."""

from __future__ import annotations

import ast
from pathlib import Path

import mamori.config

ENGINES = Path(__file__).resolve().parents[2] / "src" / "mamori" / "engines"
FORBIDDEN = ("django", "ninja")  # and any mamori module outside the engines


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engines_never_import_django_or_the_apps() -> None:
    offenders = {
        str(path.relative_to(ENGINES)): sorted(
            name
            for name in imported_modules(path)
            if name.startswith(FORBIDDEN)
            or (name.startswith("mamori.") and not name.startswith("mamori.engines"))
        )
        for path in ENGINES.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_engine_modules_declare_their_public_surface() -> None:
    missing = [
        str(path.relative_to(ENGINES))
        for path in ENGINES.rglob("*.py")
        if "__all__" not in path.read_text(encoding="utf-8")
    ]
    assert missing == []


def test_config_public_surface_is_pinned() -> None:
    assert sorted(mamori.config.__all__) == [
        "Config",
        "ConfigError",
        "load",
        "mask_url",
        "prepare_data_dir",
        "read_or_create_secret",
        "read_secret",
    ]
