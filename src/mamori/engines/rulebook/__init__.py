"""Rules as data: library files, the seed parser that proves them complete, strengths, diffs.

Django-free; the ``mamori.rulebook`` app persists what this package reads and compares.
"""

from mamori.engines.rulebook.diff import Change, diff_libraries
from mamori.engines.rulebook.library import (
    KINDS,
    OBLIGATIONS,
    Guidance,
    Library,
    LibraryError,
    Node,
    Text,
    load_libraries,
    read_yaml,
)
from mamori.engines.rulebook.seed import ParsedNode, ParsedNote, ParsedRule, compact, parse_rule
from mamori.engines.rulebook.strength import STRENGTHS, classify

__all__ = [
    "KINDS",
    "OBLIGATIONS",
    "STRENGTHS",
    "Change",
    "Guidance",
    "Library",
    "LibraryError",
    "Node",
    "ParsedNode",
    "ParsedNote",
    "ParsedRule",
    "Text",
    "classify",
    "compact",
    "diff_libraries",
    "load_libraries",
    "parse_rule",
    "read_yaml",
]
