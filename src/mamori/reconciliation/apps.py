"""Application config of reconciliation (ISM 34)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconciliationConfig(AppConfig):
    """Daily reconciliation of the book against the blockchain, cases and statements."""

    name = "mamori.reconciliation"
    label = "reconciliation"
    verbose_name = _("Reconciliation")

    def ready(self) -> None:
        """Register the page, job, check, approval action and demo step."""
        from mamori.reconciliation import registrations

        registrations.register()
