"""What keys brings: pages, scopes, the daily check, compliance checks, hooks, the demo step."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.db.models.signals import post_save
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.core.navigation import register_page
from mamori.core.scopes import register_scope
from mamori.scheduler.jobs import Job, register_job


def _can_view(request: HttpRequest) -> bool:
    return has_permission(request.user, "keys.view")


def _daily() -> dict[str, object]:
    from mamori.keys.services import evaluate

    return evaluate("daily check")


def _person_saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    from mamori.keys.services import on_person_saved

    if kwargs.get("raw"):
        return
    on_person_saved(instance, update_fields)


def _entitlements() -> None:
    """Key-holder entitlements (ISM 31): the approval kind, its display, the check."""
    from mamori.accounts.services import approvals
    from mamori.auditlog.links import register_link
    from mamori.core.compliance import register_check
    from mamori.keys import approval_display, entitlements

    approvals.register_kind(
        entitlements.KIND,
        policy=entitlements.POLICY,
        apply=entitlements.apply_approved,
        subject=entitlements.subject,
    )
    approvals.on_closed(entitlements.on_closed)
    approval_display.register()
    register_check("keys.entitlements", entitlements.check_status, "mamori.keys")
    register_link("keys.keysystem", "keys:system")
    register_page("custody", _("Key-holder systems (ISM 31)"), "keys:systems", _can_view)


def register() -> None:
    """Register everything keys brings."""
    from mamori.accounts.models import User
    from mamori.core.demo import register_demo_loader
    from mamori.keys import compliance, demo

    compliance.register()
    _entitlements()
    register_page("custody", _("Key inventory (ISM 28–29)"), "keys:wallets", _can_view)
    register_scope("keys:read", _("read the key inventory and its rule results"), "keys.view")
    register_scope("keys:write", _("enter keys and shares in the key inventory"), "keys.manage")
    register_job(
        Job(
            "keys.daily_check",
            _daily,
            _("evaluate key spread rules, crypto policy and records (ISM 28, 29-1-5/6)"),
            daily_at=time(5, 0),
            window=timedelta(hours=2),
            alert_roles=(("ciso",),),
        )
    )
    post_save.connect(_person_saved, sender=User, dispatch_uid="keys-person-moved")
    register_demo_loader("keys", demo.load, order=550)
    register_demo_loader("keys.entitlements", demo.load_entitlements, order=560)
