"""URLs of the accounts app."""

from django.urls import path

from mamori.accounts.views import approvals, pages, password, records, roles, setup, signin

app_name = "accounts"

urlpatterns = [
    path("login/", signin.login_view, name="login"),
    path("login/code/", signin.mfa_view, name="mfa"),
    path("login/enrol/", signin.enrol_view, name="enrol"),
    path("logout/", signin.logout_view, name="logout"),
    path("security/", pages.security_view, name="security"),
    path("security/recovery-codes/", signin.recovery_codes_view, name="recovery_codes"),
    path("security/password/", password.password_view, name="password"),
    path("welcome/", setup.welcome_view, name="welcome"),
    path("people/", pages.people_view, name="people"),
    path("people/<int:pk>/", records.person_record_view, name="person_record"),
    path("organisation/", setup.organisation_view, name="organisation"),
    path("departments/", setup.departments_view, name="departments"),
    path("departments/<int:pk>/", setup.department_view, name="department"),
    path("staff/", setup.staff_view, name="staff"),
    path("staff/import/", setup.import_view, name="roster_import"),
    path("staff/export/", setup.export_view, name="roster_export"),
    path("staff/<int:pk>/", setup.person_view, name="person"),
    path("staff/<int:pk>/deactivate/", setup.person_deactivate_view, name="person_deactivate"),
    path("staff/<int:pk>/reinvite/", setup.person_reinvite_view, name="person_reinvite"),
    path("tokens/", pages.tokens_view, name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.token_revoke_view, name="token_revoke"),
    path("language/", pages.language_view, name="language"),
    path("roles/", roles.assignments_view, name="assignments"),
    path("roles/<int:pk>/", records.assignment_view, name="assignment"),
    path("roles/<int:pk>/revoke/", roles.revoke_view, name="assignment_revoke"),
    path("segregation/", roles.segregation_view, name="segregation"),
    path("access-reviews/", roles.reviews_view, name="reviews"),
    path("access-reviews/<int:pk>/", records.review_view, name="review"),
    path("access-reviews/open/", roles.open_review_view, name="review_open"),
    path("access-reviews/items/<int:pk>/", roles.decide_review_item_view, name="review_item"),
    path("approvals/", approvals.inbox_view, name="approvals"),
    path("approvals/history/", approvals.history_view, name="approval_history"),
    path("approvals/policies/", approvals.policies_view, name="approval_policies"),
    path(
        "approvals/policies/<slug:code>/propose/",
        approvals.propose_policy_view,
        name="approval_policy_propose",
    ),
    path("approvals/<int:pk>/", approvals.detail_view, name="approval"),
]
