"""Action names for sign-ins and approval decisions, the audit pages, and the log's jobs."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.auditlog import services
from mamori.core.navigation import register_page
from mamori.scheduler.jobs import Job, register_job


def _signin(attempt: Any, created: bool) -> dict[str, Any]:
    return {
        "action": f"signin.{attempt.outcome}",
        "username": attempt.username,
        "stage": attempt.stage,
        "reason": attempt.reason,
    }


def _decision(decision: Any, created: bool) -> dict[str, Any]:
    return {
        "action": f"approval.{decision.verdict}",
        "request": decision.request_id,
        "roles": list(decision.roles),
    }


def _checkpoint_job() -> dict[str, Any]:
    from mamori.auditlog import bypass
    from mamori.auditlog.publish import publish_latest
    from mamori.auditlog.store import catch_up_index

    bypassed = bypass.drain()  # writes outside the ORM go into this checkpoint
    checkpoint = services.issue_checkpoint()
    published = [f"{o.target}: {'ok' if o.ok else o.detail}" for o in publish_latest()]
    return {
        "size": checkpoint.size if checkpoint else None,
        "bypassed": bypassed,
        "indexed": catch_up_index(),
        "published": published,
    }


def _verify_job() -> dict[str, Any]:
    from mamori.auditlog import runs

    run = runs.verify_and_record()
    if not run.ok:
        raise RuntimeError(f"audit log verification failed: {run.problem}")
    return {"entries": run.entries, "checkpoints": run.checkpoints}


def _demo_keys(report: Any) -> None:
    """Make the demo's signing keys in its store (SoftHSM2 or a key directory) once."""
    from mamori.auditlog import keys
    from mamori.auditlog.context import acting
    from mamori.core import signing

    with acting("system:demo"):
        for purpose in signing.PURPOSES:
            if keys.current(purpose) is None:
                keys.init(purpose, "system:demo")
    report.lines.append(f"Signing keys: {signing.configured_store().location()}")


def _demo(report: Any) -> None:
    """Sign a checkpoint of everything the demo loaded, check it, and print the key."""
    from mamori.auditlog import keys, runs

    services.issue_checkpoint()
    verifier = keys.database_verifier("log")
    run = runs.verify_and_record(verifiers=[verifier])
    report.lines.append(
        f"Audit log: {run.entries} entries checked; verifier key {verifier} "
        "(keep it outside mamori: `mamori log verify --key` checks against it)"
    )


def register() -> None:
    """Register describers, pages, jobs and the demo step."""
    from mamori.auditlog import compliance

    compliance.register()
    from mamori.core.demo import register_demo_loader

    register_demo_loader("auditlog.keys", _demo_keys, order=1)
    register_demo_loader("auditlog", _demo, order=1000)
    from mamori.accounts.services import approvals
    from mamori.auditlog import keys

    approvals.register_kind(
        keys.KIND, policy=keys.POLICY, apply=keys.apply_rotation, schema=keys.RotationSnapshot
    )
    from mamori.auditlog import approval_display

    approval_display.register()
    services.register_describer("accounts.loginattempt", _signin)
    services.register_describer("accounts.approvaldecision", _decision)
    register_page(
        "audit",
        _("Audit log"),
        "auditlog:entries",
        lambda request: has_permission(request.user, "auditlog.view"),
    )
    register_job(
        Job(
            "auditlog.checkpoint",
            _checkpoint_job,
            _("record writes outside the ORM, sign and publish a checkpoint when the log grew"),
            every=timedelta(seconds=5),
            window=timedelta(minutes=1),
            alert_roles=(("system_general_manager",), ("ciso",)),
        )
    )
    register_job(
        Job(
            "auditlog.verify",
            _verify_job,
            _("verify the whole audit log"),
            daily_at=time(3, 0),
            window=timedelta(hours=3),
            alert_roles=(("ciso",), ("system_general_manager",)),
        )
    )
