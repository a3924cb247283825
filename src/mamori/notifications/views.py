"""Notification pages: my inbox with acknowledgement, webhook endpoints."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from mamori.accounts.models import User
from mamori.accounts.views.access import permission_required, signed_in_required
from mamori.core.redirects import next_url
from mamori.core.tables import listing
from mamori.notifications import services
from mamori.notifications.lists import InboxTable
from mamori.notifications.models import Delivery, Notification, WebhookEndpoint
from mamori.notifications.webhooks import WebhookRefused


@signed_in_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    """List the person's notifications, newest first (paged, sorted, filtered, downloadable),
    and mark them read."""
    rows = listing(
        request,
        Delivery.objects.filter(
            user_id=request.user.pk or 0, channel=Delivery.Channel.IN_APP
        ).select_related("notification", "notification__acknowledged_by"),
        InboxTable,
    )
    if isinstance(rows, HttpResponse):
        return rows
    page = render(request, "notifications/inbox.html", {"rows": rows})
    Delivery.objects.filter(
        user_id=request.user.pk or 0, channel=Delivery.Channel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())
    return page


@signed_in_required
def detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one notification with every delivery attempt (the record of who was told when)."""
    notification = get_object_or_404(Notification, pk=pk)
    if not notification.deliveries.filter(user_id=request.user.pk or 0).exists():
        raise PermissionDenied  # only the people it was sent to: not even the administrator
    return render(
        request,
        "notifications/detail.html",
        {
            "notification": notification,
            "deliveries": notification.deliveries.select_related("user", "webhook"),
        },
    )


@signed_in_required
@require_POST
def acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge a notification: the escalation stops."""
    notification = get_object_or_404(Notification, pk=pk)
    assert isinstance(request.user, User)
    try:
        services.acknowledge(notification, request.user)
    except PermissionError:
        raise PermissionDenied from None
    messages.success(request, _("Acknowledged."))
    back = next_url(request)
    if back:
        return redirect(back)  # the page the button was on (the custody page's alerts, say)
    return redirect("notifications:detail", pk=pk)


class WebhookForm(forms.Form):
    """A new webhook endpoint."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=WebhookEndpoint.Format.choices)
    topics = forms.CharField(label=gettext_lazy("Topics"), max_length=300, initial="*")
    min_severity = forms.ChoiceField(
        label=gettext_lazy("Minimum severity"),
        choices=Notification.Severity.choices,
        initial="warning",
    )


@permission_required("notifications.manage")
@require_http_methods(["GET", "POST"])
def webhooks_view(request: HttpRequest) -> HttpResponse:
    """List webhook endpoints and add one (its signing secret shown once)."""
    form = WebhookForm(request.POST or None)
    secret = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                endpoint, secret = services.add_webhook(**form.cleaned_data)
            except (WebhookRefused, ValueError) as exc:
                form.add_error("url", str(exc))
                status = 400
            else:
                from mamori.auditlog.services import record_read

                record_read(endpoint, ["secret"], "shown once at creation")
                form = WebhookForm()
        else:
            status = 400
    return render(
        request,
        "notifications/webhooks.html",
        {"form": form, "secret": secret, "endpoints": WebhookEndpoint.objects.all()},
        status=status,
    )


@permission_required("notifications.manage")
@require_POST
def webhook_disable_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop sending to a webhook endpoint."""
    WebhookEndpoint.objects.filter(pk=pk).update(active=False)
    return redirect("notifications:webhooks")
