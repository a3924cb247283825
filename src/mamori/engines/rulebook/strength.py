"""The obligation strength a provision's Japanese wording expresses.

JVCEA rules, like Japanese statutes, signal strength by the predicate: 「しなければならない」
(also the literary 「ならぬ」) is a duty, 「努めなければならない」/「努める」 a duty to endeavour,
「ものとする」 a softer duty or a statement of how a thing is to be, 「してはならない」 a
prohibition and 「することができる」 a permission. Items (号) that only list matters carry the
strength of the paragraph (項) that introduces them.
"""

from __future__ import annotations

__all__ = ["STRENGTHS", "classify"]

#: Every strength the library may use, with what it means in English.
STRENGTHS: dict[str, str] = {
    "must": "しなければならない — a duty",
    "must_not": "してはならない — a prohibition",
    "endeavour": "努めなければならない / 努める — a duty to endeavour",
    "shall": "ものとする — a duty or a statement of how a thing is to be",
    "may": "することができる — a permission",
    "informative": "purpose, definition or enumeration without a duty of its own",
}


def classify(text: str, parent: str | None = None) -> str:
    """Return the strength ``text`` expresses; ``parent`` is used when it expresses none.

    The test is on the wording, most specific first: an endeavour clause also ends in
    「なければならない」, and a prohibition in 「ならない」.
    """
    if "努め" in text:
        return "endeavour"
    if "てはならない" in text:
        return "must_not"
    if "なければならない" in text or "なければならぬ" in text:
        return "must"
    if "ことができる" in text:
        return "may"
    if "ものとする" in text:
        return "shall"
    if parent is not None:
        return parent
    return "informative"
