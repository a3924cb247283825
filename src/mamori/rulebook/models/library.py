"""The rules as loaded into the database: versions, nodes, guideline notes, mappings."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel

__all__ = ["Framework", "FrameworkVersion", "Guidance", "LibraryChange", "Mapping", "Requirement"]


def _pick(ja: str, en: str) -> str:
    return en if (get_language() or "ja").startswith("en") and en else ja


class Framework(AuditedModel):
    """One rule (SRM or ISM) as a library; its current version's nodes are live."""

    urn = models.CharField(
        max_length=200,
        unique=True,
    )
    ref_id = models.CharField(
        max_length=40,
        unique=True,
    )
    name_ja = models.CharField(
        max_length=300,
    )
    name_en = models.CharField(
        max_length=300,
    )
    version = models.PositiveIntegerField()
    edition = models.CharField(
        max_length=100,
        blank=True,
    )
    status = models.CharField(
        max_length=40,
    )
    effective = models.CharField(
        max_length=40,
        blank=True,
    )

    class Meta:
        ordering = ("ref_id",)

    def __str__(self) -> str:
        return self.ref_id.upper()

    @property
    def name(self) -> str:
        """Return the name in the active language."""
        return _pick(self.name_ja, self.name_en)


class FrameworkVersion(AuditedModel):
    """A version of a rule library as loaded, with its full source, kept for good."""

    framework = models.ForeignKey(
        Framework,
        on_delete=models.PROTECT,
        related_name="versions",
    )
    version = models.PositiveIntegerField()
    source = models.TextField()
    sha256 = models.CharField(
        max_length=64,
    )
    loaded_at = models.DateTimeField()
    summary = models.JSONField(
        default=dict,
    )

    class Meta:
        ordering = ("framework", "-version")
        constraints = [
            models.UniqueConstraint(
                fields=("framework", "version"),
                name="rulebook_version_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.framework_id} v{self.version}"


class Requirement(AuditedModel):
    """A chapter, section, article, paragraph (項) or item (号) of a rule (library node).

    Nodes are never deleted: a node a newer version drops keeps its row with ``removed_in``
    set, so past assessments and exports still resolve.
    """

    class Strength(models.TextChoices):
        MUST = "must", _("must")
        MUST_NOT = "must_not", _("must not")
        ENDEAVOUR = "endeavour", _("endeavour")
        SHALL = "shall", _("shall")
        MAY = "may", _("may")
        INFORMATIVE = "informative", _("informative")

    framework = models.ForeignKey(
        Framework,
        on_delete=models.PROTECT,
        related_name="nodes",
    )
    urn = models.CharField(
        max_length=200,
        unique=True,
    )
    kind = models.CharField(
        max_length=20,
    )
    number = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    order = models.PositiveIntegerField()
    label = models.CharField(
        max_length=40,
    )
    title_ja = models.CharField(
        max_length=300,
        blank=True,
    )
    title_en = models.CharField(
        max_length=300,
        blank=True,
    )
    text_ja = models.TextField(
        blank=True,
    )
    text_en = models.TextField(
        blank=True,
    )
    strength = models.CharField(
        max_length=20,
        choices=Strength.choices,
        blank=True,
    )
    is_requirement = models.BooleanField(
        default=False,
    )
    refs = models.JSONField(
        default=list,
    )
    external_refs = models.JSONField(
        default=list,
    )
    version_added = models.PositiveIntegerField()
    version_changed = models.PositiveIntegerField()
    removed_in = models.PositiveIntegerField(
        null=True,
        blank=True,
    )
    needs_review = models.BooleanField(
        default=False,
    )
    review_reason = models.CharField(
        max_length=300,
        blank=True,
    )

    class Meta:
        ordering = ("framework", "order")
        indexes = [models.Index(fields=("framework", "order"), name="rulebook_node_order")]

    def __str__(self) -> str:
        return self.label

    @property
    def title(self) -> str:
        """Return the title (chapters, sections, articles) in the active language."""
        return _pick(self.title_ja, self.title_en)

    @property
    def text(self) -> str:
        """Return the English translation in English, the verbatim Japanese otherwise."""
        return _pick(self.text_ja, self.text_en)


class LibraryChange(AuditedModel):
    """One node added, removed, changed or retranslated by a new version of a rule."""

    version = models.ForeignKey(
        FrameworkVersion,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    urn = models.CharField(
        max_length=200,
    )
    kind = models.CharField(
        max_length=20,
    )
    fields = models.JSONField(
        default=list,
    )
    old_ja = models.TextField(
        blank=True,
    )
    new_ja = models.TextField(
        blank=True,
    )

    class Meta:
        ordering = ("version", "pk")

    def __str__(self) -> str:
        return f"{self.kind} {self.urn}"


class Guidance(AuditedModel):
    """A guideline note (ガイドライン「第N条関係」) attached to the node it explains."""

    urn = models.CharField(
        max_length=200,
        unique=True,
    )
    requirement = models.ForeignKey(
        Requirement,
        on_delete=models.PROTECT,
        related_name="guidance",
    )
    text_ja = models.TextField()
    text_en = models.TextField()
    refs = models.JSONField(
        default=list,
    )

    def __str__(self) -> str:
        return self.urn

    @property
    def text(self) -> str:
        """Return the note in the active language."""
        return _pick(self.text_ja, self.text_en)


class Mapping(AuditedModel):
    """A requirement mapped to another framework's item (e.g. NIST CSF 2.0 PR.AA-01)."""

    class Relationship(models.TextChoices):
        EQUAL = "equal", _("equal")
        SUBSET = "subset", _("subset of")
        SUPERSET = "superset", _("superset of")
        INTERSECT = "intersect", _("intersects")

    requirement = models.ForeignKey(
        Requirement,
        on_delete=models.PROTECT,
        related_name="mappings",
    )
    target_framework = models.CharField(
        max_length=60,
    )
    target_id = models.CharField(
        max_length=40,
    )
    target_title = models.CharField(
        max_length=300,
    )
    relationship = models.CharField(
        max_length=20,
        choices=Relationship.choices,
    )

    class Meta:
        ordering = ("target_framework", "target_id")
        constraints = [
            models.UniqueConstraint(
                fields=("requirement", "target_framework", "target_id"),
                name="rulebook_mapping_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.target_framework}:{self.target_id}"
