"""Application config of the platform core."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Register the core's deploy checks when Django starts."""

    name = "mamori.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        """Import the modules whose import registers checks."""
        from mamori.core import checks  # noqa: F401
        from mamori.core.scopes import SIGNED_IN, register_scope

        register_scope("platform:read", _("read what this installation runs"), "platform.read")
        register_scope("tasks:read", _("read the tasks waiting on the token's issuer"), SIGNED_IN)
        register_scope(
            "search:read", _("search the records the token's issuer may read"), SIGNED_IN
        )
