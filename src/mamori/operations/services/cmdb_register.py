"""The configuration register people work in: manual items, relations, the measured
evaluation of configuration management and its yearly review (SRM 7-2, 12-2..5)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import RoleAssignment, User
from mamori.core.errors import Refused
from mamori.operations.models import (
    CmdbReview,
    CmdbSetting,
    ConfigurationItem,
    ImportRun,
    Relation,
)

__all__ = [
    "MANUAL",
    "REVIEWER_ROLE",
    "CmdbRefused",
    "Figures",
    "add_relation",
    "evaluate",
    "is_general_manager",
    "remove_relation",
    "require_general_manager",
    "setting",
    "sign_review",
]

MANUAL = "manual"
REVIEWER_ROLE = "system_general_manager"


class CmdbRefused(Refused):
    """A change to the configuration register refused; ``code`` is stable for machines."""


@dataclass(frozen=True)
class Figures:
    """The measured state of configuration management (SRM 12-5). Shares are whole percents
    rounded down (``None`` when there is no item); counts are item counts."""

    items: int
    with_owner_and_manager: int
    owner_share: int | None
    seen_recently: int
    seen_share: int | None
    seen_within_days: int
    unknown_from_imports: int
    licences_expiring: int
    licence_warning_days: int
    without_system_relation: int
    gone: int

    def as_dict(self) -> dict[str, Any]:
        """The figures as a plain mapping (kept with a review)."""
        return asdict(self)


def setting() -> CmdbSetting:
    """The one row of settings (created with its defaults if missing)."""
    found = CmdbSetting.objects.first()
    return found if found is not None else CmdbSetting.objects.create()


def _share(part: int, whole: int) -> int | None:
    return None if whole == 0 else part * 100 // whole


def evaluate(today: date | None = None) -> Figures:
    """Measure configuration management over the items not gone from their source."""
    now = timezone.now()
    today = today or timezone.localdate()
    rules = setting()
    live = ConfigurationItem.objects.filter(gone_since__isnull=True)
    items = live.count()
    owned = live.filter(department__isnull=False, system_manager__isnull=False).count()
    cutoff = now - timedelta(days=rules.seen_within_days)
    # an import that changes nothing leaves last_seen_at alone (a repeated file changes no row):
    # every item not gone from a source imported since the cutoff was seen by that import
    reported = ImportRun.objects.filter(outcome=ImportRun.Outcome.IMPORTED, at__gte=cutoff)
    recent_sources = set(reported.values_list("source", flat=True))
    seen = live.filter(Q(last_seen_at__gte=cutoff) | Q(source__in=recent_sources)).count()
    unknown = live.filter(system__isnull=True).exclude(source=MANUAL).count()
    expiring = live.filter(
        kind=ConfigurationItem.Kind.LICENCE,
        expires_on__isnull=False,
        expires_on__lte=today + timedelta(days=rules.licence_warning_days),
    ).count()
    related = Relation.objects.filter(gone_since__isnull=True)
    linked = live.filter(
        Q(system__isnull=False)
        | Q(relations_out__in=related.filter(target_item__system__isnull=False))
        | Q(relations_in__in=related.filter(source_item__system__isnull=False))
    ).distinct()
    return Figures(
        items=items,
        with_owner_and_manager=owned,
        owner_share=_share(owned, items),
        seen_recently=seen,
        seen_share=_share(seen, items),
        seen_within_days=rules.seen_within_days,
        unknown_from_imports=unknown,
        licences_expiring=expiring,
        licence_warning_days=rules.licence_warning_days,
        without_system_relation=items - linked.count(),
        gone=ConfigurationItem.objects.filter(gone_since__isnull=False).count(),
    )


def is_general_manager(user: object) -> bool:
    """Whether ``user`` holds the system general manager's role now."""
    if not isinstance(user, User):
        return False
    return RoleAssignment.objects.filter(
        user=user, role__code=REVIEWER_ROLE, revoked_at__isnull=True, user__is_active=True
    ).exists()


def require_general_manager(user: object) -> None:
    """Refuse anyone but the system general manager (the review's signer, SRM 12-6)."""
    if not is_general_manager(user):
        raise CmdbRefused(
            "not_general_manager",
            _("Only the system general manager signs the configuration-management review."),
            status=403,
        )


@transaction.atomic
def sign_review(user: User, year: int, conclusion: str) -> CmdbReview:
    """Sign the year's review with the figures measured now; only the system general manager
    signs, once a year, with a conclusion."""
    require_general_manager(user)
    if not conclusion.strip():
        message = _("Write the conclusion of the review.")
        raise CmdbRefused("conclusion_required", message, fields=[("conclusion", message)])
    if CmdbReview.objects.filter(year=year).exists():
        raise CmdbRefused(
            "already_signed",
            _("The review of %(year)s is already signed.") % {"year": year},
            status=409,
        )
    return CmdbReview.objects.create(
        year=year,
        signed_by=user,
        signed_at=timezone.now(),
        figures=evaluate().as_dict(),
        conclusion=conclusion.strip(),
    )


def add_relation(
    source: ConfigurationItem, target: ConfigurationItem, kind: str, data_kind: str = ""
) -> Relation:
    """Record how two items relate; ``holds_data`` needs the kind of data that flows."""
    data_kind = data_kind.strip()
    if source.pk == target.pk:
        message = _("An item does not relate to itself.")
        raise CmdbRefused("self_relation", message, fields=[("target", message)])
    if kind == Relation.Kind.HOLDS_DATA and not data_kind:
        message = _("Name the kind of data this item holds or passes on.")
        raise CmdbRefused("data_kind_required", message, fields=[("data_kind", message)])
    if kind != Relation.Kind.HOLDS_DATA:
        data_kind = ""
    relation, created = Relation.objects.get_or_create(
        source_item=source, target_item=target, kind=kind, data_kind=data_kind
    )
    if not created and relation.gone_since is not None:
        relation.gone_since = None
        relation.save(update_fields=["gone_since"])
    return relation


def remove_relation(relation: Relation) -> None:
    """Remove a relation recorded by hand; one a source reported is flagged gone instead."""
    if relation.source_item.source == MANUAL and relation.target_item.source == MANUAL:
        relation.delete()
    elif relation.gone_since is None:
        relation.gone_since = timezone.now()
        relation.save(update_fields=["gone_since"])
