"""Checkpoints leave mamori: each one goes to witnesses, a directory, an S3-compatible object
store and the auditors' mail, as the operator configures (ISM 23-1-2).

A database rewritten consistently, with its later checkpoints deleted, still verifies against
itself; it no longer verifies against a checkpoint someone else holds. Witnesses
(c2sp.org/tlog-witness) go first: each checks the checkpoint extends the last one it cosigned
and returns a cosignature, which the copies sent everywhere else then carry.

Every attempt is recorded (:class:`~mamori.auditlog.models.Publication`); the checkpoint job
publishes the latest checkpoint to every place that does not have it yet, so a place that was
down gets it on a later run. A witness refusing a checkpoint is evidence of a fork: the CISO
and the internal auditors are alerted at once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from mamori.auditlog import store
from mamori.auditlog.models import Checkpoint, Publication
from mamori.config import mask_url
from mamori.engines import merkle
from mamori.engines.merkle.cosignature import verify_cosignature
from mamori.engines.witness import format_add_checkpoint, parse_body

__all__ = [
    "Outcome",
    "PublishError",
    "WitnessRefused",
    "cosigned_note",
    "publish",
    "publish_latest",
    "targets",
]

log = logging.getLogger("mamori.auditlog")
REFUSED_TOPIC = "auditlog.witness_refused"
FAILED_TOPIC = "auditlog.publish_failed"
TIMEOUT = 10.0
#: a place that failed is tried again on the first run after this long
RETRY_AFTER = timedelta(seconds=60)
Prover = Callable[[int, int], list[bytes]]


class PublishError(RuntimeError):
    """A place could not take the checkpoint (down, misconfigured): tried again later."""


class WitnessRefused(PublishError):
    """A witness (or a published copy) holds a checkpoint this one does not extend."""


@dataclass(frozen=True)
class Outcome:
    """What became of one checkpoint at one place."""

    target: str
    ok: bool
    detail: str
    refused: bool = False


class Target(Protocol):
    """A place checkpoints are published to."""

    name: str

    def publish(self, note: str, checkpoint: merkle.Checkpoint) -> str:
        """Send ``note``; return what happened in a few words, or raise :class:`PublishError`."""


class WitnessTarget:
    """A witness speaking c2sp.org/tlog-witness; returns a cosignature line."""

    #: the size each witness holds, as last heard (per process; a 409 corrects it)
    known_sizes: ClassVar[dict[str, int]] = {}

    def __init__(self, url: str, verifier: str, prover: Prover) -> None:
        self.url = url.rstrip("/")
        self.verifier = verifier
        self.prover = prover
        self.name = f"witness {mask_url(self.url)}"
        self.cosignature = ""

    def publish(self, note: str, checkpoint: merkle.Checkpoint) -> str:
        """Ask for a cosignature, proving consistency from the size the witness holds."""
        old = min(self.known_sizes.get(self.url, 0), checkpoint.size)
        for _ in range(3):
            proof = self.prover(old, checkpoint.size) if old else []
            try:
                answer = httpx.post(
                    f"{self.url}/add-checkpoint",
                    content=format_add_checkpoint(old, proof, note),
                    timeout=TIMEOUT,
                )
            except httpx.HTTPError as exc:
                raise PublishError(f"{self.name}: {type(exc).__name__}") from None
            if answer.status_code == 409:
                held = answer.text.strip()
                if not held.isdigit():
                    raise PublishError(f"{self.name}: 409 without a size")
                self.known_sizes[self.url] = old = int(held)
                if old > checkpoint.size:
                    raise WitnessRefused(
                        f"{self.name} has cosigned size {old}, beyond this checkpoint "
                        f"{checkpoint.size}: it saw a tree this log no longer extends"
                    )
                continue
            if answer.status_code == 422:
                raise WitnessRefused(f"{self.name} refused: {answer.text.strip()[:300]}")
            if answer.status_code != 200:
                raise PublishError(f"{self.name}: HTTP {answer.status_code}")
            line = answer.text
            try:
                verify_cosignature(note + line, self.verifier)
            except merkle.CheckpointError as exc:
                raise PublishError(f"{self.name}: {exc}") from None
            self.known_sizes[self.url] = checkpoint.size
            self.cosignature = "".join(f"{x}\n" for x in line.splitlines() if x)
            return "cosigned"
        raise PublishError(f"{self.name}: its size kept changing")


class DirectoryTarget:
    """A directory (a mount another team controls, a synced folder): ``checkpoints/<size>``
    for every checkpoint, never overwritten with another tree, and ``checkpoint``, the
    latest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"directory {path}"

    def publish(self, note: str, checkpoint: merkle.Checkpoint) -> str:
        """Write the note; refuse if another tree of that size is already there."""
        folder = self.path / "checkpoints"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            kept = folder / str(checkpoint.size)
            if kept.exists():
                _check_same(kept.read_text(encoding="utf-8"), checkpoint, self.name)
            _write(kept, note)
            latest = self.path / "checkpoint"
            if latest.exists():
                held = parse_body(latest.read_text(encoding="utf-8"))[1]
                if held > checkpoint.size:
                    return f"kept as checkpoints/{checkpoint.size} (latest is {held})"
            _write(latest, note)
        except OSError as exc:
            raise PublishError(f"{self.name}: {exc.strerror or exc}") from None
        return f"written as checkpoints/{checkpoint.size}"


def _check_same(held: str, checkpoint: merkle.Checkpoint, name: str) -> None:
    try:
        origin, size, root = parse_body(held)
    except ValueError:
        return  # not a checkpoint: replaced
    if (origin, size, root) != (checkpoint.origin, checkpoint.size, checkpoint.root):
        raise WitnessRefused(
            f"{name} already holds checkpoint {size} with root {root.hex()}, this one has "
            f"{checkpoint.root.hex()}: a fork"
        )


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class S3Target:
    """A bucket of an S3-compatible object store: ``<prefix>checkpoints/<size>`` and
    ``<prefix>checkpoint``. Credentials come from the environment, never from the database."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.bucket = config.publish_s3_bucket
        self.prefix = config.publish_s3_prefix
        self.name = f"s3://{self.bucket}/{self.prefix}"

    def _client(self) -> Any:
        import boto3
        from botocore.config import Config as BotoConfig

        config = self.config
        return boto3.client(
            "s3",
            endpoint_url=config.publish_s3_endpoint or None,
            region_name=config.publish_s3_region or None,
            aws_access_key_id=config.publish_s3_access_key or None,
            aws_secret_access_key=config.publish_s3_secret_key or None,
            config=BotoConfig(
                connect_timeout=TIMEOUT, read_timeout=TIMEOUT, retries={"max_attempts": 2}
            ),
        )

    def publish(self, note: str, checkpoint: merkle.Checkpoint) -> str:
        """Put the note; refuse if another tree of that size is already there."""
        from botocore.exceptions import BotoCoreError, ClientError

        key = f"{self.prefix}checkpoints/{checkpoint.size}"
        try:
            client = self._client()
            try:
                held = client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                _check_same(held.decode("utf-8"), checkpoint, self.name)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                    raise
            body = note.encode("utf-8")
            for name in (key, f"{self.prefix}checkpoint"):
                client.put_object(
                    Bucket=self.bucket, Key=name, Body=body, ContentType="text/plain; charset=utf-8"
                )
        except (BotoCoreError, ClientError) as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            raise PublishError(f"{self.name}: {code}") from None
        return f"put as {key}"


class EmailTarget:
    """The auditors' mailboxes: the checkpoint as text and as an attached file, at most once
    every ``MAMORI_PUBLISH_EMAIL_HOURS``."""

    def __init__(self, addresses: tuple[str, ...]) -> None:
        self.addresses = addresses
        self.name = f"email {', '.join(addresses)}"

    def due(self) -> bool:
        """Return whether the last mail went out longer ago than the configured period."""
        hours = settings.CONFIG.publish_email_hours
        since = timezone.now() - timedelta(hours=hours)
        return not Publication.objects.filter(
            target=self.name, ok=True, published_at__gt=since
        ).exists()

    def publish(self, note: str, checkpoint: merkle.Checkpoint) -> str:
        """Mail the note to the auditors."""
        text = (
            f"監査ログのチェックポイント {checkpoint.size}（{checkpoint.origin}）です。"
            "mamori の外で保管し、`mamori log verify --trusted-checkpoint` で照合してください。\n"
            f"Audit log checkpoint {checkpoint.size} of {checkpoint.origin}. Keep it outside "
            "mamori and check the log against it with `mamori log verify "
            "--trusted-checkpoint FILE --key KEY`.\n\n" + note
        )
        message = EmailMessage(
            f"[mamori] audit log checkpoint {checkpoint.size}",
            text,
            to=list(self.addresses),
        )
        message.attach(f"checkpoint-{checkpoint.size}.note", note, "text/plain")
        try:
            message.send()
        except OSError as exc:
            raise PublishError(f"{self.name}: {exc.strerror or exc}") from None
        return "mailed"


def _prover() -> Prover:
    def prove(old: int, new: int) -> list[bytes]:
        return merkle.consistency_proof(store.DbNodes(), old, new)

    return prove


def targets() -> list[Target]:
    """Return the configured places, witnesses first."""
    config = settings.CONFIG
    found: list[Target] = [WitnessTarget(url, key, _prover()) for url, key in config.witnesses]
    if config.publish_dir:
        found.append(DirectoryTarget(config.publish_dir))
    if config.publish_s3_bucket:
        found.append(S3Target(config))
    if config.publish_emails:
        found.append(EmailTarget(config.publish_emails))
    return found


def publish(checkpoint: Checkpoint, only_missing: bool = False) -> list[Outcome]:
    """Publish ``checkpoint`` to every configured place (``only_missing``: the places that do
    not have it yet); record and return the outcomes, alerting on a refusal. The note sent
    is the most complete one so far: with the cosignatures witnesses already gave."""
    note = cosigned_note(checkpoint.size) or checkpoint.note
    signed = parse_body(note)
    tree = merkle.Checkpoint(signed[0], signed[1], signed[2])
    outcomes = []
    for target in targets():
        if only_missing and _has(target, checkpoint.size):
            continue
        try:
            detail = target.publish(note, tree)
            outcome = Outcome(target.name, True, detail)
            if isinstance(target, WitnessTarget):
                note = note + target.cosignature  # the copies after carry the cosignature
        except WitnessRefused as exc:
            outcome = Outcome(target.name, False, str(exc), refused=True)
        except PublishError as exc:
            outcome = Outcome(target.name, False, str(exc))
        Publication.objects.create(
            target=target.name,
            size=checkpoint.size,
            ok=outcome.ok,
            detail=outcome.detail[:2000],
            note=note if outcome.ok else "",
            published_at=timezone.now(),
        )
        outcomes.append(outcome)
    _tell(checkpoint.size, [o for o in outcomes if not o.ok])
    return outcomes


def _has(target: Target, size: int) -> bool:
    """Return whether ``target`` has checkpoint ``size`` (or a later one), needs no mail yet,
    or failed less than :data:`RETRY_AFTER` ago (tried again later, not every run)."""
    if isinstance(target, EmailTarget) and not target.due():
        return True
    last = Publication.objects.filter(target=target.name).order_by("-published_at").first()
    if last is not None and not last.ok and last.published_at > timezone.now() - RETRY_AFTER:
        return True
    return Publication.objects.filter(target=target.name, size__gte=size, ok=True).exists()


def publish_latest() -> list[Outcome]:
    """Publish the latest checkpoint wherever it is not yet (the checkpoint job's second step)."""
    latest = Checkpoint.objects.order_by("-size").first()
    return publish(latest, only_missing=True) if latest else []


def cosigned_note(size: int) -> str | None:
    """Return the most complete note of checkpoint ``size`` that was published (with the
    witnesses' cosignatures), or None."""
    row = (
        Publication.objects.filter(size=size, ok=True)
        .exclude(note="")
        .order_by("-published_at")
        .first()
    )
    return row.note if row else None


def _tell(size: int, failed: list[Outcome]) -> None:
    """Alert on a refusal (a fork) at once, on other failures; each at most once an hour."""
    from mamori.notifications.services import Recipient, notified_within, notify

    refused = [o for o in failed if o.refused]
    others = [o for o in failed if not o.refused]
    for outcome in others:
        log.warning("checkpoint %s not published to %s: %s", size, outcome.target, outcome.detail)
    if refused:
        what = "; ".join(o.detail for o in refused)
        log.critical("checkpoint %s refused: %s", size, what)
        if notified_within(REFUSED_TOPIC, timedelta(hours=1)):
            return  # told already, and not yet an hour ago: the alert escalates meanwhile
        title = (
            f"監査ログのチェックポイント {size} が外部で拒否されました（分岐の疑い）",
            f"Audit log checkpoint {size} was refused outside mamori (a fork?)",
        )
        severity, topic, body = "critical", REFUSED_TOPIC, (what, what)
    elif others and not notified_within(FAILED_TOPIC, timedelta(hours=1)):
        what = "; ".join(f"{o.target}: {o.detail}" for o in others)
        title = (
            f"監査ログのチェックポイント {size} を公開できませんでした",
            f"Audit log checkpoint {size} could not be published",
        )
        severity, topic, body = "warning", FAILED_TOPIC, (what, what)
    else:
        return
    try:
        notify(
            topic,
            severity,
            title,
            body,
            [
                [Recipient(role="ciso"), Recipient(role="internal_auditor")],
                [Recipient(role="system_general_manager")],
            ],
            requires_ack=severity == "critical",
            escalate_after=timedelta(minutes=30),
            link="/audit/",
        )
    except ValueError as exc:
        log.error("cannot alert about publishing checkpoint %s: %s", size, exc)
