"""Run a verification and keep its result (the nightly job and ``mamori log verify``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from mamori.auditlog import keys, signer, verify
from mamori.auditlog.models import VerificationRun
from mamori.engines import merkle
from mamori.engines.witness import StateError

__all__ = ["verify_and_record"]


def _signer_memory(
    verifiers: Sequence[str],
) -> tuple[list[tuple[str, merkle.Checkpoint]], str | None]:
    """Return the signer's remembered checkpoint as a root from outside the database, or the
    reason it cannot be used."""
    try:
        kept = signer.remembered()
    except StateError as exc:
        return [], str(exc)
    if kept is None:
        return [], None
    try:
        checkpoint = merkle.parse_checkpoint_by_any(kept.note, verifiers)
    except merkle.CheckpointError as exc:
        return [], f"the signer's state file holds a checkpoint that does not verify: {exc}"
    return [("the signer's last checkpoint", checkpoint)], None


def verify_and_record(
    outside: merkle.Checkpoint | None = None,
    verifiers: Sequence[str] = (),
    *,
    trusted: Sequence[tuple[str, merkle.Checkpoint]] = (),
) -> VerificationRun:
    """Verify the log now — against its stored checkpoints, the signer's memory and
    ``trusted`` checkpoints from elsewhere — with ``verifiers`` (default: the keys the database
    holds, which proves consistency only: whoever writes the database can replace them), and
    store the result."""
    started = timezone.now()
    keys_held = list(verifiers) or keys.database_verifiers("log")
    memory, problem = _signer_memory(keys_held)
    if problem is None:
        result = verify.verify(keys_held, outside, trusted=[*trusted, *memory])
        entries, checkpoints, problem = result.entries, result.checkpoints, result.problem
    else:
        entries, checkpoints = 0, 0
    run = VerificationRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        entries=entries,
        checkpoints=checkpoints,
        ok=problem is None,
        problem=problem or "",
    )
    if not run.ok:
        from mamori.events.bus import publish  # relayed after commit (the outbox)

        publish(
            "mamori.auditlog.verification_failed",
            {"run": run.pk, "problem": run.problem[:500]},
            event_id=f"auditlog-verification-failed-{run.pk}",
        )
    return run
