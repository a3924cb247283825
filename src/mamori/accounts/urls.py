"""URLs of the accounts app."""

from django.urls import path

from mamori.accounts.views import pages, signin

app_name = "accounts"

urlpatterns = [
    path("login/", signin.login_view, name="login"),
    path("login/code/", signin.mfa_view, name="mfa"),
    path("login/enrol/", signin.enrol_view, name="enrol"),
    path("logout/", signin.logout_view, name="logout"),
    path("security/", pages.security_view, name="security"),
    path("security/recovery-codes/", signin.recovery_codes_view, name="recovery_codes"),
    path("people/", pages.people_view, name="people"),
    path("tokens/", pages.tokens_view, name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.token_revoke_view, name="token_revoke"),
    path("language/", pages.language_view, name="language"),
]
