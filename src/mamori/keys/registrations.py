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


def _intents() -> dict[str, object]:
    from mamori.keys.intents import catch_up

    return {"changed": catch_up()}


def _presign_entry(answer: Any, created: bool) -> dict[str, Any]:
    """Name a pre-sign answer's entry by its decision, with the hash it concerns (ISM 29-1-4)."""
    if not created:
        return {}
    return {
        "action": f"keys.presign.{answer.decision}",
        "wallet": answer.wallet_name,
        "caller": answer.caller,
        "channel": answer.channel,
        "tx_hash": answer.tx_hash,
        "request_sha256": answer.request_sha256,
        "codes": [reason["code"] for reason in answer.reasons],
        "intents": list(answer.intents),
    }


def _entitlements() -> None:
    """Key-holder entitlements (ISM 31): the approval kind, its display, the check."""
    from mamori.accounts.services import approvals
    from mamori.auditlog.links import register_link
    from mamori.core.compliance import register_check
    from mamori.keys import approval_display_entitlements, entitlements

    approvals.register_kind(
        entitlements.KIND,
        policy=entitlements.POLICY,
        apply=entitlements.apply_approved,
        subject=entitlements.subject,
    )
    approvals.on_closed(entitlements.on_closed)
    approval_display_entitlements.register()
    register_check("keys.entitlements", entitlements.check_status, "mamori.keys")
    register_link("keys.keysystem", "keys:system")
    register_page("custody", _("Key-holder systems (ISM 31)"), "keys:systems", _can_view)
    from mamori.core.demo import register_demo_loader
    from mamori.keys import demo

    register_demo_loader("keys.entitlements", demo.load_entitlements, order=560)


def register() -> None:
    """Register everything keys brings."""
    from mamori.accounts.models import User
    from mamori.accounts.services import approvals
    from mamori.auditlog.links import register_link
    from mamori.auditlog.services import register_describer
    from mamori.core.demo import register_demo_loader
    from mamori.events.responders import register_responder
    from mamori.keys import (
        approval_display,
        compliance,
        compliance_leak,
        demo,
        demo_leak,
        demo_presign,
        leak,
        presign_nats,
        tasks,
    )

    for object_type, url_name in (
        ("keys.wallet", "keys:wallet"),
        ("keys.site", "keys:site_edit"),
        ("keys.keymaterial", "keys:key_edit"),
        ("keys.backup", "keys:backup_edit"),
        ("keys.spreadrule", "keys:rule_edit"),
        ("keys.responseversion", "keys:leak_version"),
        ("keys.drill", "keys:drill"),
    ):
        register_link(object_type, url_name)
    compliance.register()
    compliance_leak.register()
    tasks.register()
    approvals.register_kind(leak.KIND, policy=leak.POLICY, apply=leak.apply_approval)
    approvals.on_closed(leak.on_closed)
    approval_display.register()
    _entitlements()
    register_page("custody", _("Key inventory (ISM 28–29)"), "keys:wallets", _can_view)
    register_page("custody", _("Pre-sign check (ISM 29-1-4)"), "keys:presign", _can_view)
    register_scope("keys:read", _("read the key inventory and its rule results"), "keys.view")
    register_scope("keys:write", _("enter keys and shares in the key inventory"), "keys.manage")
    register_scope(
        "keys:presign",
        _("ask whether a transaction about to be signed is an approved withdrawal"),
        "keys.presign",
    )
    register_responder(presign_nats.SUBJECT, presign_nats.QUEUE, presign_nats.handle)
    register_describer("keys.presignanswer", _presign_entry)
    register_link("keys.presignanswer", "keys:presign_answer")
    register_job(
        Job(
            "keys.intents",
            _intents,
            _("read the custody check's decisions into withdrawals waiting to be signed"),
            every=timedelta(seconds=30),
        )
    )
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
    register_demo_loader("keys.presign", demo_presign.load, order=560)
    register_demo_loader("keys-leak", demo_leak.load, order=551)
    _ceremonies()


def _ceremony_title(snapshot: dict[str, Any]) -> str:
    from django.utils.translation import gettext

    return gettext("Key ceremony %(title)s (%(wallet)s, script v%(version)s)") % {
        "title": snapshot["title"],
        "wallet": snapshot["wallet"],
        "version": snapshot["script_version"],
    }


def _ceremony_links(item: Any) -> list[Any]:
    from django.utils.translation import gettext

    from mamori.accounts import approval_display
    from mamori.keys.models import Ceremony

    found = Ceremony.objects.filter(approval=item).first()
    if found is None:
        return []
    return [approval_display.link_to(gettext("Key ceremony"), "keys:ceremony_detail", found.pk)]


def _ceremonies() -> None:
    """Issue 26: ceremonies approved through the shared approvals (ISM 28-1, 28-2), backup
    access events consumed from NATS (ISM 28-3-5), their pages and the audit links."""
    from mamori.accounts.services import approvals
    from mamori.auditlog.links import register_link
    from mamori.events.bus import subscribe
    from mamori.keys import ceremonies, consumers

    approvals.register_kind(
        ceremonies.KIND, policy=ceremonies.POLICY, apply=ceremonies.apply_approval
    )
    subscribe(consumers.SUBJECT, consumers.CONSUMER, consumers.handle_backup_access)
    register_page("custody", _("Key ceremonies (ISM 28-1, 28-2)"), "keys:ceremonies", _can_view)
    register_page(
        "custody", _("Access to key backups (ISM 28-3-5)"), "keys:backup_findings", _can_view
    )
    register_link("keys.ceremony", "keys:ceremony_detail")
    from mamori.accounts import approval_display

    approval_display.register_display(ceremonies.KIND, title=_ceremony_title, links=_ceremony_links)
    from mamori.core.demo import register_demo_loader
    from mamori.keys import demo_ceremonies

    register_demo_loader("keys_ceremonies", demo_ceremonies.load, order=560)
