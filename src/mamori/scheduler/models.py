"""Records of scheduled jobs and their runs (ISM 34-1, SRM 24-1, ISM 10: done and provable)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class JobDefinition(AuditedModel):
    """A job the worker has seen, and since when (slots before that are not "missed")."""

    name = models.CharField(
        max_length=100,
        unique=True,
    )
    first_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return self.name


class JobRun(AuditedModel):
    """One run of one job for one slot; the unique slot keeps two workers from both running it."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        MISSED = "missed", _("missed")

    job = models.CharField(
        max_length=100,
        db_index=True,
    )
    slot = models.DateTimeField()
    manual = models.BooleanField(
        default=False,
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
    )
    worker = models.CharField(
        max_length=100,
        blank=True,
    )
    started_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    finished_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    output = models.TextField(
        blank=True,
    )
    output_sha256 = models.CharField(
        max_length=64,
        blank=True,
    )
    error = models.TextField(
        blank=True,
    )
    alerted = models.BooleanField(
        default=False,
    )

    class Meta:
        ordering = ["-slot"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "slot"],
                condition=models.Q(manual=False),
                name="scheduler_jobrun_one_per_slot",
            ),
        ]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M:%S}: {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        """Return how long the run took."""
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ExportJob(AuditedModel):
    """A heavy export (a statement PDF, an evidence pack) built by the worker, not by the web
    request that asked for it (issue 25, point 6); the file is kept in the data directory,
    named by the job and the SHA-256 of its content, and handed out only once it is whole."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being built")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    requested_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="export_jobs",
    )
    kind = models.CharField(
        max_length=100,
    )
    parameters = models.JSONField(
        default=dict,
        blank=True,
    )
    language = models.CharField(
        max_length=8,
        default="ja",
    )
    state = models.CharField(
        max_length=10,
        choices=State.choices,
        default=State.QUEUED,
        db_index=True,
    )
    step = models.PositiveSmallIntegerField(
        default=0,
    )
    steps = models.PositiveSmallIntegerField(
        default=1,
    )
    attempts = models.PositiveSmallIntegerField(
        default=0,
    )
    worker = models.CharField(
        max_length=100,
        blank=True,
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    finished_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    file_name = models.CharField(
        max_length=200,
        blank=True,
    )
    content_type = models.CharField(
        max_length=100,
        blank=True,
    )
    stored_as = models.CharField(
        max_length=200,
        blank=True,
    )
    size = models.BigIntegerField(
        null=True,
        blank=True,
    )
    sha256 = models.CharField(
        max_length=64,
        blank=True,
    )
    details = models.JSONField(
        default=dict,
        blank=True,
    )
    error_code = models.CharField(
        max_length=50,
        blank=True,
    )
    error = models.TextField(
        blank=True,
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(
                fields=["state", "requested_at"],
                name="scheduler_export_queue",
            ),
        ]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}: {self.state}"
