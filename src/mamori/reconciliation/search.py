"""What the global search finds in reconciliation, for those who may read it
(``reconciliation.view``): discrepancy cases by number, asset, wallet, cause, fix or incident
reference and resolution (ISM 34-2)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.core.search import Hit, Source, matching, register_source
from mamori.reconciliation.models import Case


def _cases(user: User, text: str) -> QuerySet[Case]:
    condition = matching(
        text, "asset", "wallet", "cause", "fix_reference", "incident_reference", "resolution"
    )
    if text.lstrip("#").isdigit():
        condition |= Q(pk=int(text.lstrip("#")))
    return Case.objects.filter(condition).order_by("-opened_at", "-pk")


def _case(case: Case) -> Hit:
    return Hit(
        f"#{case.pk}",
        gettext("Case %(number)s: %(kind)s %(asset)s")
        % {"number": case.pk, "kind": case.get_kind_display(), "asset": case.asset},
        reverse("reconciliation:case", args=[case.pk]),
        str(case.get_status_display()),
    )


def register() -> None:
    """Register the cases with the search."""
    register_source(
        Source("cases", _("Reconciliation cases"), "reconciliation.view", _cases, _case, 50)
    )
