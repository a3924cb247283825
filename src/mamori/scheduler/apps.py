"""Application config of the scheduler."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulerConfig(AppConfig):
    """Register the scheduler's pages and the platform's own periodic jobs."""

    name = "mamori.scheduler"
    label = "scheduler"
    verbose_name = _("Scheduler")

    def ready(self) -> None:
        """Register what the app brings."""
        from mamori.scheduler import registrations

        registrations.register()
