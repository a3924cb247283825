"""A name kept in Japanese and English, shown in the active language."""

from django.db import models
from django.utils.translation import get_language

from mamori.auditlog.audited import AuditedModel


class BilingualName(AuditedModel):
    """Abstract base for records whose name people read in ja or en."""

    name_ja = models.CharField(
        max_length=200,
    )
    name_en = models.CharField(
        max_length=200,
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """Return the name in the active language (Japanese unless English is active)."""
        language = get_language() or "ja"
        return self.name_en if language.startswith("en") else self.name_ja
