"""The CSIRT (SRM 9-3-3 to 9-3-5): roster, weekly on-call rotation, external contacts and the
intake of shared threat information into the incident catalogue (SRM 8-4, ISM 15-3).

Phone numbers and email addresses are masked wherever a list or export shows them; the full
value is shown on a member's page to holders of ``incidents.view``, and that read is recorded.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from mamori.accounts.models import User
from mamori.core.errors import Refused
from mamori.engines.incidents.oncall import on_call_index
from mamori.operations.models import CsirtMember, ExternalContact, OnCallRotation, ThreatIntel

__all__ = [
    "CsirtRefused",
    "add_contact",
    "add_member",
    "mask_email",
    "mask_phone",
    "on_call",
    "rotation",
    "set_rotation",
    "take_threat_intel",
]


class CsirtRefused(Refused):
    """A CSIRT register action refused."""


def mask_phone(phone: str) -> str:
    """Show only the last two digits of a phone number."""
    digits = [c for c in phone if c.isdigit()]
    return "•" * max(len(digits) - 2, 0) + "".join(digits[-2:])


def mask_email(email: str) -> str:
    """Show an email's first letter and domain only."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def rotation() -> list[CsirtMember]:
    """The members on the on-call rotation, in its order."""
    return list(
        CsirtMember.objects.filter(active=True, rotation_position__isnull=False)
        .select_related("person")
        .order_by("rotation_position", "pk")
    )


def on_call(today: date | None = None) -> CsirtMember | None:
    """Return who is on call on ``today`` (SRM 9-3-3), or None."""
    found = OnCallRotation.objects.order_by("pk").first()
    if found is None:
        return None
    members = rotation()
    index = on_call_index(len(members), found.starts_on, today or timezone.localdate())
    return None if index is None else members[index]


def set_rotation(starts_on: date) -> OnCallRotation:
    """Set the day the weekly rotation starts (one rotation)."""
    found = OnCallRotation.objects.order_by("pk").first() or OnCallRotation(starts_on=starts_on)
    found.starts_on = starts_on
    found.save()
    return found


def add_member(
    person: User, role: str, phone: str, email: str, rotation_position: int | None = None
) -> CsirtMember:
    """Put ``person`` on the roster (or update their entry)."""
    if role not in CsirtMember.Role.values:
        raise CsirtRefused(
            "unknown_role",
            gettext("Expected a role in %(roles)s, got %(role)s.")
            % {"roles": ", ".join(CsirtMember.Role.values), "role": role},
        )
    if not phone.strip() or not email.strip():
        raise CsirtRefused(
            "contact_required",
            gettext("A CSIRT member needs a phone number and an email address."),
            fields=[("phone", gettext("required")), ("email", gettext("required"))],
        )
    member, _created = CsirtMember.objects.update_or_create(
        person=person,
        defaults={
            "role": role,
            "phone": phone.strip(),
            "email": email.strip(),
            "rotation_position": rotation_position,
            "active": True,
        },
    )
    return member


def add_contact(name: str, kind: str, purpose: str, contact: str) -> ExternalContact:
    """Record an outside body the CSIRT works with (SRM 9-3-4, 9-3-5)."""
    if not name.strip() or not contact.strip():
        raise CsirtRefused(
            "contact_incomplete",
            gettext("An external contact needs its name and how to reach it."),
            fields=[("name", gettext("required")), ("contact", gettext("required"))],
        )
    return ExternalContact.objects.create(
        name=name.strip(), kind=kind, purpose=purpose.strip(), contact=contact.strip()
    )


def take_threat_intel(
    source: str, title: str, summary: str, received_on: date, by: User
) -> ThreatIntel:
    """Take shared threat information into the incident catalogue the risk analysis learns
    from (``risk.ExternalIncident``, SRM 8-4 / ISM 15-3) and keep where it came from."""
    from mamori.risk.models import ExternalIncident

    missing = [
        n for n, v in (("source", source), ("title", title), ("summary", summary)) if not v.strip()
    ]
    if missing:
        raise CsirtRefused(
            "intel_incomplete",
            gettext("Say where the information came from, its title and a summary."),
            fields=[(n, gettext("required")) for n in missing],
        )
    with transaction.atomic():
        number = ThreatIntel.objects.count() + 1
        code = f"ti-{received_on:%Y%m%d}-{number}"
        while ExternalIncident.objects.filter(code=code).exists():
            number += 1
            code = f"ti-{received_on:%Y%m%d}-{number}"
        entry = ExternalIncident.objects.create(
            code=code,
            firm=source.strip()[:200],
            year=received_on.year,
            name_ja=title.strip()[:200],
            name_en=title.strip()[:200],
            summary_ja=summary.strip(),
            summary_en=summary.strip(),
        )
        return ThreatIntel.objects.create(
            source=source.strip()[:200],
            title=title.strip()[:200],
            summary=summary.strip(),
            received_on=received_on,
            catalogue_entry=entry,
            taken_by=by,
        )
