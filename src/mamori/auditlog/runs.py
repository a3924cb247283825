"""Run a verification and keep its result (the nightly job and ``mamori log verify``)."""

from __future__ import annotations

from django.utils import timezone

from mamori.auditlog import services, verify
from mamori.auditlog.models import VerificationRun
from mamori.engines import merkle

__all__ = ["verify_and_record"]


def verify_and_record(outside: merkle.Checkpoint | None = None) -> VerificationRun:
    """Verify the log now and store the result."""
    started = timezone.now()
    result = verify.verify(services.log_key().verifier(), outside)
    return VerificationRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        entries=result.entries,
        checkpoints=result.checkpoints,
        ok=result.ok,
        problem=result.problem or "",
    )
