"""Application config of the event bus."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Register the relay job."""

    name = "mamori.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        """Register the outbox relay as a scheduled job."""
        from datetime import timedelta

        from mamori.events.bus import relay
        from mamori.scheduler.jobs import Job, register_job

        register_job(
            Job(
                "events.relay",
                lambda: {"relayed": relay()},
                _("deliver events from the outbox"),
                every=timedelta(seconds=5),
                window=timedelta(minutes=1),
            )
        )
