"""Application config of the audit log."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditlogConfig(AppConfig):
    """Install the choke point (signals; the ORM's bulk writes are audited by
    :mod:`mamori.auditlog.audited`), the bypass triggers after every ``migrate``, and register
    jobs and pages."""

    name = "mamori.auditlog"
    label = "auditlog"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        """Connect the choke point and register what the app brings."""
        from mamori.auditlog import bypass, choke, registrations

        choke.install()
        post_migrate.connect(
            bypass.after_migrate, sender=self, dispatch_uid="mamori.auditlog.bypass"
        )
        registrations.register()
