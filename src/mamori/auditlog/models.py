"""Append-only tables of the audit log (ISM 23-1-2 and every "記録し保管" clause).

The database itself refuses UPDATE and DELETE on these tables (triggers, see migrations 0002
and 0003).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Run(models.Model):
    """Entries appended together, within one chunk of 256: the log itself (ISM 23-1-2).

    ``leaves`` are the entries' leaf hashes, ``nodes`` the hashes of the subtrees of levels 1–7
    they complete, in the order they complete (see :mod:`mamori.engines.merkle.chunks`), and
    ``bodies`` their canonical JSON joined by newlines.
    """

    first = models.BigIntegerField(
        primary_key=True,
    )
    count = models.IntegerField()
    leaves = models.BinaryField()
    nodes = models.BinaryField()
    bodies = models.BinaryField()  # last: reading the hashes need not walk past the bodies

    class Meta:
        ordering = ["first"]
        verbose_name = _("run of log entries")
        verbose_name_plural = _("runs of log entries")

    def __str__(self) -> str:
        return f"entries {self.first}–{self.first + self.count - 1}"


class EntryManager(models.Manager["Entry"]):
    """Bring the search index up to date with the log before every query of it."""

    def get_queryset(self) -> models.QuerySet["Entry"]:
        """Catch the index up, then query it."""
        from mamori.auditlog.store import catch_up_index

        catch_up_index()
        return super().get_queryset()


class Entry(models.Model):
    """The search index of one entry: who, what, which object, when, which request.

    Derived from the entry's body in the log (:class:`Run`), filled in bulk outside the
    append path, append-only like the log, and checked against the bodies by verification.
    """

    position = models.BigIntegerField(
        primary_key=True,
    )
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

    objects = EntryManager()

    class Meta:
        ordering = ["-position"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="auditlog_entry_object"),
        ]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")

    def __str__(self) -> str:
        return f"#{self.position} {self.actor} {self.action} {self.object_type}:{self.object_id}"

    @property
    def body(self) -> str:
        """Return the entry's canonical JSON as the log holds it."""
        from mamori.auditlog.store import body_of

        return body_of(self.position).decode("utf-8")


class Node(models.Model):
    """The hash of a perfect subtree of level ≥ 8 (level, position): with the chunks' leaves,
    the cache that makes proofs O(log n)."""

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
    """A public key that signs the log's checkpoints or reconciliation statements (ISM 23-1-2,
    34-3). Rows are only ever added (the database refuses UPDATE and DELETE): a purpose's
    latest row is its current key; a rotation adds a row once two people approve. The private
    half lives in an HSM (PKCS#11) or a key file outside the data directory, never here."""

    class Purpose(models.TextChoices):
        LOG = "log", _("audit log checkpoints")
        STATEMENT = "statement", _("reconciliation statements")

    purpose = models.CharField(
        max_length=20,
        choices=Purpose.choices,
        default=Purpose.LOG,
    )
    name = models.CharField(
        max_length=200,
    )
    key_id = models.CharField(
        max_length=8,
        help_text=_("C2SP signed-note key id (hex)"),
    )
    public_key = models.BinaryField()
    store = models.CharField(
        max_length=20,
        help_text=_("where the private half is: pkcs11, file, or legacy (it was in the database)"),
    )
    created_at = models.DateTimeField(
        default=timezone.now,
    )
    created_by = models.CharField(
        max_length=200,
        blank=True,
    )
    approval = models.BigIntegerField(
        null=True,
        blank=True,
        help_text=_("the approval request of a rotation"),
    )

    class Meta:
        ordering = ["purpose", "pk"]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "key_id"],
                name="auditlog_signingkey_unique_purpose_key_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.name} {self.key_id}"


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


class Publication(models.Model):
    """A checkpoint sent to a place outside mamori (a directory, an object store, auditors'
    mail, a witness), with the outcome: what an auditor can hold against the database later."""

    target = models.CharField(
        max_length=300,
    )
    size = models.BigIntegerField()
    ok = models.BooleanField()
    detail = models.TextField(
        blank=True,
    )
    note = models.TextField(
        blank=True,
    )
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at"]
        indexes = [
            models.Index(fields=["target", "size"], name="auditlog_publication_target"),
        ]
        verbose_name = _("checkpoint publication")
        verbose_name_plural = _("checkpoint publications")

    def __str__(self) -> str:
        return f"checkpoint {self.size} → {self.target}: {'ok' if self.ok else 'failed'}"


class Bypass(models.Model):
    """A write to an audited table that did not come through the ORM — ``psql``, a script, a
    raw cursor — caught by a PostgreSQL trigger in the writer's own transaction and kept here
    until the log records it (ISM 23-1-2; :mod:`mamori.auditlog.bypass`). Only digests of the
    row are kept, never its values. Rows are never changed; the one statement that records
    them removes them."""

    at = models.DateTimeField()
    operation = models.CharField(
        max_length=8,
    )
    table_name = models.CharField(
        max_length=63,
    )
    row_id = models.CharField(
        max_length=100,
        blank=True,
    )
    row_before = models.CharField(
        max_length=64,
        blank=True,
    )
    row_after = models.CharField(
        max_length=64,
        blank=True,
    )
    db_user = models.CharField(
        max_length=63,
    )
    application = models.CharField(
        max_length=200,
        blank=True,
    )
    client = models.CharField(
        max_length=100,
        blank=True,
    )
    xact = models.BigIntegerField()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("write that bypassed the ORM")
        verbose_name_plural = _("writes that bypassed the ORM")

    def __str__(self) -> str:
        return f"{self.operation} {self.table_name} {self.row_id}"
