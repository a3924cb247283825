"""What the global search finds in the rulebook, for those who may read it (``rulebook.view``):
controls by code, name or description; articles, paragraphs and items of both rules by label,
title or text; the policies whose summaries are published (SRM 4-4, ISM 5)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.core.search import Hit, Source, matching, register_source
from mamori.rulebook.models import Control, PolicyDocument, Requirement

VIEW = "rulebook.view"


def _controls(user: User, text: str) -> QuerySet[Control]:
    return Control.objects.filter(
        matching(text, "code", "name_ja", "name_en", "description_ja", "description_en")
    ).order_by("code")


def _control(control: Control) -> Hit:
    return Hit(control.code, control.name, reverse("rulebook:control", args=[control.code]))


def _articles(user: User, text: str) -> QuerySet[Requirement]:
    return (
        Requirement.objects.filter(
            matching(text, "urn", "label", "title_ja", "title_en", "text_ja", "text_en"),
            removed_in__isnull=True,
        )
        .select_related("framework")
        .order_by("framework__ref_id", "order")
    )


def _article(node: Requirement) -> Hit:
    return Hit(
        node.label,
        node.title or Truncator(node.text).chars(120),
        reverse("rulebook:node", args=[node.urn]),
    )


def _policies(user: User, text: str) -> QuerySet[PolicyDocument]:
    return PolicyDocument.objects.filter(
        matching(text, "code", "title_ja", "title_en", "article")
    ).order_by("code")


def _policy(document: PolicyDocument) -> Hit:
    return Hit(document.code, document.title, reverse("rulebook:policies"), document.article)


def register() -> None:
    """Register controls, articles and policies with the search."""
    register_source(Source("controls", _("Controls"), VIEW, _controls, _control, order=10))
    register_source(Source("articles", _("Articles of the rules"), VIEW, _articles, _article, 20))
    register_source(Source("policies", _("Policies"), VIEW, _policies, _policy, order=80))
