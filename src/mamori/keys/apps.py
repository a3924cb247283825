"""Application config of keys (ISM 28–31)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KeysConfig(AppConfig):
    """Keys and key holders: the inventory, spread rules, daily check, ceremony output check."""

    name = "mamori.keys"
    label = "keys"
    verbose_name = _("Keys and key holders")

    def ready(self) -> None:
        """Register the pages, job, checks, scopes, hooks and the demo step."""
        from mamori.keys import registrations

        registrations.register()
