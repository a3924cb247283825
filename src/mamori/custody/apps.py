"""Application config of custody (ISM chapter 6)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustodyConfig(AppConfig):
    """Deposit and withdrawal monitoring with halts; wallets; later caps and allowlists."""

    name = "mamori.custody"
    label = "custody"
    verbose_name = _("Crypto-asset custody")

    def ready(self) -> None:
        """Register pages, checks, approval actions, scopes and the demo step."""
        from mamori.custody import registrations

        registrations.register()
