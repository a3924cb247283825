"""Where to go back to after a form: the ``next`` a page sent, if it is on this site."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

__all__ = ["next_url"]


def next_url(request: HttpRequest) -> str:
    """Return the request's ``next`` (form field, else query) if it points to this host (and
    stays on HTTPS when the request came over it); otherwise "" — another site is never
    followed (an open redirect)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""
