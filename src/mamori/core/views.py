"""Pages of the platform shell: the dashboard that modules fill."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mamori.core.dashboard import widgets_for
from mamori.core.scopes import SIGNED_IN


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Show every widget the signed-in person may see."""
    return render(request, "core/dashboard.html", {"widgets": widgets_for(request)})


dashboard_view.required_permission = SIGNED_IN  # type: ignore[attr-defined]
