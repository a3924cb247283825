"""Outbox of published events and the record of what each consumer handled."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class OutboxEvent(AuditedModel):
    """An event committed with the change that caused it, waiting to be (or already) relayed."""

    event_id = models.CharField(
        max_length=64,
        unique=True,
    )
    subject = models.CharField(
        max_length=200,
        db_index=True,
    )
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(
        default=0,
    )
    last_error = models.CharField(
        max_length=500,
        blank=True,
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")

    def __str__(self) -> str:
        return f"{self.subject} {self.event_id}"


class ProcessedEvent(AuditedModel):
    """That ``consumer`` handled ``event_id``: a redelivered event is not handled again."""

    consumer = models.CharField(
        max_length=100,
    )
    event_id = models.CharField(
        max_length=64,
    )
    processed_at = models.DateTimeField(
        auto_now_add=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "event_id"],
                name="events_processedevent_once",
            ),
        ]
        verbose_name = _("processed event")
        verbose_name_plural = _("processed events")

    def __str__(self) -> str:
        return f"{self.consumer}: {self.event_id}"
