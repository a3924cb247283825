"""Notifications, deliveries and webhook endpoints (ISM 27-3: tell the responsible at once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class WebhookEndpoint(AuditedModel):
    """A receiver of signed JSON (or Slack incoming-webhook) messages."""

    class Format(models.TextChoices):
        SLACK = "slack", _("Slack incoming webhook")
        JSON = "json", _("mamori JSON")

    name = models.CharField(
        _("name"),
        max_length=100,
    )
    url = models.URLField(
        _("URL"),
        max_length=500,
    )
    format = models.CharField(
        _("format"),
        max_length=10,
        choices=Format.choices,
        default=Format.JSON,
    )
    secret_encrypted = models.TextField()
    topics = models.CharField(
        _("topics"),
        max_length=300,
        default="*",
        help_text=_("Comma-separated topic patterns, e.g. custody.*,approvals.*"),
    )
    min_severity = models.CharField(
        _("minimum severity"),
        max_length=10,
        default="warning",
    )
    active = models.BooleanField(
        default=True,
    )
    created_at = models.DateTimeField(
        auto_now_add=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name


class Notification(AuditedModel):
    """One message to responsible people; may need acknowledging and escalate if it is not."""

    class Severity(models.TextChoices):
        INFO = "info", _("information")
        WARNING = "warning", _("warning")
        CRITICAL = "critical", _("critical")

    topic = models.CharField(
        max_length=100,
        db_index=True,
    )
    severity = models.CharField(
        max_length=10,
        choices=Severity.choices,
    )
    title_ja = models.CharField(
        max_length=300,
    )
    title_en = models.CharField(
        max_length=300,
    )
    body_ja = models.TextField(
        blank=True,
    )
    body_en = models.TextField(
        blank=True,
    )
    link = models.CharField(
        max_length=500,
        blank=True,
    )
    levels = models.JSONField(
        help_text=_("Recipients per escalation level: lists of {role, department}."),
    )
    level = models.PositiveSmallIntegerField(
        default=0,
    )
    requires_ack = models.BooleanField(
        default=False,
    )
    escalate_after_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(
        db_index=True,
    )
    level_started_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"[{self.severity}] {self.title_en}"

    @property
    def title(self) -> str:
        """Return the title in the active language."""
        return self.title_en if (get_language() or "ja").startswith("en") else self.title_ja

    @property
    def body(self) -> str:
        """Return the body in the active language."""
        return self.body_en if (get_language() or "ja").startswith("en") else self.body_ja


class Delivery(AuditedModel):
    """One attempt series to deliver a notification on one channel to one recipient."""

    class Channel(models.TextChoices):
        IN_APP = "inapp", _("in-app")
        EMAIL = "email", _("email")
        WEBHOOK = "webhook", _("webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        GAVE_UP = "gave_up", _("gave up")

    notification = models.ForeignKey(
        Notification,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    level = models.PositiveSmallIntegerField()
    channel = models.CharField(
        max_length=10,
        choices=Channel.choices,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notification_deliveries",
    )
    webhook = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(
        default=0,
    )
    next_attempt_at = models.DateTimeField(
        db_index=True,
    )
    last_error = models.CharField(
        max_length=500,
        blank=True,
    )
    sent_at = models.DateTimeField(
        null=True,
        blank=True,
    )
    read_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return (
            f"{self.channel} #{self.notification_id} → {self.user or self.webhook}: {self.status}"
        )


class Reminder(AuditedModel):
    """That one person was reminded of one task before its due date: at most one row per
    person, task and due date (the constraint), written in the same transaction as the
    notification, so a rerun or a crash never reminds twice and never loses a reminder."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(
        max_length=60,
    )
    key = models.CharField(
        max_length=200,
    )
    due = models.DateField()
    notification = models.ForeignKey(
        Notification,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "key", "due"],
                name="notifications_reminder_once_per_due_date",
            ),
        ]
        verbose_name = _("task reminder")
        verbose_name_plural = _("task reminders")

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}:{self.key} {self.due}"
