"""Application config of the accounts app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Register the accounts pages in the navigation and dashboard."""

    name = "mamori.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        """Register navigation entries, dashboard widgets and API scopes."""
        from mamori.accounts import registrations

        registrations.register()
