"""Streaming JSON for evidence (SRM 15, 18, 19): ijson's C backend (yajl2_c), events or whole
items under a prefix, every failure turned into :class:`EvidenceRefused` naming the JSON path
where the reader was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ijson

from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.source import MeasuredReader

__all__ = ["events", "path", "with_items"]


def path(prefix: str) -> str:
    """Return an ijson prefix as a JSON path: ``runs.item.level`` → ``$.runs[*].level``."""
    if not prefix:
        return "$"
    return "$" + "".join("[*]" if part == "item" else f".{part}" for part in prefix.split("."))


def events(reader: MeasuredReader) -> Iterator[tuple[str, str, Any]]:
    """Yield ijson's ``(prefix, event, value)`` for the document ``reader`` yields."""
    prefix = ""
    try:
        for prefix, event, value in ijson.parse(reader, use_float=False):
            yield prefix, event, value
    except EvidenceRefused:
        raise
    except (ijson.JSONError, ValueError, OverflowError, RecursionError) as exc:
        raise _refused(exc, path(prefix)) from None


def with_items(reader: MeasuredReader, item: str) -> Iterator[tuple[str, str, Any]]:
    """Yield the events of the document, but each value at prefix ``item`` whole.

    A value at ``item`` comes as ``(item, "item", value)``; every other event as ijson gives
    it, so the caller still sees (and can refuse) the document's shape around the items.
    """
    builder: Any = None
    depth = 0
    for prefix, event, value in events(reader):
        if builder is not None:
            builder.event(event, value)
            depth += (event in _OPEN) - (event in _CLOSE)
            if not depth:
                yield item, "item", builder.value
                builder = None
        elif prefix == item and event in _OPEN:
            builder = ijson.ObjectBuilder()
            builder.event(event, value)
            depth = 1
        elif prefix == item and event not in _CLOSE and event != "map_key":
            yield item, "item", value
        else:
            yield prefix, event, value


_OPEN = ("start_map", "start_array")
_CLOSE = ("end_map", "end_array")


def _refused(exc: BaseException, where: str) -> EvidenceRefused:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return EvidenceRefused("malformed", f"expected valid JSON (UTF-8), got {reason[:200]}", where)
