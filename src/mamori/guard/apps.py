"""Application config of guard (SRM 10)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuardConfig(AppConfig):
    """Containment (SRM 10-2): halts, blocked sources, the kill switch; customer notices."""

    name = "mamori.guard"
    label = "guard"
    verbose_name = _("Customer-facing defence")

    def ready(self) -> None:
        """Register the pages, scopes, approval kind, check, incident panel and demo step."""
        from mamori.guard import registrations

        registrations.register()
