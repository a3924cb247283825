"""Append-only tables of the audit log (ISM 23-1-2 and every "記録し保管" clause).

The database itself refuses UPDATE and DELETE on these tables (triggers, see migration 0002).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Entry(models.Model):
    """One leaf: the canonical JSON of what happened (its leaf hash is node 0/position).

    The other columns copy fields of the body for searching; verification checks they agree.
    """

    position = models.BigIntegerField(
        primary_key=True,
    )
    body = models.TextField()
    at = models.DateTimeField()
    actor = models.CharField(
        max_length=200,
        db_index=True,
    )
    action = models.CharField(
        max_length=100,
        db_index=True,
    )
    object_type = models.CharField(
        max_length=100,
        blank=True,
    )
    object_id = models.CharField(
        max_length=100,
        blank=True,
    )
    request_id = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
    )

    class Meta:
        ordering = ["-position"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="auditlog_entry_object"),
        ]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")

    def __str__(self) -> str:
        return f"#{self.position} {self.actor} {self.action} {self.object_type}:{self.object_id}"


class Node(models.Model):
    """The hash of a perfect subtree (level, position): the cache that makes proofs O(log n)."""

    pk = models.CompositePrimaryKey("level", "position")
    level = models.SmallIntegerField()
    position = models.BigIntegerField()
    hash = models.BinaryField()

    class Meta:
        verbose_name = _("tree node")
        verbose_name_plural = _("tree nodes")

    def __str__(self) -> str:
        return f"node {self.level}/{self.position}"


class Checkpoint(models.Model):
    """A signed tree head (C2SP signed note) that outsiders can keep and later check against."""

    size = models.BigIntegerField(
        primary_key=True,
    )
    root = models.BinaryField()
    note = models.TextField()
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-size"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class SigningKey(models.Model):
    """The log's Ed25519 key, generated at install; the private half is stored encrypted."""

    name = models.CharField(
        max_length=200,
        unique=True,
    )
    private_encrypted = models.TextField()
    public_key = models.BinaryField()
    created_at = models.DateTimeField(
        auto_now_add=True,
    )

    class Meta:
        verbose_name = _("log signing key")
        verbose_name_plural = _("log signing keys")

    def __str__(self) -> str:
        return self.name


class VerificationRun(models.Model):
    """The result of one full verification of the log (nightly, or by hand)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    entries = models.BigIntegerField()
    checkpoints = models.IntegerField()
    ok = models.BooleanField()
    problem = models.TextField(
        blank=True,
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("log verification")
        verbose_name_plural = _("log verifications")

    def __str__(self) -> str:
        return f"verification {self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'FAILED'}"
