"""Evidence files: checked at the edge, stored once by SHA-256 under the data directory."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import User
from mamori.core.errors import Refused
from mamori.rulebook.models import Control, Evidence, Requirement

__all__ = [
    "ALLOWED",
    "EvidenceRefused",
    "accept_evidence",
    "evidence_path",
    "may_review",
    "reject_evidence",
    "store_evidence",
]

#: Accepted file types: extension → (content type, how the content must start or ``None``
#: for UTF-8 text).
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "csv": ("text/csv", None),
    "txt": ("text/plain", None),
    "md": ("text/markdown", None),
    "json": ("application/json", None),
}
_SAFE_NAME = re.compile(r"[^\w.\-\u3040-\u30ff\u4e00-\u9fff]+")


class Readable(Protocol):
    """Anything with ``read(n)`` returning bytes (an upload, a file, ``BytesIO``)."""

    def read(self, size: int = -1, /) -> bytes:
        """Read at most ``size`` bytes."""
        ...


class EvidenceRefused(Refused):
    """An upload is refused; ``code`` is stable for machines, the message says why."""


def evidence_path(sha256: str) -> Path:
    """Return where the file with ``sha256`` is kept."""
    return Path(settings.CONFIG.data_dir) / "evidence" / sha256[:2] / sha256


def _read_limited(stream: Readable, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise EvidenceRefused(
            "too_large",
            _("the file is larger than the limit of %(limit)s bytes") % {"limit": f"{limit:,}"},
        )
    return data


def store_evidence(
    control: Control,
    stream: Readable,
    filename: str,
    title: str,
    uploaded_by: User,
    valid_until: date | None = None,
    declared_sha256: str = "",
    requirements: Iterable[Requirement] | None = None,
    period: tuple[date | None, date | None] = (None, None),
) -> Evidence:
    """Check and keep one evidence file for ``control``, *pending* its owner's review; refuse
    with a reason otherwise.

    ``requirements`` are what the uploader says it shows (each must be one the control serves;
    none given: all of them); ``period`` is the (start, end) it covers. Its validity is capped
    by the control's review period.
    """
    if control.kind != Control.Kind.DOCUMENT:
        raise EvidenceRefused(
            "not_a_document",
            _("%(control)s is %(kind)s: its evidence is its runs")
            % {"control": control.code, "kind": control.kind},
        )
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED:
        raise EvidenceRefused(
            "type_not_allowed",
            _("files of type %(type)r are not accepted (accepted: %(accepted)s)")
            % {"type": extension or "(none)", "accepted": ", ".join(sorted(ALLOWED))},
        )
    content_type, magic = ALLOWED[extension]
    data = _read_limited(stream, settings.CONFIG.evidence_max_bytes)
    if not data:
        raise EvidenceRefused("empty", _("the file is empty"))
    if magic is not None and not data.startswith(magic):
        raise EvidenceRefused(
            "content_mismatch",
            _("the content is not a %(type)s file") % {"type": extension.upper()},
        )
    if magic is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise EvidenceRefused("content_mismatch", _("a text file must be UTF-8")) from None
    digest = hashlib.sha256(data).hexdigest()
    declared = declared_sha256.strip().lower()
    if declared and declared != digest:
        raise EvidenceRefused(
            "hash_mismatch",
            _("declared SHA-256 %(declared)s, the file's is %(digest)s")
            % {"declared": declared, "digest": digest},
        )
    served = list(control.requirements.all())
    claimed = served if requirements is None else list(requirements)
    foreign = [r.label for r in claimed if r not in served]
    if foreign:
        raise EvidenceRefused(
            "requirement_not_served",
            _("%(control)s does not serve %(requirements)s")
            % {"control": control.code, "requirements": ", ".join(foreign)},
        )
    if not claimed:
        raise EvidenceRefused("no_requirement", _("say which requirement the evidence shows"))
    start, end = period
    if start and end and start > end:
        raise EvidenceRefused(
            "period_reversed",
            _("the period starts %(start)s, after %(end)s") % {"start": start, "end": end},
        )
    today = timezone.localdate()
    valid_until = valid_until or today + timedelta(days=control.evidence_valid_days or 365)
    if valid_until < today:
        raise EvidenceRefused(
            "already_expired",
            _("valid until %(date)s is in the past") % {"date": valid_until},
        )
    valid_until = min(valid_until, today + timedelta(days=control.review_days))
    if end:  # what a document shows of a period is current for one review period after it
        stale_from = end + timedelta(days=control.review_days)
        if stale_from < today:
            raise EvidenceRefused(
                "period_too_old",
                f"the period it covers ended {end}, more than {control.review_days} days "
                "(the control's review period) ago: give evidence of a recent period",
            )
        valid_until = min(valid_until, stale_from)
    path = evidence_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".part")
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    with transaction.atomic():
        item = Evidence.objects.create(
            control=control,
            title=(title.strip() or filename)[:300],
            filename=_SAFE_NAME.sub("_", filename)[:255],
            content_type=content_type,
            size=len(data),
            sha256=digest,
            uploaded_by=uploaded_by,
            uploaded_at=timezone.now(),
            valid_until=valid_until,
            period_start=start,
            period_end=end,
        )
        item.claimed.set(claimed)
    return item


def may_review(item: Evidence, reviewer: User) -> bool:
    """Return whether ``reviewer`` may decide on ``item``: a holder of the control's owner
    role who did not upload it."""
    from mamori.accounts.services.roles import roles_of

    return reviewer.pk != item.uploaded_by_id and item.control.owner_role.code in roles_of(reviewer)


def _check_reviewer(item: Evidence, reviewer: User, note: str) -> None:
    if item.review != Evidence.Review.PENDING:
        raise EvidenceRefused(
            "not_pending",
            _("the evidence was already %(review)s") % {"review": item.review},
            status=409,
        )
    if reviewer.pk == item.uploaded_by_id:
        raise EvidenceRefused(
            "own_upload", _("the uploader may not review their own evidence"), status=403
        )
    if not may_review(item, reviewer):
        raise EvidenceRefused(
            "not_owner",
            _("only a holder of %(role)s, the owner of %(control)s, may review its evidence")
            % {"role": item.control.owner_role.code, "control": item.control.code},
            status=403,
        )
    if not note.strip():
        raise EvidenceRefused("note_required", _("say why: a comment or a reason is required"))


def accept_evidence(
    item: Evidence,
    reviewer: User,
    comment: str,
    requirements: Iterable[Requirement],
) -> Evidence:
    """Accept pending ``item`` as its control's owner, confirming each requirement it shows
    (only ones the uploader claimed); its validity is capped by the review period from now."""
    with transaction.atomic():
        item = Evidence.objects.select_for_update().select_related("control").get(pk=item.pk)
        _check_reviewer(item, reviewer, comment)
        claimed = set(item.claimed.all())
        confirmed = list(requirements)
        if not confirmed:
            raise EvidenceRefused(
                "no_requirement", _("confirm at least one requirement the evidence shows")
            )
        unclaimed = [r.label for r in confirmed if r not in claimed]
        if unclaimed:
            raise EvidenceRefused(
                "not_claimed",
                _("the evidence does not claim to show %(requirements)s")
                % {"requirements": ", ".join(unclaimed)},
            )
        now = timezone.now()
        cap = timezone.localdate(now) + timedelta(days=item.control.review_days)
        item.review = Evidence.Review.ACCEPTED
        item.reviewed_by = reviewer
        item.reviewed_at = now
        item.review_note = comment.strip()[:4000]
        item.valid_until = min(item.valid_until, cap)
        item.save()
        item.confirmed.set(confirmed)
    return item


def reject_evidence(item: Evidence, reviewer: User, reason: str) -> Evidence:
    """Reject pending ``item`` as its control's owner, with the reason."""
    with transaction.atomic():
        item = Evidence.objects.select_for_update().select_related("control").get(pk=item.pk)
        _check_reviewer(item, reviewer, reason)
        item.review = Evidence.Review.REJECTED
        item.reviewed_by = reviewer
        item.reviewed_at = timezone.now()
        item.review_note = reason.strip()[:4000]
        item.save()
    return item
