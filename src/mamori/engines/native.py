"""Which engine modules run compiled, and a guard that never lets a stale one run.

The build (``hatch_build.py``) compiles some engine modules where a C compiler is present —
the threshold monitor with mypyc, the Merkle log's bulk hashing as a C extension over
OpenSSL — and writes ``_native.json`` beside this file: each compiled module, the source it
was compiled from and that source's SHA-256. Compiled modules sit next to their sources and
Python would import them first, so at import of :mod:`mamori.engines` this guard compares
each source with the manifest: if any source of a group changed since it was compiled (an
edit not yet rebuilt), or ``MAMORI_PURE_PYTHON=1`` is set, the whole group is imported from
source instead (a C-only module then fails to import and its caller uses plain Python).
Either way the engines compute the same results; only the speed differs.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

__all__ = ["compiled", "install_guard", "status"]

_HERE = Path(__file__).resolve().parent
_PACKAGE_ROOT = _HERE.parent.parent  # the folder holding the ``mamori`` package
MANIFEST = _HERE / "_native.json"

#: module name → "compiled", or why it runs from source
_STATUS: dict[str, str] = {}


class _Refused(importlib.abc.Loader):
    """The loader of a C-only module that must not be used: its import fails, saying why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        """Refuse the module."""
        raise ImportError(f"{spec.name} is not used: {self.reason}", name=spec.name)

    def exec_module(self, module: ModuleType) -> None:
        """Never reached: :meth:`create_module` refuses."""


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Import the listed modules from their ``.py`` source, never from the compiled file."""

    def __init__(self, refused: dict[str, tuple[Path | None, str]]) -> None:
        self.refused = refused

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        """Return a source spec (or a refusing one) for a listed module, else None."""
        entry = self.refused.get(fullname)
        if entry is None:
            return None
        source, reason = entry
        if source is None:
            return importlib.util.spec_from_loader(fullname, _Refused(reason))
        loader = importlib.machinery.SourceFileLoader(fullname, str(source))
        return importlib.util.spec_from_file_location(fullname, source, loader=loader)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def install_guard() -> None:
    """Read the manifest once and make stale or disabled groups import from source."""
    if _STATUS:
        return
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # nothing was compiled: every engine is plain Python
    pure = os.environ.get("MAMORI_PURE_PYTHON") == "1"
    refused: dict[str, tuple[Path | None, str]] = {}
    for group in manifest.get("groups", []):
        modules: dict[str, dict[str, str]] = group["modules"]
        stale = [
            name
            for name, built in modules.items()
            if _digest(_PACKAGE_ROOT / built["source"]) != built["sha256"]
        ]
        if pure:
            reason = "MAMORI_PURE_PYTHON=1"
        elif stale:
            reason = f"{', '.join(sorted(stale))} changed since compiled (rebuild: uv sync)"
        else:
            reason = ""
        for name, built in modules.items():
            _STATUS[name] = "compiled" if not reason else f"source ({reason})"
            if reason:
                source = _PACKAGE_ROOT / built["source"]
                refused[name] = (source if source.suffix == ".py" else None, reason)
    if refused:
        sys.meta_path.insert(0, _SourceFirst(refused))


def status() -> dict[str, str]:
    """Return each module the build compiled and whether it runs compiled (or why not)."""
    return dict(_STATUS)


def compiled(module: ModuleType) -> bool:
    """Return whether ``module`` was loaded from a compiled file."""
    return not str(getattr(module, "__file__", "")).endswith(".py")
