"""Streaming XML for evidence (SRM 15, 18, 19): a bare pyexpat parser guarded by defusedxml's
handlers, calling the reader's ``start``/``end`` for each element — no tree, no text kept.

The guards are defusedxml's own (``DefusedExpatParser``'s entity, unparsed-entity and external
reference handlers), installed on a pyexpat parser directly: ElementTree's parser layer, which
``defusedxml.ElementTree.iterparse`` goes through, builds an element per tag and took twice the
time of expat alone on a JUnit report (see docs/benchmarks.md, ``ingest``). A document type
declaration is allowed only without an internal subset (JaCoCo writes ``<!DOCTYPE report
PUBLIC ... "report.dtd">``; the DTD is never fetched); an internal subset, an entity
declaration or an external entity is refused, which stops entity-expansion and
external-entity attacks. Every failure becomes :class:`EvidenceRefused` naming the line and
column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.source import MeasuredReader

__all__ = ["Start", "local", "parse_xml"]

#: Called with an element's name and attributes at its start tag.
Start = Callable[[str, dict[str, str]], None]

_CHUNK = 1 << 16


def local(tag: str) -> str:
    """Return an element's name without its namespace prefix."""
    return tag.rsplit(":", 1)[-1]


def _where(parser: Any) -> str:
    return f"line {parser.CurrentLineNumber}, column {parser.CurrentColumnNumber + 1}"


def parse_xml(
    reader: MeasuredReader, start: Start, end: Callable[[str], None] | None = None
) -> None:
    """Feed the whole document ``reader`` yields through a guarded expat parser.

    ``start`` (and ``end``, when given) are called for every element in document order; an
    :class:`EvidenceRefused` they raise passes through with its own position.
    """
    guard = DefusedExpatParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser = expat.ParserCreate()

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: bool) -> None:
        if internal:
            raise EvidenceRefused(
                "forbidden_markup",
                f"expected no internal DTD subset, got one in <!DOCTYPE {name}>",
                _where(parser),
            )

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = guard.defused_entity_decl
    parser.UnparsedEntityDeclHandler = guard.defused_unparsed_entity_decl
    parser.ExternalEntityRefHandler = guard.defused_external_entity_ref_handler
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    try:
        while chunk := reader.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code) if exc.code else str(exc)
        raise EvidenceRefused(
            "malformed",
            f"expected well-formed XML, got {reason}",
            f"line {exc.lineno}, column {exc.offset + 1}",
        ) from None
    except DefusedXmlException as exc:
        raise EvidenceRefused(
            "forbidden_markup",
            f"expected no entities or external references, got {type(exc).__name__}",
            _where(parser),
        ) from None
    except (ValueError, LookupError, RecursionError) as exc:
        if isinstance(exc, EvidenceRefused):
            raise
        raise EvidenceRefused(
            "malformed", f"expected readable XML, got {exc}", _where(parser)
        ) from None
