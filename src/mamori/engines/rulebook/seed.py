"""Parse a JVCEA rule as published (plain text extracted from the PDF) into its structure.

The rule texts in ``shared/seeds`` carry the artefacts of PDF extraction: list bullets
(``- ``), spaces inside numbers (``第 9 条``), sentences broken across lines and half- or
full-width parentheses. :func:`parse_rule` reads through them and returns every chapter,
section, article (条), paragraph (項) and item (号), and the guideline notes (ガイドライン
「第N条第M項関係」) when the text has them. The library test uses it to prove that the
rulebook holds every article, paragraph and item of both rules exactly once, verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["ParsedNode", "ParsedNote", "ParsedRule", "compact", "parse_rule"]

_CHAPTER = re.compile(r"^第\s*(\d+)\s*章\s*(.*)$")
_SECTION = re.compile(r"^第\s*(\d+)\s*節\s*(.*)$")
_ARTICLE = re.compile(r"^第\s*(\d+)\s*条\s+(.+)$")
_PARAGRAPH = re.compile(r"^(\d+)\s+(.+)$")
_ITEM = re.compile(r"^[（(](\d+)[）)]\s*(.+)$")
_CAPTION = re.compile(r"^[（(]([^）)\d]+)[）)]$")
_NOTE = re.compile(r"^第\s*(\d+)\s*(条|章)(?:第\s*(\d+)\s*項)?関係$")
_BULLET = re.compile(r"^[-・]\s*")


def compact(text: str) -> str:
    """Return ``text`` without whitespace, for comparing texts across line breaks."""
    return re.sub(r"\s+", "", text)


@dataclass
class ParsedNode:
    """One chapter, section, article, paragraph or item of a rule as the text has it."""

    kind: str
    number: int
    path: tuple[int, ...]
    text: str = ""  # the caption of an article, the title of a chapter or section
    children: list[ParsedNode] = field(default_factory=list)

    def walk(self) -> list[ParsedNode]:
        """Return this node and every node under it, in document order."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass
class ParsedNote:
    """A guideline note: which article (and paragraph) or chapter it explains, and its text."""

    chapter: int | None
    article: int | None
    paragraph: int | None
    text: str


@dataclass
class ParsedRule:
    """The chapters (with their articles) and guideline notes of one rule."""

    title: str
    chapters: list[ParsedNode]
    notes: list[ParsedNote]

    def articles(self) -> list[ParsedNode]:
        """Return every article in order."""
        return [n for c in self.chapters for n in c.walk() if n.kind == "article"]

    def provisions(self) -> list[ParsedNode]:
        """Return every article, paragraph and item in document order."""
        return [n for c in self.chapters for n in c.walk() if n.kind in _PROVISIONS]


_PROVISIONS = ("article", "paragraph", "item")


def _clean(line: str) -> str:
    return _BULLET.sub("", line.strip()).strip()


def parse_rule(text: str) -> ParsedRule:
    """Parse the text of one rule (and its guideline, if appended) into a :class:`ParsedRule`.

    Raises ``ValueError`` naming the line when numbering goes backwards or a paragraph or item
    appears outside an article, so a damaged text is never read as a shorter rule.
    """
    lines = [_clean(raw) for raw in text.splitlines()]
    lines = [line for line in lines if line]
    title = lines[0] if lines else ""
    chapters: list[ParsedNode] = []
    notes: list[ParsedNote] = []
    container: ParsedNode | None = None  # chapter or section receiving articles
    chapter: ParsedNode | None = None
    article: ParsedNode | None = None
    current: ParsedNode | None = None  # node receiving continuation lines
    in_guideline = False
    caption = ""
    note: ParsedNote | None = None
    for number, line in enumerate(lines, start=1):
        if line.endswith("ガイドライン") and chapters:
            in_guideline, current, note = True, None, None
            continue
        if line == "附則":
            current, note = None, None
            continue
        if in_guideline:
            match = _NOTE.match(line)
            if match:
                num, unit, para = int(match[1]), match[2], match[3]
                note = ParsedNote(
                    chapter=num if unit == "章" else None,
                    article=num if unit == "条" else None,
                    paragraph=int(para) if para else None,
                    text="",
                )
                notes.append(note)
            elif note is not None:
                note.text += ("\n" if note.text else "") + line
            continue
        if match := _CHAPTER.match(line):
            chapter = ParsedNode("chapter", int(match[1]), (int(match[1]),), match[2].strip())
            chapters.append(chapter)
            container, article, current = chapter, None, None
            continue
        if (match := _SECTION.match(line)) and chapter is not None:
            section = ParsedNode(
                "section", int(match[1]), (*chapter.path, int(match[1])), match[2].strip()
            )
            chapter.children.append(section)
            container, current = section, None
            continue
        if (match := _CAPTION.match(line)) and chapter is not None:
            caption, current = match[1].strip(), None
            continue
        if match := _ARTICLE.match(line):
            if container is None:
                raise ValueError(f"line {number}: article outside a chapter: {line}")
            art_no = int(match[1])
            article = ParsedNode("article", art_no, (art_no,), caption)
            caption = ""
            container.children.append(article)
            current = ParsedNode("paragraph", 1, (art_no, 1), match[2])
            article.children.append(current)
            continue
        if (match := _ITEM.match(line)) and article is not None:
            paragraph = article.children[-1]
            expected = len(paragraph.children) + 1
            if int(match[1]) != expected:
                raise ValueError(f"line {number}: item ({match[1]}) where ({expected}) expected")
            current = ParsedNode("item", expected, (*paragraph.path, expected), match[2])
            paragraph.children.append(current)
            continue
        if (match := _PARAGRAPH.match(line)) and article is not None:
            expected = len(article.children) + 1
            if int(match[1]) == expected:
                current = ParsedNode("paragraph", expected, (article.number, expected), match[2])
                article.children.append(current)
                continue
        if current is not None:
            current.text += line
    return ParsedRule(title=title, chapters=chapters, notes=notes)
