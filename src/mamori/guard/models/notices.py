"""Customer notices and the public status page (SRM 10-6-3: tell customers promptly).

A notice (an incident or a planned maintenance) is written in Japanese and English, names
the affected services (the kill switch's functions) with a state for each, and is published
on mamori's public status page only once approved by the incident's communications owner
(or, without one, the CISO or the system general manager) — never by its author. Updates are
appended the same way.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class ServiceState(models.TextChoices):
    """How a service is doing, as customers read it."""

    OPERATIONAL = "operational", _("operational")
    DEGRADED = "degraded", _("degraded performance")
    OUTAGE = "outage", _("outage")
    MAINTENANCE = "maintenance", _("maintenance")


class Publication(models.TextChoices):
    """Where a notice or an update stands on its way to the public page."""

    DRAFT = "draft", _("draft")
    PENDING = "pending", _("waiting for approval")
    PUBLISHED = "published", _("published")


class Notice(AuditedModel):
    """A notice to customers about an incident or a maintenance (SRM 10-6-3)."""

    class Kind(models.TextChoices):
        INCIDENT = "incident", _("incident")
        MAINTENANCE = "maintenance", _("maintenance")

    audit_values: ClassVar[tuple[str, ...]] = ("publication", "approved_by")
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
        default=Kind.INCIDENT,
    )
    title_ja = models.CharField(
        _("title (Japanese)"),
        max_length=200,
    )
    title_en = models.CharField(
        _("title (English)"),
        max_length=200,
    )
    body_ja = models.TextField(
        _("text (Japanese)"),
    )
    body_en = models.TextField(
        _("text (English)"),
    )
    incident = models.ForeignKey(
        "operations.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("incident"),
    )
    starts_at = models.DateTimeField(
        _("starts at"),
    )
    ends_at = models.DateTimeField(
        _("ends at"),
        null=True,
        blank=True,
    )
    resolved = models.BooleanField(
        _("resolved"),
        default=False,
    )
    publication = models.CharField(
        _("publication"),
        max_length=20,
        choices=Publication.choices,
        default=Publication.DRAFT,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("customer notice")
        verbose_name_plural = _("customer notices")
        indexes = [
            models.Index(
                fields=["publication", "starts_at"],
                name="guard_notice_published",
            ),
        ]

    def __str__(self) -> str:
        return self.title_en

    def title(self, language: str) -> str:
        """Return the title in ``language`` (ja or en)."""
        return self.title_en if language.startswith("en") else self.title_ja

    def body(self, language: str) -> str:
        """Return the text in ``language`` (ja or en)."""
        return self.body_en if language.startswith("en") else self.body_ja


class NoticeService(AuditedModel):
    """A service a notice concerns and its state as the notice last said."""

    notice = models.ForeignKey(
        Notice,
        on_delete=models.CASCADE,
        related_name="services",
    )
    function = models.ForeignKey(
        "guard.Function",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service"),
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=ServiceState.choices,
    )

    class Meta:
        ordering = ["function__code"]
        verbose_name = _("affected service")
        verbose_name_plural = _("affected services")
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "function"],
                name="guard_notice_service_once",
            ),
        ]


class NoticeUpdate(AuditedModel):
    """An update appended to a notice; published once approved like the notice itself. A
    ``resolved`` update ends the notice and sets every service back to operational."""

    audit_values: ClassVar[tuple[str, ...]] = ("publication", "approved_by")
    notice = models.ForeignKey(
        Notice,
        on_delete=models.CASCADE,
        related_name="updates",
    )
    text_ja = models.TextField(
        _("text (Japanese)"),
    )
    text_en = models.TextField(
        _("text (English)"),
    )
    resolves = models.BooleanField(
        _("resolved"),
        default=False,
    )
    publication = models.CharField(
        _("publication"),
        max_length=20,
        choices=Publication.choices,
        default=Publication.DRAFT,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(
        _("written at"),
        auto_now_add=True,
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("notice update")
        verbose_name_plural = _("notice updates")

    def text(self, language: str) -> str:
        """Return the text in ``language`` (ja or en)."""
        return self.text_en if language.startswith("en") else self.text_ja
