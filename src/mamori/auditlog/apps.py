"""Application config of the audit log."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditlogConfig(AppConfig):
    """Install the choke point (signals and bulk-query hooks) and register jobs and pages."""

    name = "mamori.auditlog"
    label = "auditlog"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        """Connect the choke point and register what the app brings."""
        from mamori.auditlog import choke, registrations

        choke.install()
        registrations.register()
