"""No page or API list is silently cut to a fixed size (issue 25): a list a person reads goes
through :mod:`mamori.core.tables` (pages, a pager, filters, downloads) or the API's
``Pagination``. A ``[:N]`` slice in a view or API module must be listed here with why it is
not such a list; a new one fails this test."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "mamori"

#: (module, sliced expression) → why a fixed size is right there.
JUSTIFIED = {
    ("custody/views.py", "toggle[:40]"): "text quoted in a message, not a list",
    ("operations/api.py", "str(value)[:40]"): "a bad filter value quoted in a refusal",
    ("rulebook/views/controls.py", "item.sha256[:16]"): "a digest shortened for a message",
    ("rulebook/views/controls.py", "model.values_list('pk', flat=True)[:200]"): (
        "ids that bound the audit entries looked up, not a list shown"
    ),
    ("rulebook/views/controls.py", "Entry.objects.filter(wanted).order_by('-position')[:30]"): (
        "a control's latest audit entries, linked to the paged audit log"
    ),
    ("core/views.py", "request.GET.get('q', '').strip()[:200]"): (
        "the words searched for, bounded in length, not a list"
    ),
    ("accounts/views/pages.py", "LoginAttempt.objects.filter(user=request.user)[:20]"): (
        "a person's own latest sign-ins on their profile"
    ),
    ("custody/api.py", "request_id[:200]"): "an identifier quoted in a refusal, bounded",
    ("operations/api_evidence.py", "f'webhook:{pipeline.code}'[:20]"): (
        "a source label cut to its column's length, not a list"
    ),
    ("operations/api_evidence.py", "f'{provider}:{pipeline.code}'[:20]"): (
        "a source label cut to its column's length, not a list"
    ),
    ("operations/api_evidence.py", "sent[:60]"): "a header's value quoted in a refusal",
    ("operations/views_maintenance.py", "(translation.get_language() or 'ja')[:2]"): (
        "a language code (ja, en), not a list"
    ),
}


def _modules() -> list[Path]:
    found = [*SOURCE.rglob("views*.py"), *SOURCE.rglob("api*.py")]
    found += [p for p in SOURCE.rglob("*.py") if p.parent.name == "views"]
    return sorted(set(found))


def fixed_slices() -> set[tuple[str, str]]:
    """Every ``x[:N]`` (N a number) in a view or API module, as (module, expression)."""
    found = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.slice, ast.Slice)
                and node.slice.lower is None
                and node.slice.step is None
                and isinstance(node.slice.upper, ast.Constant)
            ):
                found.add((str(path.relative_to(SOURCE)), ast.unparse(node)))
    return found


def test_no_view_cuts_a_list_to_a_fixed_size_without_saying_why() -> None:
    assert sorted(fixed_slices() - set(JUSTIFIED)) == []


def test_every_justified_slice_still_exists() -> None:
    assert sorted(set(JUSTIFIED) - fixed_slices()) == []
