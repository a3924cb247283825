"""How reconciliation's approval requests are shown: closing a case, changing a chain's node."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamori.accounts import approval_display as display
from mamori.accounts.models import ApprovalRequest

_NODE_LABELS = {
    "family": gettext_lazy("node software family"),
    "url_shown": gettext_lazy("address (credentials hidden)"),
    "confirmations": gettext_lazy("confirmations"),
    "timeout_seconds": gettext_lazy("time-out (seconds)"),
}


def _case_title(snapshot: dict[str, Any]) -> str:
    return _("Close the reconciliation case %(case)s (%(asset)s)") % {
        "case": snapshot["case"],
        "asset": snapshot["asset"],
    }


def _case_context(item: ApprovalRequest) -> dict[str, Any]:
    from mamori.reconciliation.models import Case

    snapshot = item.snapshot
    causes = dict(Case.Cause.choices)
    kinds = dict(Case.Kind.choices)
    return {
        "sentence": _case_title(snapshot),
        "details": [
            (_("kind"), kinds.get(snapshot["kind"], snapshot["kind"])),
            (_("asset"), snapshot["asset"]),
            (_("cause"), causes.get(snapshot["cause"], snapshot["cause"])),
            (_("change record of the fix"), snapshot.get("fix_reference") or "—"),
            (_("incident record"), snapshot.get("incident_reference") or "—"),
            (_("resolution"), snapshot.get("resolution") or "—"),
        ],
    }


def _case_links(item: ApprovalRequest) -> list[display.Link]:
    return [
        display.link_to(
            _("Case %(case)s") % {"case": item.snapshot["case"]},
            "reconciliation:case",
            int(item.snapshot["case"]),
        )
    ]


def _node_title(snapshot: dict[str, Any]) -> str:
    return _("Set the node of %(chain)s to %(url)s") % {
        "chain": snapshot["chain"],
        "url": snapshot["requested"]["url_shown"],
    }


def _node_context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    labels = {key: str(value) for key, value in _NODE_LABELS.items()}
    return {
        "sentence": _node_title(snapshot),
        "changes": display.change_rows(
            snapshot.get("current"),
            snapshot["requested"],
            labels,
            hidden=frozenset({"url_encrypted", "url_digest"}),
        ),
    }


def register() -> None:
    """Register how reconciliation's kinds of request are shown."""
    from mamori.reconciliation.services import cases, nodes

    display.register_display(
        cases.KIND,
        template="accounts/approval_kinds/sentence.html",
        title=_case_title,
        context=_case_context,
        links=_case_links,
    )
    display.register_display(
        nodes.KIND,
        template="accounts/approval_kinds/change.html",
        title=_node_title,
        context=_node_context,
        links=lambda item: [display.link_to(_("Chain nodes"), "reconciliation:nodes")],
    )
