"""How custody's approval requests are shown: a halt lift, a held withdrawal, an allowed
address, a threshold or cap change, new wallets — each as a sentence or a before/after
table, with a link to the custody pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamori.accounts import approval_display as display
from mamori.accounts.models import ApprovalRequest

#: What the fields of custody snapshots are called.
LABELS = {
    "active": gettext_lazy("active"),
    "asset": gettext_lazy("asset"),
    "direction": gettext_lazy("direction"),
    "scope": gettext_lazy("scope"),
    "level": gettext_lazy("level"),
    "limit_units": gettext_lazy("limit (base units)"),
    "limit_jpy": gettext_lazy("limit (JPY)"),
    "window": gettext_lazy("window (seconds)"),
    "code": gettext_lazy("code"),
    "k": gettext_lazy("multiple k of the expected outflow"),
    "percentile": gettext_lazy("percentile"),
    "max_share": gettext_lazy("largest share of one wallet"),
    "expected_units": gettext_lazy("expected outflow per 24 h (base units)"),
}


def _labels() -> dict[str, str]:
    return {key: str(value) for key, value in LABELS.items()}


def _overview(_item: ApprovalRequest) -> list[display.Link]:
    return [display.link_to(_("Deposit and withdrawal monitoring"), "custody:overview")]


def _thresholds(_item: ApprovalRequest) -> list[display.Link]:
    return [display.link_to(_("Thresholds"), "custody:thresholds")]


def _halt_title(snapshot: dict[str, Any]) -> str:
    return _("Lift the halt %(halt)s (%(scope)s %(key)s)") % {
        "halt": snapshot["halt"],
        "scope": snapshot["scope"],
        "key": snapshot["key"],
    }


def _halt_context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    return {
        "sentence": _halt_title(snapshot),
        "details": [
            (_("halt"), snapshot["halt"]),
            (_("scope"), snapshot["scope"]),
            (_("key"), snapshot["key"]),
            (_("rule that ordered it"), snapshot.get("rule") or "—"),
            (_("reason for lifting"), snapshot.get("reason") or "—"),
        ],
    }


def _release_title(snapshot: dict[str, Any]) -> str:
    return _("Release the held withdrawal %(id)s (%(asset)s, customer %(customer)s)") % {
        "id": snapshot["request_id"],
        "asset": snapshot["asset"],
        "customer": snapshot["customer"],
    }


def _release_context(item: ApprovalRequest) -> dict[str, Any]:
    from mamori.custody.reasons import reason_text

    snapshot = item.snapshot
    return {
        "sentence": _release_title(snapshot),
        "details": [
            (_("withdrawal"), snapshot["request_id"]),
            (_("customer"), snapshot["customer"]),
            (_("asset"), snapshot["asset"]),
            (_("amount (base units)"), snapshot["amount"]),
            (_("destination address"), snapshot["address"]),
            (
                _("why it is held"),
                "; ".join(reason_text(code) for code in snapshot.get("reasons", [])) or "—",
            ),
        ],
    }


def _allow_title(snapshot: dict[str, Any]) -> str:
    return _("Allow the %(asset)s address %(address)s for customer %(customer)s") % snapshot


def _allow_context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    return {
        "sentence": _allow_title(snapshot),
        "details": [
            (_("customer"), snapshot["customer"]),
            (_("asset"), snapshot["asset"]),
            (_("destination address"), snapshot["address"]),
        ],
    }


def _switch_title(snapshot: dict[str, Any]) -> str:
    if snapshot["requested"]["active"]:
        return _("Switch the threshold %(code)s on") % {"code": snapshot["rule"]}
    return _("Switch the threshold %(code)s off") % {"code": snapshot["rule"]}


def _switch_context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    return {
        "sentence": _switch_title(snapshot),
        "changes": display.change_rows(snapshot["current"], snapshot["requested"], _labels()),
    }


def _create_title(snapshot: dict[str, Any]) -> str:
    return _("Create the threshold %(code)s") % {"code": snapshot["rule"]["code"]}


def _create_context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    return {
        "sentence": _create_title(snapshot),
        "changes": display.change_rows(None, snapshot["rule"], _labels()),
    }


def _limit_title(snapshot: dict[str, Any]) -> str:
    return _("Change the limit of the threshold %(code)s") % {"code": snapshot["rule"]}


def _limit_context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    return {
        "sentence": _limit_title(snapshot),
        "changes": display.change_rows(snapshot["current"], snapshot["requested"], _labels()),
    }


def _cap_title(snapshot: dict[str, Any]) -> str:
    if snapshot.get("current") is None:
        return _("Set the cap policy of %(asset)s") % {"asset": snapshot["asset"]}
    return _("Change the cap policy of %(asset)s") % {"asset": snapshot["asset"]}


def _cap_context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    return {
        "sentence": _cap_title(snapshot),
        "changes": display.change_rows(snapshot["current"], snapshot["requested"], _labels()),
    }


def _wallets_title(snapshot: dict[str, Any]) -> str:
    wallets: list[dict[str, str]] = snapshot["wallets"]
    if len(wallets) == 1:
        first = wallets[0]
        return _("Register the wallet %(name)s (%(asset)s %(kind)s)") % {
            "name": first["name"],
            "asset": first["asset"],
            "kind": first["kind"],
        }
    return _("Register %(count)s wallets") % {"count": len(wallets)}


def register() -> None:
    """Register how custody's kinds of request are shown."""
    from mamori.custody.services import allowlist, checks, halts, limits, setup, thresholds

    sentence = "accounts/approval_kinds/sentence.html"
    change = "accounts/approval_kinds/change.html"
    display.register_display(
        halts.KIND, template=sentence, title=_halt_title, context=_halt_context, links=_overview
    )
    display.register_display(
        checks.RELEASE_KIND,
        template=sentence,
        title=_release_title,
        context=_release_context,
        links=_overview,
    )
    display.register_display(
        allowlist.KIND, template=sentence, title=_allow_title, context=_allow_context
    )
    display.register_display(
        thresholds.KIND,
        template=change,
        title=_switch_title,
        context=_switch_context,
        links=_thresholds,
    )
    display.register_display(
        limits.CREATE_KIND,
        template=change,
        title=_create_title,
        context=_create_context,
        links=_thresholds,
    )
    display.register_display(
        limits.LIMIT_KIND,
        template=change,
        title=_limit_title,
        context=_limit_context,
        links=_thresholds,
    )
    display.register_display(
        limits.CAP_KIND, template=change, title=_cap_title, context=_cap_context, links=_thresholds
    )
    display.register_display(
        setup.WALLETS_KIND,
        title=_wallets_title,
        links=lambda item: [display.link_to(_("Custody set-up"), "custody:setup")],
    )
