"""Application config of risk management (ISM ch.4 and 21; SRM 8-1)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    """Asset inventory, risk criteria, analysis, treatment, security plan and sign-off."""

    name = "mamori.risk"
    label = "risk"
    verbose_name = _("Risk management")

    def ready(self) -> None:
        """Register the pages, checks, approval action, bus consumers and demo step."""
        from mamori.risk import registrations

        registrations.register()
