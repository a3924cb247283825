"""What the accounts app adds to the menu, the dashboard and the API scopes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import Department, LoginAttempt, Role, User
from mamori.accounts.services.roles import has_permission
from mamori.core.dashboard import Widget, register_widget
from mamori.core.demo import register_demo_loader
from mamori.core.navigation import register_page
from mamori.core.scopes import register_scope


def _is_admin(request: HttpRequest) -> bool:
    return has_permission(request.user, "accounts.manage_tokens")


def _manages_people(request: HttpRequest) -> bool:
    return has_permission(request.user, "accounts.manage_people")


def _security_context(request: HttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not isinstance(user, User):
        return None
    return {
        "remaining": user.recovery_codes.filter(used_at__isnull=True).count(),
        "last": LoginAttempt.objects.filter(user=user, outcome="success").first(),
        "failures": LoginAttempt.objects.filter(user=user, outcome="failure").count(),
    }


def _organisation_context(request: HttpRequest) -> dict[str, Any] | None:
    if not has_permission(request.user, "accounts.view"):
        return None
    return {
        "departments": Department.objects.count(),
        "people": User.objects.filter(is_active=True).count(),
        "roles": Role.objects.count(),
    }


def _approvals_context(request: HttpRequest) -> dict[str, Any] | None:
    from mamori.accounts.services import approvals

    user = request.user
    if not isinstance(user, User):
        return None
    waiting = approvals.waiting_for(user)
    return {"waiting": waiting} if waiting else None


def _signin_activity_context(request: HttpRequest) -> dict[str, Any] | None:
    if not request.user.is_superuser:
        return None
    return {"attempts": LoginAttempt.objects.select_related("user")[:10]}


def _publish_closed(request: Any) -> None:
    """Publish mamori.accounts.approval_closed for consumers (notifications, other modules)."""
    from mamori.accounts.approval_display import titles
    from mamori.events.bus import publish

    title_ja, title_en = titles(request)
    publish(
        "mamori.accounts.approval_closed",
        {
            "id": request.pk,
            "kind": request.kind,
            "title": request.title,
            "title_ja": title_ja,
            "title_en": title_en,
            "status": request.status,
            "snapshot_sha256": request.snapshot_sha256,
            "requester": request.requester.username if request.requester else None,
        },
        event_id=f"approval-closed-{request.pk}",
    )


def _links() -> None:
    """Let audit entries about people, roles held, approvals and reviews link to their pages."""
    from mamori.auditlog.links import register_link

    register_link("accounts.user", "accounts:person_record")
    register_link("accounts.roleassignment", "accounts:assignment")
    register_link("accounts.approvalrequest", "accounts:approval")
    register_link("accounts.accessreview", "accounts:review")
    register_link("accounts.department", "accounts:department")


def _roles_forgotten_when_changed() -> None:
    """A role assignment or a role saved or deleted inside a block that remembers people's
    roles (:func:`mamori.accounts.services.roles.permissions_remembered`) makes it read them
    again: a remembered role never outlives its change."""
    from django.db.models.signals import post_delete, post_save

    from mamori.accounts.models import Role, RoleAssignment
    from mamori.accounts.services.roles import forget_remembered

    for model in (RoleAssignment, Role):
        for name, signal in (("save", post_save), ("delete", post_delete)):
            uid = f"roles-forgotten-{model.__name__}-{name}"
            signal.connect(forget_remembered, sender=model, dispatch_uid=uid)


def register() -> None:
    """Register pages, widgets and scopes."""
    from mamori.accounts import approval_display, compliance

    compliance.register()
    approval_display.register()
    _links()
    _roles_forgotten_when_changed()
    from mamori.accounts import search, tasks

    tasks.register()
    search.register()
    register_page("governance", _("People and roles"), "accounts:people")
    register_page("governance", _("Role assignments"), "accounts:assignments")
    register_page("governance", _("Approvals"), "accounts:approvals")
    register_page("governance", _("Approval policies"), "accounts:approval_policies")
    register_page("audit", _("Access reviews"), "accounts:reviews")
    register_page(
        "audit",
        _("Segregation of duties"),
        "accounts:segregation",
        lambda request: has_permission(request.user, "accounts.view_sod_report"),
    )
    register_page("platform", _("Organisation"), "accounts:organisation", _manages_people)
    register_page("platform", _("Departments"), "accounts:departments", _manages_people)
    register_page("platform", _("People: invite and deactivate"), "accounts:staff", _manages_people)
    register_page("platform", _("My security"), "accounts:security")
    register_page("platform", _("API tokens"), "accounts:tokens", _is_admin)
    register_widget(
        Widget(
            "security",
            _("My sign-in security"),
            "accounts/widget_security.html",
            _security_context,
            order=10,
        )
    )
    register_widget(
        Widget(
            "organisation",
            _("Organisation"),
            "accounts/widget_organisation.html",
            _organisation_context,
            order=20,
        )
    )
    register_widget(
        Widget(
            "approvals",
            _("Waiting for my decision"),
            "accounts/widget_approvals.html",
            _approvals_context,
            order=5,
        )
    )
    register_widget(
        Widget(
            "signins",
            _("Recent sign-in activity"),
            "accounts/widget_signins.html",
            _signin_activity_context,
            order=90,
        )
    )
    register_scope("accounts:read", _("read departments, people and roles"), "accounts.view")
    register_scope(
        "accounts:write",
        _("name the organisation, create departments, invite and deactivate people"),
        "accounts.manage_people",
    )
    register_scope(
        "accounts:assign", _("grant roles (or ask for their approval)"), "accounts.assign_roles"
    )
    register_scope("approvals:read", _("read approval requests and policies"), "approvals.view_all")
    register_scope("approvals:submit", _("submit requests for approval"), "approvals.submit")
    from mamori.accounts import demo
    from mamori.accounts.services import approvals, roles

    roles.register_kinds()
    approvals.on_closed(_publish_closed)

    register_demo_loader("accounts", demo.load, order=10)
    register_demo_loader("approvals", demo.load_approvals, order=20)
