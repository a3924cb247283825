"""The kill switch (SRM 10-2-3: stop the system in whole or in part for a while).

A person holding ``guard.manage`` turns a customer-facing function off or degrades it at once,
saying why; it is recorded, and written on the incident's timeline when it was done for one.
Turning it back on is asked for and happens only once two people other than the one asking
approve (the ``guard_function_restore`` policy of the shared approvals).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, override

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.accounts.services.roles import has_permission
from mamori.core.errors import Refused
from mamori.guard.models import ContainmentAction, Function
from mamori.guard.services import containment
from mamori.operations.models import Incident

__all__ = [
    "KIND",
    "POLICY",
    "FunctionRefused",
    "apply_restore",
    "request_restore",
    "states",
    "stop",
]

KIND = "guard.function_restore"
POLICY = "guard_function_restore"


class FunctionRefused(Refused):
    """A change of the kill switch refused (no permission, no reason, already so)."""


def _state_ja(state: str) -> str:
    with override("ja"):
        return str(Function.State(state).label)


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise FunctionRefused(
            "reason_required",
            gettext("Say why."),
            fields=[("reason", gettext("This field is required."))],
        )
    return reason


def stop(
    function: Function,
    state: str,
    by: User,
    reason: str,
    incident: Incident | None = None,
) -> Function:
    """Turn ``function`` off or degrade it now (``state``: off or degraded), recorded."""
    if not has_permission(by, "guard.manage"):
        raise FunctionRefused(
            "forbidden", gettext("Stopping a function needs guard.manage."), status=403
        )
    if state not in (Function.State.OFF, Function.State.DEGRADED):
        raise FunctionRefused(
            "bad_state",
            gettext("Expected off or degraded, got %(state)s; switching on needs approval.")
            % {"state": state},
            fields=[("state", gettext("Unknown state."))],
        )
    reason = _reason(reason)
    with transaction.atomic():
        function = Function.objects.select_for_update().get(pk=function.pk)
        if function.state == state:
            raise FunctionRefused(
                "unchanged",
                gettext("%(function)s is already %(state)s.")
                % {"function": function.code, "state": function.get_state_display()},
                status=409,
            )
        before = function.state
        function.state = state
        function.reason = reason[:300]
        function.incident = incident
        function.changed_by = by
        function.changed_at = timezone.now()
        function.save()
        containment.record(
            ContainmentAction.Kind.FUNCTION,
            containment.both(
                gettext_noop("%(function)s: %(before)s → %(after)s"),
                function={"ja": function.name_ja, "en": function.name_en},
                before={"ja": _state_ja(before), "en": before},
                after={"ja": _state_ja(state), "en": state},
            ),
            by,
            incident=incident,
            reason=reason,
            object_type="guard.function",
            object_key=str(function.pk),
            at=function.changed_at,
        )
    return function


def _snapshot(function: Function) -> dict[str, Any]:
    return {"function": function.code, "from": function.state, "reason": function.reason}


def request_restore(function: Function, by: User, reason: str) -> ApprovalRequest:
    """Ask for ``function`` to be switched back on; two others must approve (SRM 10-2-3)."""
    reason = _reason(reason)
    with transaction.atomic():
        function = Function.objects.select_for_update().get(pk=function.pk)
        if function.state == Function.State.ON:
            raise FunctionRefused(
                "already_on",
                gettext("%(function)s is on.") % {"function": function.code},
                status=409,
            )
        pending = function.restore_request
        if pending is not None and pending.status == ApprovalRequest.Status.PENDING:
            raise FunctionRefused(
                "already_requested",
                gettext("Switching %(function)s on already waits for approval.")
                % {"function": function.code},
                status=409,
            )
        request = approvals.submit(
            KIND,
            f"Switch {function.code} back on",
            {**_snapshot(function), "why": reason},
            by,
        )
        function.restore_request = request
        function.save(update_fields=["restore_request"])
    return request


def apply_restore(request: ApprovalRequest) -> None:
    """Switch on exactly the function that was approved, on its incident's timeline."""
    function = Function.objects.select_for_update().get(restore_request=request)
    approvals.verify(request, {**_snapshot(function), "why": request.snapshot.get("why", "")})
    before = function.state
    function.state = Function.State.ON
    function.reason = str(request.snapshot.get("why", ""))[:300]
    function.changed_by = request.requester
    function.changed_at = timezone.now()
    function.save()
    if function.incident is not None:
        from mamori.operations.services import incidents

        incidents.add_entry(
            function.incident,
            "containment_lifted",
            gettext("%(function)s switched back on after approval #%(approval)s")
            % {"function": function.name_en, "approval": request.pk},
            request.requester,
            {"function": function.code, "before": before, "approval": request.pk},
        )


def states() -> list[dict[str, Any]]:
    """Return every function's state for the systems that ask (no names of people)."""
    return [
        {
            "code": f.code,
            "name_ja": f.name_ja,
            "name_en": f.name_en,
            "state": f.state,
            "changed_at": f.changed_at.isoformat() if f.changed_at else None,
        }
        for f in Function.objects.order_by("code")
    ]
