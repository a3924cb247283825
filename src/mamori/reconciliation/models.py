"""Reconciliation records (ISM 34): the nodes read, the books imported, every run with its
pinned blocks and per-asset and per-wallet results, discrepancy cases and statements."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.core.amounts import BaseUnitsField

__all__ = [
    "AssetPolicy",
    "AssetResult",
    "BookImport",
    "BookSource",
    "Case",
    "CaseAction",
    "ChainNode",
    "Run",
    "WalletResult",
]


class ChainNode(AuditedModel):
    """The node balances of one chain are read from (ISM 34-1); its URL may carry
    credentials and is stored encrypted."""

    class Family(models.TextChoices):
        EVM = "evm", _("Ethereum / EVM (JSON-RPC)")
        BITCOIN = "bitcoin", _("Bitcoin Core (JSON-RPC)")

    chain = models.CharField(
        max_length=40,
        unique=True,
        help_text=_("The chain name the assets use (e.g. ethereum, bitcoin)."),
    )
    family = models.CharField(
        max_length=10,
        choices=Family.choices,
    )
    url_encrypted = models.TextField()
    url_shown = models.CharField(
        max_length=300,
    )
    batch_size = models.PositiveIntegerField(
        default=500,
    )
    timeout_seconds = models.PositiveIntegerField(
        default=10,
    )
    retries = models.PositiveSmallIntegerField(
        default=3,
    )
    confirmations = models.PositiveIntegerField(
        default=0,
        help_text=_("Read at the tip less this many blocks (EVM)."),
    )

    class Meta:
        ordering = ("chain",)

    def __str__(self) -> str:
        return f"{self.chain} {self.url_shown}"


class BookSource(AuditedModel):
    """A database the book is queried from at each run (ISM 34-1); its URL is stored
    encrypted. The query returns the book's columns."""

    name = models.CharField(
        max_length=100,
        unique=True,
    )
    url_encrypted = models.TextField()
    url_shown = models.CharField(
        max_length=300,
    )
    query = models.TextField()
    active = models.BooleanField(
        default=True,
    )

    def __str__(self) -> str:
        return self.name


class BookImport(AuditedModel):
    """One book read (upload, CLI or query): what it held in aggregate, or every bad row
    (ISM 34-1)."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")

    source = models.CharField(
        max_length=100,
    )
    file_name = models.CharField(
        max_length=300,
        blank=True,
    )
    sha256 = models.CharField(
        max_length=64,
        blank=True,
    )
    rows = models.PositiveBigIntegerField(
        default=0,
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
    )
    totals = models.JSONField(
        default=list,
    )
    errors = models.JSONField(
        default=list,
    )
    error_count = models.PositiveIntegerField(
        default=0,
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ("-imported_at", "-pk")

    def __str__(self) -> str:
        return f"book {self.pk} {self.status}"


class Run(AuditedModel):
    """One reconciliation run: its inputs, pinned blocks, duration and outcome (ISM 34-1)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        MATCHED = "matched", _("matched")
        DIFFERENCE = "difference", _("difference")
        FAILED = "failed", _("failed")

    trigger = models.CharField(
        max_length=20,
    )
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    book = models.ForeignKey(
        BookImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="runs",
    )
    status = models.CharField(
        max_length=12,
        choices=Status.choices,
        default=Status.RUNNING,
    )
    reason = models.TextField(
        blank=True,
    )
    pins = models.JSONField(
        default=list,
    )
    attempts = models.PositiveSmallIntegerField(
        default=0,
    )
    day = models.DateField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    duration_ms = models.PositiveIntegerField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ("-started_at", "-pk")

    def __str__(self) -> str:
        return f"run {self.pk} {self.status}"


class AssetResult(AuditedModel):
    """Book total against chain total of one asset at the pinned block (ISM 34-1)."""

    run = models.ForeignKey(
        Run,
        on_delete=models.CASCADE,
        related_name="assets",
    )
    asset = models.CharField(
        max_length=20,
    )
    chain = models.CharField(
        max_length=40,
        blank=True,
    )
    block_number = models.PositiveBigIntegerField(
        null=True,
        blank=True,
    )
    block_hash = models.CharField(
        max_length=100,
        blank=True,
    )
    status = models.CharField(
        max_length=12,
        choices=Run.Status.choices,
    )
    book = BaseUnitsField()
    in_flight = BaseUnitsField()
    on_chain = BaseUnitsField(
        null=True,
        blank=True,
    )
    difference = BaseUnitsField(
        signed=True,
        null=True,
        blank=True,
    )
    errors = models.JSONField(
        default=list,
    )

    class Meta:
        ordering = ("asset",)

    def __str__(self) -> str:
        return f"{self.asset} {self.status}"


class WalletResult(AuditedModel):
    """One wallet's balance against its book (ISM 34-1); book figures are empty when the
    book does not allocate the asset to wallets."""

    asset_result = models.ForeignKey(
        AssetResult,
        on_delete=models.CASCADE,
        related_name="wallets",
    )
    wallet = models.CharField(
        max_length=100,
    )
    address = models.CharField(
        max_length=200,
    )
    status = models.CharField(
        max_length=12,
        choices=Run.Status.choices,
    )
    book = BaseUnitsField(
        null=True,
        blank=True,
    )
    in_flight = BaseUnitsField(
        null=True,
        blank=True,
    )
    on_chain = BaseUnitsField(
        null=True,
        blank=True,
    )
    difference = BaseUnitsField(
        signed=True,
        null=True,
        blank=True,
    )
    error = models.TextField(
        blank=True,
    )

    class Meta:
        ordering = ("wallet",)

    def __str__(self) -> str:
        return f"{self.wallet} {self.status}"


class Case(AuditedModel):
    """A discrepancy case (ISM 34-2): find the cause quickly, protect the assets, and fix
    the program when a defect caused it — a program defect cannot close without its fix.

    A case is opened by a run that found a difference (``run``), or by a book that was
    refused (``book``): until a newer book is accepted, no run reconciles at all."""

    class Kind(models.TextChoices):
        DIFFERENCE = "difference", _("difference")
        BOOK_REFUSED = "book_refused", _("book refused")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        AWAITING = "awaiting", _("awaiting approval to close")
        CLOSED = "closed", _("closed")

    class Cause(models.TextChoices):
        UNKNOWN = "unknown", _("unknown")
        PROGRAM_DEFECT = "program_defect", _("program defect")
        PENDING_TRANSFER = "pending_transfer", _("pending transfer")
        OPERATIONAL_ERROR = "operational_error", _("operational error")
        THEFT = "theft", _("theft / incident")

    audit_values: ClassVar[tuple[str, ...]] = ("status", "owner", "cause")  # History: before/after
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.DIFFERENCE,
    )
    asset = models.CharField(
        max_length=20,
        blank=True,
    )
    wallet = models.CharField(
        max_length=100,
        blank=True,
    )
    run = models.ForeignKey(
        Run,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    book = models.ForeignKey(
        BookImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text=_("The refused book that opened the case."),
    )
    difference = BaseUnitsField(
        signed=True,
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.OPEN,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cause = models.CharField(
        max_length=20,
        choices=Cause.choices,
        default=Cause.UNKNOWN,
    )
    fix_reference = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("The change record that fixed the program (required for a program defect)."),
    )
    incident_reference = models.CharField(
        max_length=300,
        blank=True,
    )
    resolution = models.TextField(
        blank=True,
    )
    halt_ordered = models.BooleanField(
        default=False,
        help_text=_("The custody monitor confirmed the halt of the asset's withdrawals."),
    )
    halt_refused = models.CharField(
        max_length=40,
        blank=True,
        help_text=_("Why the halt the policy called for could not be made (the monitor's code)."),
    )
    close_request = models.OneToOneField(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reconciliation_case",
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ("-opened_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed", cause="program_defect", fix_reference=""),
                name="reconciliation_case_defect_needs_fix",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed", cause="unknown"),
                name="reconciliation_case_closed_with_cause",
            ),
            models.CheckConstraint(
                condition=Q(kind="difference", run__isnull=False)
                | Q(kind="book_refused", book__isnull=False),
                name="reconciliation_case_has_its_origin",
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.pk} {self.asset}"


class CaseAction(AuditedModel):
    """What was done on a case, by whom and when (ISM 34-2)."""

    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="actions",
    )
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField()

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.case_id} {self.at:%Y-%m-%d}"


class AssetPolicy(AuditedModel):
    """What a difference of one asset sets off beyond a case (ISM 34-2: protect the assets):
    coins missing at or above ``halt_above_units`` halt the asset's withdrawals."""

    asset = models.OneToOneField(
        "custody.Asset",
        on_delete=models.PROTECT,
        related_name="reconciliation_policy",
    )
    halt_above_units = BaseUnitsField(
        null=True,
        blank=True,
        help_text=_("Coins missing at or above this many base units halt withdrawals."),
    )

    def __str__(self) -> str:
        return f"policy {self.asset_id}"
