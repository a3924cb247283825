"""Application config of operations (SRM ch.4; ISM 3, 7, 8-1-3, 9-3, 30)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Incidents and their reports, containment, customer notices, reviews, plans and drills."""

    name = "mamori.operations"
    label = "operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        """Register the pages, jobs, checks, scopes, consumers and the demo step."""
        from mamori.operations import registrations

        registrations.register()
