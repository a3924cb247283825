"""The settings that decide what the operations controls measure, changed only with two
officers' approval (SRM 12-5, 17, 21-2, 22, 9).

How long an emergency change may wait for its approvals and a post-change review for its
signature after a release (CHG controls), how recently a source must have seen a configuration
item for it to count as known, how early an expiring licence is flagged (CMDB-02..04), by what
hour a day's operating status must be confirmed (OPS-STS-02) and from which severity an
incident needs its review (SRM 9): each is one row the controls read. Widening one can turn a
control green without anything in the exchange changing, so a systems manager proposes
(:func:`propose`) and the change takes effect once two officers approve it under
``policy_change`` (:func:`apply_approval`), exactly as approved and only if the setting is
still what they saw beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.core.errors import Refused
from mamori.operations.models import ChangeSetting, CmdbSetting, ReviewSetting, StatusSetting

__all__ = [
    "EDITABLE",
    "KIND",
    "POLICY",
    "Editable",
    "SettingRefused",
    "apply_approval",
    "current",
    "field_of",
    "pending",
    "propose",
    "validate",
]

KIND = "operations.setting_change"
POLICY = "policy_change"


class SettingRefused(Refused):
    """A proposed setting refused; ``code`` is stable for machines."""


@dataclass(frozen=True)
class Editable:
    """A one-row setting: its model, the fields proposed together, and the bounds of the
    numbers among them."""

    code: str
    title: Promise
    article: str
    model: type[models.Model]
    fields: tuple[str, ...]
    bounds: dict[str, tuple[int, int]]


EDITABLE = {
    e.code: e
    for e in (
        Editable(
            "cmdb",
            _("Configuration management"),
            "SRM 12-5",
            CmdbSetting,
            ("seen_within_days", "licence_warning_days"),
            {"seen_within_days": (1, 365), "licence_warning_days": (1, 365)},
        ),
        Editable(
            "changes",
            _("Time limits after a release"),
            "SRM 17, 22",
            ChangeSetting,
            ("emergency_review_hours", "review_within_days"),
            {"emergency_review_hours": (1, 24 * 365), "review_within_days": (1, 365)},
        ),
        Editable(
            "status",
            _("Daily confirmation of the operating status"),
            "SRM 21-2",
            StatusSetting,
            ("confirm_by_hour",),
            {"confirm_by_hour": (0, 23)},
        ),
        Editable(
            "reviews",
            _("Reviews after incidents"),
            "SRM 9",
            ReviewSetting,
            ("min_severity", "drills"),
            {},
        ),
    )
}


def field_of(editable: Editable, name: str) -> models.Field:  # type: ignore[type-arg]
    """The model field ``name`` of ``editable``."""
    field = editable.model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _editable(code: str) -> Editable:
    found = EDITABLE.get(code)
    if found is None:
        raise SettingRefused(
            "unknown_setting", gettext("No setting %(code)s.") % {"code": code[:40] or "-"}
        )
    return found


def current(code: str) -> dict[str, Any]:
    """The values in force for setting ``code`` (the model's defaults while no row exists)."""
    editable = _editable(code)
    row = editable.model._default_manager.order_by("pk").first() or editable.model()
    return {name: getattr(row, name) for name in editable.fields}


def pending() -> list[ApprovalRequest]:
    """The proposed settings waiting for their approvals."""
    return list(ApprovalRequest.objects.filter(kind=KIND, status="pending").order_by("pk"))


def _checked(editable: Editable, values: dict[str, Any]) -> dict[str, Any]:
    problems = []
    checked: dict[str, Any] = {}
    for name in editable.fields:
        field = field_of(editable, name)
        value = values.get(name)
        if isinstance(field, models.BooleanField):
            checked[name] = bool(value)
            continue
        if field.choices:
            if value not in {choice for choice, _label in field.choices}:
                problems.append((name, gettext("Choose one of the choices.")))
            checked[name] = value
            continue
        low, high = editable.bounds[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(
                (name, gettext("Between %(low)s and %(high)s.") % {"low": low, "high": high})
            )
        checked[name] = value
    if problems:
        raise SettingRefused("bad_setting", gettext("Check the values."), fields=problems)
    return checked


def propose(code: str, values: dict[str, Any], by: User) -> ApprovalRequest:
    """Propose new values for setting ``code``; return the approval request that will apply
    them."""
    editable = _editable(code)
    after = _checked(editable, values)
    before = current(code)
    if after == before:
        raise SettingRefused("nothing_changes", gettext("The setting already says this."))
    for request in pending():
        if request.snapshot.get("setting") == code:
            raise SettingRefused(
                "already_pending",
                gettext("Request #%(id)s already proposes this setting; it is decided first.")
                % {"id": request.pk},
                status=409,
            )
    changed = ", ".join(
        f"{name} {before[name]} → {after[name]}" for name in after if after[name] != before[name]
    )
    title = gettext("Change the setting %(setting)s: %(changed)s") % {
        "setting": str(editable.title),
        "changed": changed,
    }
    snapshot = {"setting": code, "values": after, "previous": before}
    return approvals.submit(KIND, title, snapshot, by)


def validate(snapshot: dict[str, Any]) -> None:
    """Refuse a snapshot that names no editable setting or other fields than its own."""
    editable = _editable(str(snapshot.get("setting", "")))
    for key in ("values", "previous"):
        if set(snapshot.get(key) or {}) != set(editable.fields):
            raise SettingRefused("bad_setting", gettext("Check the values."))
    _checked(editable, snapshot["values"])


def apply_approval(request: ApprovalRequest) -> None:
    """Apply approved values: exactly as approved, and only if the setting is still what the
    officers saw beside them (else it is proposed again)."""
    snapshot: dict[str, Any] = request.snapshot
    approvals.verify(request, snapshot)
    editable = _editable(snapshot["setting"])
    if current(editable.code) != snapshot["previous"]:
        raise SettingRefused(
            "stale",
            gettext("The setting changed since request #%(id)s was made. Propose it again.")
            % {"id": request.pk},
            status=409,
        )
    with transaction.atomic():
        manager = editable.model._default_manager
        row = manager.select_for_update().order_by("pk").first() or editable.model()
        for name, value in snapshot["values"].items():
            setattr(row, name, value)
        row.save()
