"""``mamori log verify|checkpoint|key|export|verify-archive``: the audit log from the shell."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mamori.engines import merkle

MAX_NOTE = 64 * 1024


def _read(source: str) -> str:
    """Return the text of a file, or of an http(s) URL (a published copy, or a witness's
    ``<prefix>/<origin hash>/checkpoint``)."""
    if source.startswith(("http://", "https://")):
        import httpx

        try:
            answer = httpx.get(source, timeout=10, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise CommandError(f"{source}: {type(exc).__name__}") from None
        if answer.status_code != 200:
            raise CommandError(f"{source}: HTTP {answer.status_code}")
        return answer.text[:MAX_NOTE]
    try:
        return Path(source).read_text(encoding="utf-8")[:MAX_NOTE]
    except OSError as exc:
        raise CommandError(f"{source}: {exc.strerror or exc}") from None


def _trusted(
    source: str, verifiers: list[str], witnesses: list[str]
) -> tuple[merkle.Checkpoint, str]:
    """Return the checkpoint at ``source`` verified with one of the log keys ``verifiers`` and
    cosigned by every witness in ``witnesses``, and a line saying so."""
    from mamori.engines.merkle.cosignature import verify_cosignature

    note = _read(source)
    try:
        checkpoint = merkle.parse_checkpoint_by_any(note, verifiers)
        cosigners = [verify_cosignature(note, witness) for witness in witnesses]
    except merkle.CheckpointError as exc:
        raise CommandError(f"{source}: {exc}") from None
    said = f"trusted checkpoint {checkpoint.size} from {source}: signed by the log key"
    for cosigner in cosigners:
        said += f", cosigned by {cosigner.name} at {cosigner.timestamp}"
    return checkpoint, said


def _verifiers(values: list[str]) -> list[str]:
    """Return the verifier keys of ``--key`` values: a key itself, or a file of keys."""
    found: list[str] = []
    for value in values:
        path = Path(value)
        if "+" not in value and path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            found += [line.strip() for line in lines if line.strip()]
        else:
            found.append(value.strip())
    return found


class Command(BaseCommand):
    """Verify the audit log, issue a checkpoint, print the key, export and check archives."""

    help = "Verify the audit log, issue checkpoints, export and verify archives."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("verify", help="recompute the tree and check every checkpoint")
        check.add_argument(
            "--since-checkpoint",
            type=Path,
            help="a signed checkpoint kept outside mamori to check against",
        )
        check.add_argument(
            "--key",
            action="append",
            default=[],
            help="verifier key kept outside mamori (name+id+base64), or a file of them one a "
            "line; repeat for the keys before a rotation. Without it the log is only checked "
            "against the key the database holds, which is not a verification",
        )
        check.add_argument(
            "--trusted-checkpoint",
            action="append",
            default=[],
            metavar="FILE|URL",
            help="a published checkpoint (file, or http(s) URL of a copy or a witness) to check "
            "the log against; needs --key; repeat for several",
        )
        check.add_argument(
            "--witness",
            action="append",
            default=[],
            metavar="KEY",
            help="a witness's verifier key: its cosignature on each trusted checkpoint is "
            "required and checked; repeat for several",
        )
        sub.add_parser("checkpoint", help="sign a checkpoint of the current tree now, publish it")
        sub.add_parser("publish", help="publish the latest checkpoint where it is not yet")
        sub.add_parser("key", help="print the current verifier key (give it to auditors)")
        export = sub.add_parser("export", help="write entries [start, end) as an archive")
        export.add_argument("--start", type=int, default=0)
        export.add_argument("--end", type=int)
        export.add_argument("--out", type=Path, required=True)
        offline = sub.add_parser("verify-archive", help="check an archive with only the key")
        offline.add_argument("path", type=Path)
        offline.add_argument("--key", required=True, help="verifier key: name+id+base64")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the sub-command; a failed verification exits non-zero."""
        action = options["action"]
        if action == "verify-archive":
            from mamori.auditlog.archive import ArchiveError, verify_archive

            try:
                count = verify_archive(options["path"], options["key"])
            except ArchiveError as exc:
                raise CommandError(f"archive does not verify: {exc}") from None
            self.stdout.write(f"archive verified: {count} entries")
            return
        from mamori.auditlog import archive, keys
        from mamori.auditlog.context import acting
        from mamori.auditlog.runs import verify_and_record
        from mamori.core.signing import SigningError

        with acting("system:cli"):
            if action == "key":
                try:
                    self.stdout.write(keys.database_verifier("log"))
                except SigningError as exc:
                    raise CommandError(exc.message) from None
            elif action in ("checkpoint", "publish"):
                self._checkpoint(action == "checkpoint")
            elif action == "export":
                end = options["end"]
                if end is None:
                    from mamori.auditlog.store import size

                    end = size()
                try:
                    manifest = archive.export(options["start"], end, options["out"])
                except archive.ArchiveError as exc:
                    raise CommandError(str(exc)) from None
                self.stdout.write(
                    f"exported entries {manifest['start']}..{manifest['end']} to "
                    f"{options['out']} (checkpoint {manifest['checkpoint_size']})"
                )
            else:
                given = _verifiers(options["key"])
                verifiers = given or keys.database_verifiers("log")
                if options["trusted_checkpoint"] and not given:
                    raise CommandError(
                        "--trusted-checkpoint needs --key: the verifier key you hold, "
                        "not the one in the database"
                    )
                outside = None
                if options["since_checkpoint"]:
                    note = options["since_checkpoint"].read_text(encoding="utf-8")
                    try:
                        outside = merkle.parse_checkpoint_by_any(note, verifiers)
                    except merkle.CheckpointError as exc:
                        raise CommandError(f"{options['since_checkpoint']}: {exc}") from None
                trusted = []
                for source in options["trusted_checkpoint"]:
                    checkpoint, said = _trusted(source, verifiers, options["witness"])
                    trusted.append((f"the trusted checkpoint {source}", checkpoint))
                    self.stdout.write(said)
                run = verify_and_record(outside, verifiers, trusted=trusted)
                if not run.ok:
                    raise CommandError(f"audit log does NOT verify: {run.problem}")
                counts = f"{run.entries} entries, {run.checkpoints} checkpoints"
                if given:
                    self.stdout.write(f"audit log verified against the key(s) given: {counts}")
                    return
                self.stderr.write(
                    "warning: no --key given: the log was checked only against the key the "
                    "database holds, which whoever can write the database can replace. This is "
                    "not a verification; pass --key with the verifier key kept outside mamori."
                )
                self.stdout.write(
                    f"audit log consistent with the database's own key (NOT verified): {counts}"
                )

    def _checkpoint(self, sign: bool) -> None:
        """Sign a checkpoint (``sign``) and publish the latest one where it is not yet."""
        from mamori.auditlog import publish, services
        from mamori.auditlog.models import Checkpoint
        from mamori.auditlog.signer import SignerRefused
        from mamori.core.signing import SigningError

        if sign:
            try:
                checkpoint = services.issue_checkpoint()
            except SignerRefused as exc:
                raise CommandError(str(exc)) from None
            except SigningError as exc:
                raise CommandError(exc.message) from None
            if checkpoint is None:
                self.stdout.write("the log did not grow")
        outcomes = publish.publish_latest()
        for outcome in outcomes:
            self.stdout.write(f"{outcome.target}: {'ok, ' if outcome.ok else ''}{outcome.detail}")
        latest = Checkpoint.objects.order_by("-size").first()
        if latest is not None and (sign or outcomes):
            self.stdout.write(publish.cosigned_note(latest.size) or latest.note)
        if any(outcome.refused for outcome in outcomes):
            raise CommandError("a witness or a published copy refused the checkpoint: a fork")
