"""Streaming JSON for evidence (SRM 15, 18, 19): ijson's C backend (yajl2_c), events or whole
items under a prefix, every failure turned into :class:`EvidenceRefused` naming the JSON path
where the reader was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ijson

from mamori.engines.evidence._jsonscan import MAX_DEPTH as SCANNER_MAX_DEPTH
from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.source import MeasuredReader

__all__ = ["events", "path", "with_items"]


def path(prefix: str) -> str:
    """Return an ijson prefix as a JSON path: ``runs.item.level`` → ``$.runs[*].level``."""
    if not prefix:
        return "$"
    return "$" + "".join("[*]" if part == "item" else f".{part}" for part in prefix.split("."))


#: The deepest nesting of arrays and objects read (as the scanner's): each level costs ijson a
#: prefix as long as the path to it, so a small body nested thousands deep would take gigabytes
#: (measured: 40 KB → 1.2 GB, 200 KB → killed).
MAX_DEPTH = SCANNER_MAX_DEPTH


#: At most this many ``[`` and ``{`` bytes are handed to the parser at a time: it turns a whole
#: read into events (with their prefixes) before :func:`events` sees the first, so a read is
#: kept from nesting far past :data:`MAX_DEPTH` before the depth is checked.
OPENERS_PER_READ = 1024


class _FewOpeners:
    """``reader``'s bytes, in reads holding at most :data:`OPENERS_PER_READ` opening brackets
    (counted in strings too: an overestimate, which only makes such reads shorter)."""

    def __init__(self, reader: MeasuredReader) -> None:
        self.reader = reader
        self.pending = b""

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing first, to learn that these are bytes
            return b""
        data = self.pending or self.reader.read(size if size > 0 else 1 << 16)
        self.pending = b""
        while len(data) > OPENERS_PER_READ and (
            data.count(b"[") + data.count(b"{") > OPENERS_PER_READ
        ):
            half = len(data) // 2
            data, self.pending = data[:half], data[half:] + self.pending
        return data


def events(reader: MeasuredReader) -> Iterator[tuple[str, str, Any]]:
    """Yield ijson's ``(prefix, event, value)`` for the document ``reader`` yields; refuse one
    nested deeper than :data:`MAX_DEPTH`."""
    prefix = ""
    depth = 0
    try:
        for prefix, event, value in ijson.parse(_FewOpeners(reader), use_float=False):
            if event in _OPEN:
                depth += 1
                if depth > MAX_DEPTH:
                    raise EvidenceRefused(
                        "too_deep",
                        f"expected arrays and objects nested at most {MAX_DEPTH} deep",
                        path(prefix),
                    )
            elif event in _CLOSE:
                depth -= 1
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
