"""The delivery pipelines that may sign their evidence and deployment events (SRM 19): make a
pipeline's secret or rotate it (shown once), and stop accepting a pipeline. Only the people who
manage the systems register may: a developer who held a pipeline's secret could sign evidence
for their own change."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.views.access import permission_required
from mamori.operations.forms import AlertSourceForm
from mamori.operations.models import PipelineSource
from mamori.operations.services import evidence


@permission_required("systems.manage")
def pipelines_view(request: HttpRequest) -> HttpResponse:
    """The pipelines with a secret: make one or rotate it (the secret is shown once)."""
    form = AlertSourceForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        pipeline, secret = evidence.rotate_secret(
            form.cleaned_data["code"],
            form.cleaned_data["name"],
            request.user,  # type: ignore[arg-type]
        )
        messages.success(
            request,
            _("The secret of %(source)s is shown once below: give it to the pipeline now.")
            % {"source": pipeline.code},
        )
        form = AlertSourceForm()
    return render(
        request,
        "operations/changes/pipelines.html",
        {"pipelines": PipelineSource.objects.order_by("code"), "form": form, "secret": secret},
    )


@require_POST
@permission_required("systems.manage")
def pipeline_disable_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop accepting a pipeline's signed posts."""
    pipeline = get_object_or_404(PipelineSource, pk=pk)
    pipeline.active = False
    pipeline.save(update_fields=["active"])
    messages.success(
        request, _("Pipeline %(source)s is no longer accepted.") % {"source": pipeline.code}
    )
    return redirect("operations:pipelines")
