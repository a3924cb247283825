"""Configuration management: the configuration items of the exchange's systems and how they
relate (SRM 7-2, 12-2..5).

One model for every kind of item — hardware, network devices and links, servers and virtual
machines, cloud accounts and resources, containers and services, software, licences, documents,
contracts, vendors — in NetBox's spirit: each with its owner department, system manager,
location, criticality and lifecycle, and the source that last reported it. Relations (runs on,
connects to, depends on, holds data of a kind) are the information flows SRM 7-2 asks each
system manager to know. An item gone from its source is flagged (``gone_since``), never deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class ConfigurationItem(AuditedModel):
    """One configuration item of the exchange (SRM 12-2, 12-4)."""

    class Kind(models.TextChoices):
        HARDWARE = "hardware", _("hardware")
        NETWORK_DEVICE = "network_device", _("network device")
        NETWORK_LINK = "network_link", _("network link")
        SERVER = "server", _("server")
        VIRTUAL_MACHINE = "virtual_machine", _("virtual machine")
        CLOUD_ACCOUNT = "cloud_account", _("cloud account")
        CLOUD_RESOURCE = "cloud_resource", _("cloud resource")
        CONTAINER = "container", _("container or workload")
        SERVICE = "service", _("service")
        SOFTWARE = "software", _("software")
        LICENCE = "licence", _("licence")
        DOCUMENT = "document", _("document")
        CONTRACT = "contract", _("contract")
        VENDOR = "vendor", _("vendor")

    class Lifecycle(models.TextChoices):
        PLANNED = "planned", _("planned")
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired")

    class Criticality(models.TextChoices):
        HIGH = "high", _("high")
        MEDIUM = "medium", _("medium")
        LOW = "low", _("low")

    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
    )
    name = models.CharField(
        _("name"),
        max_length=300,
    )
    source = models.CharField(
        _("source"),
        max_length=30,
        help_text=_(
            "Where the item comes from: csv, terraform, aws_config, kubernetes, netbox, manual."
        ),
    )
    external_id = models.CharField(
        _("identifier in its source"),
        max_length=500,
    )
    system = models.ForeignKey(
        "operations.System",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="configuration_items",
        verbose_name=_("system"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner department"),
    )
    system_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("system manager"),
    )
    location = models.CharField(
        _("location or region"),
        max_length=200,
        blank=True,
    )
    criticality = models.CharField(
        _("criticality"),
        max_length=10,
        choices=Criticality.choices,
        default=Criticality.MEDIUM,
    )
    lifecycle = models.CharField(
        _("lifecycle"),
        max_length=10,
        choices=Lifecycle.choices,
        default=Lifecycle.ACTIVE,
    )
    version = models.CharField(
        _("version"),
        max_length=100,
        blank=True,
    )
    expires_on = models.DateField(
        _("expires on"),
        null=True,
        blank=True,
        help_text=_("For licences and contracts."),
    )
    attributes = models.JSONField(
        _("attributes"),
        default=dict,
        blank=True,
    )
    first_seen_at = models.DateTimeField(
        _("first seen at"),
    )
    last_seen_at = models.DateTimeField(
        _("last seen in its source at"),
    )
    gone_since = models.DateTimeField(
        _("gone from its source since"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                name="operations_ci_source_id",
            ),
        ]
        indexes = [
            models.Index(fields=["system", "kind"], name="operations_ci_system_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


class Relation(AuditedModel):
    """How two configuration items relate; ``holds_data`` relations carry the kind of data
    that flows (SRM 7-2: the information flows a system manager must know)."""

    class Kind(models.TextChoices):
        RUNS_ON = "runs_on", _("runs on")
        CONNECTS_TO = "connects_to", _("connects to")
        DEPENDS_ON = "depends_on", _("depends on")
        HOLDS_DATA = "holds_data", _("holds data of")
        PART_OF = "part_of", _("part of")

    source_item = models.ForeignKey(
        ConfigurationItem,
        on_delete=models.CASCADE,
        related_name="relations_out",
    )
    target_item = models.ForeignKey(
        ConfigurationItem,
        on_delete=models.CASCADE,
        related_name="relations_in",
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
    )
    data_kind = models.CharField(
        _("kind of data"),
        max_length=100,
        blank=True,
    )
    gone_since = models.DateTimeField(
        _("gone from its source since"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["source_item", "kind"]
        verbose_name = _("relation")
        verbose_name_plural = _("relations")
        constraints = [
            models.UniqueConstraint(
                fields=["source_item", "target_item", "kind", "data_kind"],
                name="operations_relation_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_item} {self.kind} {self.target_item}"
