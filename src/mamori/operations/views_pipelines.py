"""The delivery pipelines that may sign their evidence and deployment events (SRM 19): make a
pipeline's secret or rotate it (shown once), and stop accepting a pipeline. Only the people who
manage the systems register may: a developer who held a pipeline's secret could sign evidence
for their own change."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.views.access import permission_required
from mamori.operations import views_senders
from mamori.operations.models import PipelineSource
from mamori.operations.services import evidence


@permission_required("systems.manage")
def pipelines_view(request: HttpRequest) -> HttpResponse:
    """The pipelines with a secret: make one or rotate it (the secret is shown once)."""
    return views_senders.secret_page(
        request,
        evidence.rotate_secret,
        lambda code: (
            _("The secret of %(source)s is shown once below: give it to the pipeline now.")
            % {"source": code}
        ),
        "operations/changes/pipelines.html",
        {"pipelines": PipelineSource.objects.order_by("code")},
        lambda code, secret: {
            "code": code,
            "hook_secrets": {
                provider: evidence.channel_secret(secret, provider)
                for provider in evidence.PROVIDER_HEADERS
            },
        },
    )


@require_POST
@permission_required("systems.manage")
def pipeline_disable_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop accepting a pipeline's signed posts."""
    return views_senders.disable(
        request,
        PipelineSource,
        pk,
        lambda code: _("Pipeline %(source)s is no longer accepted.") % {"source": code},
        "operations:pipelines",
    )
