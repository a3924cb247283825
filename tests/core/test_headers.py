"""Every page carries the security headers: CSP, no framing, no sniffing."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_pages_carry_security_headers(client: Client) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_http_only(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.cookies["mamori_csrftoken"]["httponly"]
