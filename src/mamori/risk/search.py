"""What the global search finds in risk management, for those who may read the register
(``risk.view``): risks by code or name (ISM 14-1) and information assets by code or name
(ISM 12, 21)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.core.search import Hit, Source, matching, register_source
from mamori.risk.models import InformationAsset, RiskScenario

VIEW = "risk.view"


def _risks(user: User, text: str) -> QuerySet[RiskScenario]:
    return (
        RiskScenario.objects.filter(matching(text, "code", "name_ja", "name_en"))
        .select_related("assessment")
        .order_by("-assessment__started_at", "code")
    )


def _risk(scenario: RiskScenario) -> Hit:
    return Hit(
        scenario.code,
        scenario.name,
        reverse("risk:scenario", args=[scenario.pk]),
        scenario.assessment.name,
    )


def _assets(user: User, text: str) -> QuerySet[InformationAsset]:
    return InformationAsset.objects.filter(matching(text, "code", "name_ja", "name_en")).order_by(
        "code"
    )


def _asset(asset: InformationAsset) -> Hit:
    return Hit(asset.code, asset.name, reverse("risk:asset", args=[asset.pk]))


def register() -> None:
    """Register risks and information assets with the search."""
    register_source(Source("risks", _("Risks"), VIEW, _risks, _risk, order=30))
    register_source(Source("assets", _("Information assets"), VIEW, _assets, _asset, order=40))
