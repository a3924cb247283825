"""A streaming JSON walker over the standard library's C scanner (SRM 15, 19): the document's
outer structure is walked key by key, and each value the caller wants is decoded whole by
``json``'s C ``scan_once`` from a window of the text — one SARIF result at a time.

Used for SARIF logs, whose results are many small objects: decoding each result with the C
scanner runs at ``json.load``'s speed, where ijson's per-event iteration ran at half of it
(measured in ``python -m mamori.bench ingest``). Memory is one read chunk plus the largest
single value decoded, which ``max_value`` bounds. Bad UTF-8, bad JSON, a non-standard constant
(``NaN``), an integer past Python's digit limit, nesting past ``MAX_DEPTH`` or trailing data is
refused with the JSON path and character offset where reading stopped.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any

from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.source import MeasuredReader

__all__ = ["MAX_DEPTH", "JsonStream"]

#: Nesting deeper than this is refused (the C scanner would recurse into Python's limit).
MAX_DEPTH = 200

_WS = re.compile(r"[ \t\n\r]*")


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_constant)
_SCAN = json.scanner.make_scanner(_DECODER)  # type: ignore[attr-defined]
_STRING = json.decoder.scanstring  # type: ignore[attr-defined]


class JsonStream:
    """The text of ``reader``, read ``chunk`` bytes at a time, walked from the front.

    ``path`` is kept by the caller (``$.runs[2].results``) and ``index`` by :meth:`elements`;
    both name the place in a refusal.
    """

    def __init__(
        self, reader: MeasuredReader, *, chunk: int = 1 << 20, max_value: int = 64 << 20
    ) -> None:
        self._reader = reader
        self._decode = codecs.getincrementaldecoder("utf-8")("strict").decode
        self._chunk = chunk
        self._max_value = max_value
        self.buf = ""
        self.pos = 0
        self.base = 0  # characters dropped from the front of ``buf``
        self.eof = False
        self.path = "$"
        self.index = -1

    def refuse(self, code: str, message: str) -> EvidenceRefused:
        """Return a refusal naming the current path, index and character offset."""
        where = self.path + (f"[{self.index}]" if self.index >= 0 else "")
        return EvidenceRefused(code, message, f"{where}, character {self.base + self.pos}")

    def _more(self) -> bool:
        """Append the next chunk's text to the window; return False at the end of input."""
        if self.eof:
            return False
        data = self._reader.read(self._chunk)
        try:
            text = self._decode(data, not data)
        except UnicodeDecodeError as exc:
            raise self.refuse("malformed", f"expected UTF-8, got {exc.reason}") from None
        self.eof = not data
        if self.pos >= self._chunk:
            self.base += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        if len(self.buf) - self.pos > self._max_value:
            raise self.refuse("too_large", f"expected no value above {self._max_value} characters")
        self.buf += text
        return bool(data) or bool(text)

    def peek(self) -> str:
        """Return the next character that is not white space, ``""`` at the end of input."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, char: str, what: str) -> None:
        """Consume ``char`` or refuse, saying ``what`` was expected."""
        got = self.peek()
        if got != char:
            raise self.refuse("wrong_shape", f"expected {what}, got {got[:1]!r}")
        self.pos += 1

    def value(self) -> Any:
        """Decode the next value whole."""
        self.peek()
        while True:
            try:
                found, end = _SCAN(self.buf, self.pos)
            except StopIteration:
                if self._more():
                    continue
                raise self.refuse("malformed", "expected a JSON value") from None
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(self.buf) - 8 or exc.msg.startswith("Unterminated string")
                if cut and self._more():
                    continue
                raise self.refuse("malformed", f"expected valid JSON, got {exc.msg}") from None
            except (ValueError, RecursionError) as exc:
                raise self.refuse("malformed", f"expected valid JSON, got {exc}") from None
            if end >= len(self.buf) and self._more():
                continue  # a number may go on in the next chunk
            self.pos = end
            return found

    def string(self) -> str:
        """Decode the next string (an object's key)."""
        if self.peek() != '"':
            raise self.refuse("wrong_shape", "expected a key")
        found = self.value()
        return str(found)

    def members(self) -> Iterator[str]:
        """Walk an object: yield each key with the reader at its value, which the caller reads."""
        self.expect("{", "an object")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            key = self.string()
            self.expect(":", "':'")
            yield key
            got = self.peek()
            self.pos += 1
            if got == "}":
                return
            if got != ",":
                self.pos -= 1
                raise self.refuse("malformed", f"expected ',' or '}}', got {got[:1]!r}")

    def elements(self) -> Iterator[int]:
        """Walk an array: yield each index with the reader at its element."""
        self.expect("[", "an array")
        if self.peek() == "]":
            self.pos += 1
            return
        index = 0
        while True:
            self.index = index
            yield index
            got = self.peek()
            self.pos += 1
            if got == "]":
                self.index = -1
                return
            if got != ",":
                self.pos -= 1
                raise self.refuse("malformed", f"expected ',' or ']', got {got[:1]!r}")
            index += 1

    def skip(self, depth: int = 0) -> None:
        """Pass over the next value, walking containers so that no large one is held."""
        if depth > MAX_DEPTH:
            raise self.refuse("malformed", f"expected nesting of at most {MAX_DEPTH}")
        got = self.peek()
        if got == "{":
            for _key in self.members():
                self.skip(depth + 1)
        elif got == "[":
            saved = self.index
            for _index in self.elements():
                self.skip(depth + 1)
            self.index = saved
        else:
            self.value()

    def finish(self) -> None:
        """Refuse anything but white space after the document."""
        self.index = -1
        if self.peek():
            raise self.refuse("malformed", "expected nothing after the document")
