"""Risk scenarios, their ratings and every change of them, and their treatment
(ISM 14-1, 15, 16, 17, 18, 12-3/12-4)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models.bilingual import BilingualName
from mamori.auditlog.audited import AuditedModel
from mamori.core.amounts import FiatField
from mamori.engines.risk import Option, Rating

STAGES = ("inherent", "current", "residual")
#: the digits a budget (whole yen) may have, up to 999,999,999,999,999 yen: the column holds 16,
#: but SQLite keeps a decimal as a float with 15 significant digits, and a 16-digit budget would
#: come back rounded, or fail to load at all
BUDGET_DIGITS = 15
OPTION_LABELS = {
    Option.REDUCE.value: _("reduce"),
    Option.AVOID.value: _("avoid"),
    Option.SHARE.value: _("share"),
    Option.ACCEPT.value: _("accept"),
}


class RiskScenario(BilingualName):
    """A risk: assets, a threat and vulnerabilities, its owner (リスク所有者, ISM 14-1), the
    approach used (ISM 15-2) and inherent, current and residual ratings (ISM 15-1)."""

    class Approach(models.TextChoices):
        BASELINE = "baseline", _("baseline: checked against the rulebook's controls (15-2-1)")
        INFORMAL = "informal", _("informal: expert judgement (15-2-2)")
        DETAILED = "detailed", _("detailed: asset value, threat and requirement (15-2-3)")

    audit_values: ClassVar[tuple[str, ...]] = (
        "owner",
        "approach",
        "needs_review",
    )  # History: before/after
    assessment = models.ForeignKey(
        "risk.Assessment",
        on_delete=models.PROTECT,
        related_name="scenarios",
    )
    code = models.SlugField(
        max_length=50,
    )
    assets = models.ManyToManyField(
        "risk.InformationAsset",
        related_name="scenarios",
    )
    threat = models.ForeignKey(
        "risk.Threat",
        on_delete=models.PROTECT,
        related_name="scenarios",
    )
    vulnerabilities = models.ManyToManyField(
        "risk.Vulnerability",
        blank=True,
        related_name="scenarios",
    )
    incidents = models.ManyToManyField(
        "risk.ExternalIncident",
        blank=True,
        related_name="scenarios",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approach = models.CharField(
        max_length=20,
        choices=Approach.choices,
    )
    approach_note = models.TextField(
        blank=True,
        help_text=_("Why the ratings are what they are (required for informal and detailed)."),
    )
    threat_level = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("Detailed approach: how strong the threat is, 1–5 (15-2-3)."),
    )
    requirement = models.TextField(
        blank=True,
        help_text=_("Detailed approach: the security requirement the assets must meet (15-2-3)."),
    )
    baseline_controls = models.ManyToManyField(
        "rulebook.Control",
        blank=True,
        related_name="+",
    )
    inherent_likelihood = models.PositiveSmallIntegerField()
    inherent_impact = models.PositiveSmallIntegerField()
    current_likelihood = models.PositiveSmallIntegerField()
    current_impact = models.PositiveSmallIntegerField()
    residual_likelihood = models.PositiveSmallIntegerField()
    residual_impact = models.PositiveSmallIntegerField()
    needs_review = models.BooleanField(
        default=False,
    )
    review_reason = models.TextField(
        blank=True,
    )
    flagged_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    updated_at = models.DateTimeField(
        auto_now=True,
    )

    class Meta:
        ordering = ["assessment", "code"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "code"], name="risk_scenario_code"),
        ]
        verbose_name = _("risk scenario")
        verbose_name_plural = _("risk scenarios")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def rating(self, stage: str) -> Rating:
        """Return the inherent, current or residual rating."""
        return Rating(getattr(self, f"{stage}_likelihood"), getattr(self, f"{stage}_impact"))


class LevelChange(AuditedModel):
    """One change of a scenario's rating: from what, to what, why and by whom or what
    (ISM 12-3/12-4 monitoring history)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("by a person")
        SIGNAL = "signal", _("by a monitoring signal")
        IMPORT = "import", _("by an import")
        TREATMENT = "treatment", _("by a treatment decision")

    scenario = models.ForeignKey(
        RiskScenario,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    stage = models.CharField(
        max_length=10,
    )
    old_likelihood = models.PositiveSmallIntegerField(
        null=True,
    )
    old_impact = models.PositiveSmallIntegerField(
        null=True,
    )
    old_level = models.CharField(
        max_length=50,
        blank=True,
    )
    new_likelihood = models.PositiveSmallIntegerField()
    new_impact = models.PositiveSmallIntegerField()
    new_level = models.CharField(
        max_length=50,
    )
    reason = models.TextField()
    source = models.CharField(
        max_length=20,
        choices=Source.choices,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(
        auto_now_add=True,
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("risk level change")
        verbose_name_plural = _("risk level changes")

    def __str__(self) -> str:
        return f"{self.stage} {self.old_level}→{self.new_level}"


class Treatment(AuditedModel):
    """How a scenario is treated (ISM 17) and with which controls (ISM 18-1): the security
    team's recommendation kept apart from the owner's decision."""

    scenario = models.OneToOneField(
        RiskScenario,
        on_delete=models.PROTECT,
        related_name="treatment",
    )
    recommended_option = models.CharField(
        max_length=10,
        choices=[(o.value, o.value) for o in Option],
    )
    recommendation = models.TextField(
        blank=True,
    )
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    controls = models.ManyToManyField(
        "rulebook.Control",
        blank=True,
        related_name="+",
    )
    new_controls = models.TextField(
        blank=True,
        help_text=_("Controls not in the catalogue, one per line."),
    )
    decided_option = models.CharField(
        max_length=10,
        blank=True,
        choices=[(o.value, o.value) for o in Option],
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("risk treatment")
        verbose_name_plural = _("risk treatments")

    def __str__(self) -> str:
        return self.decided_option or self.recommended_option

    @property
    def decided_label(self) -> str:
        """Return the decided option in the active language ("" while undecided)."""
        return str(OPTION_LABELS.get(self.decided_option, ""))

    @property
    def recommended_label(self) -> str:
        """Return the recommended option in the active language."""
        return str(OPTION_LABELS.get(self.recommended_option, self.recommended_option))


class TreatmentAction(AuditedModel):
    """One action of a treatment, with its owner, due date and budget (ISM 19-1)."""

    treatment = models.ForeignKey(
        Treatment,
        on_delete=models.PROTECT,
        related_name="actions",
    )
    text = models.CharField(
        max_length=500,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due = models.DateField()
    budget_jpy = FiatField(
        max_digits=16,
        decimal_places=0,
        default=0,
    )
    done = models.BooleanField(
        default=False,
    )

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("treatment action")
        verbose_name_plural = _("treatment actions")

    def __str__(self) -> str:
        return self.text


class Rationale(AuditedModel):
    """One numbered version of why these controls were chosen (ISM 18-2: 文書化)."""

    treatment = models.ForeignKey(
        Treatment,
        on_delete=models.PROTECT,
        related_name="rationales",
    )
    number = models.PositiveIntegerField()
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(
        auto_now_add=True,
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["treatment", "number"], name="risk_rationale_number"),
        ]
        verbose_name = _("treatment rationale")
        verbose_name_plural = _("treatment rationales")

    def __str__(self) -> str:
        return f"v{self.number}"
