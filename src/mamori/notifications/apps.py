"""Application config of notifications."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Register pages, scopes and jobs of notifications."""

    name = "mamori.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        """Register what the app brings."""
        from mamori.notifications import registrations

        registrations.register()
