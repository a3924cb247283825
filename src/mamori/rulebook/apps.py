"""Application config of the rulebook."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulebookConfig(AppConfig):
    """Both rules as data, controls, compliance status and public policy summaries."""

    name = "mamori.rulebook"
    label = "rulebook"
    verbose_name = _("Rulebook and compliance")

    def ready(self) -> None:
        """Register checks, approvals, pages, jobs and the demo step."""
        from mamori.rulebook import registrations

        registrations.register()
