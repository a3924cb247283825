"""Run a verification and keep its result (the nightly job and ``mamori log verify``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from mamori.auditlog import keys, verify
from mamori.auditlog.models import VerificationRun
from mamori.engines import merkle

__all__ = ["verify_and_record"]


def verify_and_record(
    outside: merkle.Checkpoint | None = None, verifiers: Sequence[str] = ()
) -> VerificationRun:
    """Verify the log now against ``verifiers`` (default: the keys the database holds, which
    proves consistency only: whoever writes the database can replace them) and store the
    result."""
    started = timezone.now()
    result = verify.verify(list(verifiers) or keys.database_verifiers("log"), outside)
    return VerificationRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        entries=result.entries,
        checkpoints=result.checkpoints,
        ok=result.ok,
        problem=result.problem or "",
    )
