"""How each kind of approval request is shown to the people deciding it (issue 25, point 2).

The module that registers a kind of request (:func:`mamori.accounts.services.approvals.
register_kind`) registers here how its snapshot is shown: a template and the context it needs,
a title in the viewer's language made from the snapshot, and a link to the record the request
is about. A kind without a display is shown as a definition list of its snapshot, never as raw
JSON. A display that cannot read an old snapshot falls back to the same list, and the title to
the one stored on the request.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, Department, Role, User

__all__ = [
    "Display",
    "Link",
    "change_rows",
    "department_name",
    "diff_lines",
    "link_to",
    "links_of",
    "person_link",
    "register_display",
    "rendered",
    "role_name",
    "snapshot_rows",
    "title_of",
    "titles",
]

log = logging.getLogger("mamori.approvals")

GENERIC_TEMPLATE = "accounts/approval_kinds/generic.html"


@dataclass(frozen=True)
class Link:
    """A link to the record a request is about (or to a document of it)."""

    label: str
    url: str


@dataclass(frozen=True)
class Display:
    """How one kind of request is shown: ``template`` renders the snapshot with the context
    ``context`` returns (added to ``item`` and ``snapshot``); ``title`` says what is asked in
    the active language; ``links`` point to the subject record and its documents."""

    template: str = GENERIC_TEMPLATE
    title: Callable[[dict[str, Any]], str] | None = None
    context: Callable[[ApprovalRequest], dict[str, Any]] | None = None
    links: Callable[[ApprovalRequest], list[Link]] | None = None


_DISPLAYS: dict[str, Display] = {}


def register_display(
    kind: str,
    *,
    template: str = GENERIC_TEMPLATE,
    title: Callable[[dict[str, Any]], str] | None = None,
    context: Callable[[ApprovalRequest], dict[str, Any]] | None = None,
    links: Callable[[ApprovalRequest], list[Link]] | None = None,
) -> Display:
    """Declare how requests of ``kind`` are shown."""
    display = Display(template, title, context, links)
    _DISPLAYS[kind] = display
    return display


def display_of(kind: str) -> Display | None:
    """Return the display registered for ``kind``, if any."""
    return _DISPLAYS.get(kind)


def title_of(item: ApprovalRequest) -> str:
    """Return what ``item`` asks for in the active language; the stored title when the kind
    has no display or its snapshot cannot be read."""
    display = _DISPLAYS.get(item.kind)
    if display is not None and display.title is not None:
        try:
            return display.title(item.snapshot)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            log.warning("approval request #%s: the title cannot be made", item.pk)
    return item.title


def titles(item: ApprovalRequest) -> tuple[str, str]:
    """Return what ``item`` asks for in Japanese and in English (for notifications, which
    are stored in both languages)."""
    with translation.override("ja"):
        ja = title_of(item)
    with translation.override("en"):
        en = title_of(item)
    return ja, en


def links_of(item: ApprovalRequest) -> list[Link]:
    """Return the links to the record ``item`` is about and its documents."""
    return _links(_DISPLAYS.get(item.kind), item)


def _links(display: Display | None, item: ApprovalRequest) -> list[Link]:
    if display is None or display.links is None:
        return []
    try:
        return [link for link in display.links(item) if link.url]
    except (KeyError, TypeError, ValueError, AttributeError, NoReverseMatch):
        log.warning("approval request #%s: no link to its subject", item.pk)
        return []


def rendered(item: ApprovalRequest, request: HttpRequest | None = None) -> SafeString:
    """Return the HTML showing what ``item`` approves, with links to its subject."""
    display = _DISPLAYS.get(item.kind)
    context: dict[str, Any] = {
        "item": item,
        "snapshot": item.snapshot,
        "rows": snapshot_rows(item.snapshot),
        "links": _links(display, item),
    }
    template = GENERIC_TEMPLATE
    if display is not None:
        try:
            if display.context is not None:
                context.update(display.context(item))
            template = display.template
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            log.warning("approval request #%s: shown as a list of its snapshot", item.pk)
    return SafeString(render_to_string(template, context, request))


def snapshot_rows(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten a snapshot into (field, value) rows for a definition list: nested fields are
    named with their path, a list of plain values is joined, other lists are numbered."""
    rows: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key in sorted(value):
            rows.extend(snapshot_rows(value[key], f"{prefix} › {key}" if prefix else str(key)))
    elif isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            rows.append((prefix, ", ".join(_plain(v) for v in value) or "—"))
        else:
            for index, element in enumerate(value, start=1):
                rows.extend(snapshot_rows(element, f"{prefix} [{index}]"))
    else:
        rows.append((prefix, _plain(value)))
    return rows


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


def diff_lines(before: str, after: str) -> list[tuple[str, str]]:
    """Return the lines of a unified diff of two texts as (kind, line), kind one of ``add``,
    ``remove``, ``same``, ``hunk``; empty when nothing changed."""
    lines: list[tuple[str, str]] = []
    for line in difflib.unified_diff(
        (before or "").splitlines(), (after or "").splitlines(), lineterm="", n=2
    ):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(("hunk", line))
        elif line.startswith("+"):
            lines.append(("add", line[1:]))
        elif line.startswith("-"):
            lines.append(("remove", line[1:]))
        else:
            lines.append(("same", line[1:]))
    return lines


def change_rows(
    current: dict[str, Any] | None,
    requested: dict[str, Any] | None,
    labels: dict[str, str] | None = None,
    hidden: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Return the rows of a before/after table: each field of either state (named by
    ``labels`` where given), its value before and after and whether it changes."""
    current = current or {}
    requested = requested or {}
    labels = labels or {}
    rows = []
    for key in sorted(set(current) | set(requested)):
        if key in hidden:
            continue
        before = _plain(current.get(key)) if current else "—"
        after = _plain(requested.get(key))
        rows.append(
            {
                "field": labels.get(key, key),
                "before": before,
                "after": after,
                "changed": before != after,
            }
        )
    return rows


def role_name(code: str | None) -> str:
    """Return the name of the role ``code`` in the active language (the code if unknown)."""
    if not code:
        return ""
    role = Role.objects.filter(code=code).first()
    return role.name if role is not None else code


def department_name(code: str | None) -> str:
    """Return the name of the department ``code`` in the active language."""
    if not code:
        return ""
    department = Department.objects.filter(code=code).first()
    return department.name if department is not None else code


def person_link(username: str | None) -> Link | None:
    """Return a link to the person ``username`` on the staff pages, if they exist."""
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        return None
    return Link(
        _("Person %(name)s") % {"name": _person(user)}, reverse("accounts:person", args=[user.pk])
    )


def _person(user: User) -> str:
    full = user.get_full_name().strip()
    return f"{full} ({user.username})" if full else user.username


def person_name(username: str | None) -> str:
    """Return how the person ``username`` is named: full name and user name."""
    if not username:
        return ""
    user = User.objects.filter(username=username).first()
    return _person(user) if user is not None else username


def link_to(label: str, name: str, *args: Any) -> Link:
    """Return a link to the page ``name`` (an empty one if it cannot be reversed)."""
    try:
        return Link(label, reverse(name, args=args))
    except NoReverseMatch:
        return Link(label, "")


# ----------------------------------------------------------------------------------------------
# The kinds accounts itself registers: role grants and removals, approval policy changes.


def _grant_title(snapshot: dict[str, Any]) -> str:
    return _("Grant the role %(role)s to %(person)s") % {
        "role": role_name(snapshot["role"]),
        "person": person_name(snapshot["user"]),
    }


def _revoke_title(snapshot: dict[str, Any]) -> str:
    return _("Remove the role %(role)s from %(person)s") % {
        "role": role_name(snapshot["role"]),
        "person": person_name(snapshot["user"]),
    }


def _role_context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    revoke = item.kind == "accounts.role_revoke"
    link = person_link(snapshot["user"])
    person = person_name(snapshot["user"])
    shown_person = (
        format_html('<a href="{}">{}</a>', link.url, person) if link else conditional_escape(person)
    )
    sentence = (
        _("Remove the role %(role)s from %(person)s")
        if revoke
        else _("Grant the role %(role)s to %(person)s")
    )
    return {
        "sentence": SafeString(
            conditional_escape(sentence)
            % {
                "role": format_html("<strong>{}</strong>", role_name(snapshot["role"])),
                "person": shown_person,
            }
        ),
        "role": role_name(snapshot["role"]),
        "role_code": snapshot["role"],
        "person": person_name(snapshot["user"]),
        "person_link": person_link(snapshot["user"]),
        "department": department_name(snapshot.get("department")),
        "revoke": revoke,
    }


def _role_links(item: ApprovalRequest) -> list[Link]:
    link = person_link(item.snapshot["user"])
    return [link] if link is not None else []


def _policy_title(snapshot: dict[str, Any]) -> str:
    return _("Change the approval policy %(policy)s (v%(old)s → v%(new)s)") % {
        "policy": snapshot["policy"],
        "old": snapshot["base_version"],
        "new": snapshot["base_version"] + 1,
    }


def _policy_context(item: ApprovalRequest) -> dict[str, Any]:
    import json

    from mamori.accounts.models import ApprovalPolicy

    snapshot = item.snapshot
    policy = ApprovalPolicy.objects.filter(code=snapshot["policy"]).first()
    before = ""
    if policy is not None and policy.version == snapshot["base_version"]:
        before = json.dumps(policy.definition, ensure_ascii=False, indent=2, sort_keys=True)
    after = json.dumps(snapshot["definition"], ensure_ascii=False, indent=2, sort_keys=True)
    return {
        "policy": policy,
        "diff": diff_lines(before, after) if before else [],
        "before_known": bool(before),
        "after": after,
    }


def register() -> None:
    """Register how the kinds of accounts are shown."""
    register_display(
        "accounts.role_grant",
        template="accounts/approval_kinds/role.html",
        title=_grant_title,
        context=_role_context,
        links=_role_links,
    )
    register_display(
        "accounts.role_revoke",
        template="accounts/approval_kinds/role.html",
        title=_revoke_title,
        context=_role_context,
        links=_role_links,
    )
    register_display(
        "approvals.policy_change",
        template="accounts/approval_kinds/policy_change.html",
        title=_policy_title,
        context=_policy_context,
        links=lambda item: [
            link_to(_("Approval policies"), "accounts:approval_policies"),
        ],
    )
