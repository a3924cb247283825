"""Imports of the configuration database from real sources (SRM 12-2..4): each run of a file
kept with what it changed, so the inventory's history can be read run by run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class ImportRun(AuditedModel):
    """One import of a source file into the configuration database (SRM 12-4): the file's
    digest, what was added, changed, gone or unchanged, the relations, the items no system
    claims (SRM 12-5's "unknown items found by imports"), or the problems it was refused for."""

    class Source(models.TextChoices):
        CSV = "csv", _("CSV table")
        EXCEL = "excel", _("Excel workbook")
        TERRAFORM = "terraform", _("Terraform state (terraform show -json)")
        AWS_CONFIG = "aws_config", _("AWS Config snapshot")
        KUBERNETES = "kubernetes", _("Kubernetes list (kubectl get -o json)")
        NETBOX = "netbox", _("NetBox REST export")

    class Outcome(models.TextChoices):
        IMPORTED = "imported", _("imported")
        REFUSED = "refused", _("refused")

    source = models.CharField(
        _("source"),
        max_length=30,
        choices=Source.choices,
    )
    file_name = models.CharField(
        _("file name"),
        max_length=300,
        blank=True,
    )
    sha256 = models.CharField(
        _("SHA-256"),
        max_length=64,
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=10,
        choices=Outcome.choices,
    )
    added = models.PositiveIntegerField(_("added"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    gone = models.PositiveIntegerField(_("gone"), default=0)
    reappeared = models.PositiveIntegerField(_("reappeared"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    relations_added = models.PositiveIntegerField(_("relations added"), default=0)
    relations_gone = models.PositiveIntegerField(_("relations gone"), default=0)
    relations_unchanged = models.PositiveIntegerField(_("relations unchanged"), default=0)
    unknown = models.PositiveIntegerField(
        _("items without a system"),
        default=0,
    )
    errors = models.JSONField(
        _("problems"),
        default=list,
        blank=True,
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    via = models.CharField(
        _("via"),
        max_length=10,
        default="web",
    )
    at = models.DateTimeField(
        _("at"),
    )
    milliseconds = models.PositiveBigIntegerField(
        _("duration (ms)"),
        default=0,
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("configuration import")
        verbose_name_plural = _("configuration imports")
        indexes = [
            models.Index(fields=["source", "-at"], name="operations_importrun_source"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.file_name} {self.at:%Y-%m-%d %H:%M}"
