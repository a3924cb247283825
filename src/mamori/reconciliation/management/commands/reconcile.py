"""``mamori reconcile ...``: reconciliation from the shell (ISM 34).

``node`` sets a chain's node at once: the command line is the installation's own (whoever runs
it already holds the server and its keys). On the page and through the API a node change waits
for two other people's approval.

Exit status of ``run``: 0 matched, 1 difference, 2 failed (also when the latest book imported
was refused: no run reconciles against an older book until a newer one is accepted).
``verify-statement`` exits 1 and names every figure or signature that does not hold.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


def _rpc_map(values: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        chain, sep, url = value.partition("=")
        if sep and not chain.startswith("http"):
            mapping[chain] = url
        else:
            mapping["*"] = value
    return mapping


def _published(source: str, size: int) -> str:
    """Return where the published checkpoint of ``size`` is: ``source`` itself (a note file
    or URL), or ``checkpoints/<size>`` under a publish directory or a URL ending in ``/``."""
    if source.startswith(("http://", "https://")):
        return f"{source}checkpoints/{size}" if source.endswith("/") else source
    path = Path(source)
    return str(path / "checkpoints" / str(size)) if path.is_dir() else source


def _read_note(source: str) -> str:
    from mamori.auditlog.management.commands.log import _read

    return _read(source)


class Command(BaseCommand):
    """Run, import the book, configure nodes, issue and verify statements."""

    help = "Reconcile the book against the blockchain; import books; issue and verify statements."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="reconcile now (exit 0 matched, 1 difference, 2 failed)")
        run.add_argument("--book", type=Path, help="import this book first and use it")
        imp = sub.add_parser("import", help="import a .csv or .parquet book (all or nothing)")
        imp.add_argument("path", type=Path)
        node = sub.add_parser(
            "node",
            help=(
                "set the node of a chain at once (the command line is the installation's own; "
                "on the page and through the API a change waits for two approvals)"
            ),
        )
        node.add_argument("chain")
        node.add_argument("family", choices=["evm", "bitcoin"])
        node.add_argument("url")
        node.add_argument("--batch-size", type=int, default=500)
        node.add_argument("--timeout", type=int, default=10)
        node.add_argument("--retries", type=int, default=3)
        node.add_argument("--confirmations", type=int, default=0)
        source = sub.add_parser("source", help="read the book from a database query at each run")
        source.add_argument("name")
        source.add_argument("url", help="postgres://... or sqlite:///path")
        source.add_argument("query")
        policy = sub.add_parser("policy", help="halt an asset's withdrawals when coins go missing")
        policy.add_argument("asset")
        policy.add_argument("--halt-above", required=True, help="base units; 'off' to disable")
        statement = sub.add_parser("statement", help="write the signed statement of a run")
        statement.add_argument("run", type=int)
        statement.add_argument("--output", type=Path, required=True)
        statement.add_argument("--pdf", type=Path)
        statement.add_argument("--language", choices=["ja", "en"], default="ja")
        sub.add_parser("public-key", help="print the verifier key of statements")
        verify = sub.add_parser("verify-statement", help="check a statement against the chain")
        verify.add_argument("path", type=Path)
        verify.add_argument(
            "--rpc", action="append", default=[], help="URL, or CHAIN=URL (repeatable)"
        )
        verify.add_argument(
            "--key",
            default="",
            help="verifier key the auditor keeps outside mamori (without it the signature is "
            "only compared with the database's key, which is not a verification)",
        )
        verify.add_argument(
            "--log-key",
            action="append",
            default=[],
            help="the audit log's verifier key the auditor keeps (repeatable, keys across "
            "rotations): checks the figures are the ones the log recorded at the run",
        )
        verify.add_argument(
            "--trusted-checkpoint",
            default="",
            help="a checkpoint published outside mamori (a .note file or URL of the same size "
            "as the statement's), or the publish directory or its URL ending in / (its "
            "checkpoints/<size> is read)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the sub-command."""
        from mamori.auditlog.context import acting

        with acting("system:cli"):
            getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _import(self, options: dict[str, Any]) -> Any:
        from mamori.reconciliation.services import books

        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            record = books.import_file(path, "cli")
        except books.BookRefused as refused:
            lines = [f"{path}:{e['line']}: {e['reason']}" for e in refused.record.errors]
            record = refused.record
            head = f"book {record.pk}: {record.error_count} bad row(s), nothing imported"
            if refused.case is not None:
                head += (
                    f"; case {refused.case.pk} opened and the responsible people told; runs "
                    "will not reconcile against an older book until a corrected one is imported"
                )
            raise CommandError("\n".join([f"{head}:", *lines])) from None
        self.stdout.write(f"book {record.pk}: {record.rows} rows accepted ({record.sha256[:16]})")
        return record

    def _run(self, options: dict[str, Any]) -> None:
        from mamori.reconciliation.services import runs

        book = None
        if options.get("book"):
            try:
                book = self._import({"path": options["book"]})
            except CommandError as refused:  # no run on a refused book: failed, not different
                self.stderr.write(str(refused))
                raise SystemExit(2) from None
        run = runs.run("cli", book=book)
        for result in run.assets.all():
            self.stdout.write(
                f"{result.asset:8} {result.status:10} block {result.block_number} "
                f"book {result.book} in flight {result.in_flight} on chain {result.on_chain} "
                f"difference {result.difference}"
            )
        self.stdout.write(f"run {run.pk}: {run.status} in {run.duration_ms} ms {run.reason}")
        if run.status != "matched":
            raise SystemExit(1 if run.status == "difference" else 2)

    def _node(self, options: dict[str, Any]) -> None:
        from mamori.reconciliation.services import nodes

        try:
            nodes.check_url(options["url"])
            node = nodes.configure(
                options["chain"],
                options["family"],
                options["url"],
                batch_size=options["batch_size"],
                timeout_seconds=options["timeout"],
                retries=options["retries"],
                confirmations=options["confirmations"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"node of {node.chain}: {node.url_shown} ({node.family})")

    def _source(self, options: dict[str, Any]) -> None:
        from mamori.reconciliation.services import books

        try:
            source = books.add_source(options["name"], options["url"], options["query"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"book source {source.name}: {source.url_shown}")

    def _policy(self, options: dict[str, Any]) -> None:
        from mamori.custody.models import Asset
        from mamori.reconciliation.models import AssetPolicy

        asset = Asset.objects.filter(code=options["asset"]).first()
        if asset is None:
            raise CommandError(f"unknown asset {options['asset']!r}")
        value = options["halt_above"]
        if value != "off" and not value.isdigit():
            raise CommandError(f"--halt-above is whole base units or 'off', got {value!r}")
        AssetPolicy.objects.update_or_create(
            asset=asset, defaults={"halt_above_units": None if value == "off" else int(value)}
        )
        self.stdout.write(f"{asset.code}: halt above {value}")

    def _statement(self, options: dict[str, Any]) -> None:
        from mamori.reconciliation.models import Run
        from mamori.reconciliation.services import statements

        run = Run.objects.filter(pk=options["run"]).first()
        if run is None:
            raise CommandError(f"no run {options['run']}")
        from mamori.core.signing import SigningError

        try:
            document = statements.signed(run)
        except SigningError as exc:
            raise CommandError(exc.message) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        options["output"].write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        if options.get("pdf"):
            options["pdf"].write_bytes(statements.pdf(document, options["language"]))
        self.stdout.write(f"statement of run {run.pk} written, key {document['verifier']}")
        size = document["statement"]["anchors"]["size"]
        if size is not None:
            self.stdout.write(
                f"its figures are anchored in the audit log's checkpoint of size {size} "
                f"(published as checkpoints/{size})"
            )

    def _public_key(self, options: dict[str, Any]) -> None:
        from mamori.core.signing import SigningError
        from mamori.reconciliation.services import statements

        try:
            self.stdout.write(statements.verifier())
        except SigningError as exc:
            raise CommandError(exc.message) from None

    def _verify_statement(self, options: dict[str, Any]) -> None:
        from mamori.engines import chains
        from mamori.engines import reconcile as engine

        path: Path = options["path"]
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: cannot read a JSON statement: {exc}") from None
        verifier = options["key"]
        if not verifier:
            from mamori.core.signing import SigningError
            from mamori.reconciliation.services import statements

            self.stderr.write(
                "warning: no --key given: the signature is checked only against the key the "
                "database holds, which whoever can write the database can replace. Pass --key "
                "with the verifier key the auditor keeps."
            )
            try:
                verifier = statements.verifier()
            except SigningError as exc:
                raise CommandError(exc.message) from None
        problems: list[str] = []
        try:
            statement = engine.check_signature(document, verifier)
        except engine.StatementError as exc:
            problems.append(str(exc))
            unsigned = document.get("statement") if isinstance(document, dict) else None
            if not isinstance(unsigned, dict):
                raise CommandError(f"{path}: {exc}") from None
            statement = unsigned
        urls = _rpc_map(options["rpc"])

        def adapter_for(chain: str, family: str) -> chains.ChainAdapter | None:
            url = urls.get(chain) or urls.get("*")
            if not url or family not in chains.FAMILIES:
                return None
            return chains.adapter(family, chains.RpcSettings(url))

        problems += engine.recheck(statement, adapter_for)
        anchored = self._check_anchors(statement, options, problems)
        if problems:
            raise CommandError(
                "\n".join([f"{path}: {len(problems)} figure(s) do not hold:", *problems])
            )
        blocks = ", ".join(
            f"{a['asset']}@{a['block']['number']}" for a in statement["assets"] if a.get("block")
        )
        if options["key"]:
            said = (
                f"{path}: signature valid for the key given, every figure confirmed on chain "
                f"({blocks})"
            )
        else:
            said = (
                f"{path}: signature matches the database's own key (NOT verified: no --key), "
                f"every figure confirmed on chain ({blocks})"
            )
        self.stdout.write(f"{said}; {anchored}")

    def _check_anchors(
        self, statement: dict[str, Any], options: dict[str, Any], problems: list[str]
    ) -> str:
        """Check the statement's audit-log anchors (adding to ``problems``); return what was
        checked."""
        from mamori.engines import merkle
        from mamori.engines import reconcile as engine

        log_keys = [k.strip() for k in options["log_key"] if k.strip()]
        if not log_keys:
            if options["trusted_checkpoint"]:
                raise CommandError(
                    "--trusted-checkpoint needs --log-key: the log's verifier key you hold"
                )
            return (
                "the audit-log anchors were NOT checked (no --log-key): the figures are not "
                "shown to be the ones the log recorded"
            )
        found = engine.check_anchors(statement, log_keys)
        problems += found
        if not options["trusted_checkpoint"]:
            return (
                "every figure equals its audit-log entry, included in the checkpoint signed "
                "by the log key given (no --trusted-checkpoint: not compared with a "
                "published checkpoint)"
            )
        try:
            checkpoint = engine.statement_checkpoint(statement, log_keys)
        except merkle.CheckpointError:
            return ""  # already named by check_anchors
        source = _published(options["trusted_checkpoint"], checkpoint.size)
        note = _read_note(source)
        try:
            trusted = engine.verified_checkpoint(note, log_keys)
        except merkle.CheckpointError as exc:
            problems.append(f"the trusted checkpoint {source}: {exc}")
            return ""
        problems += engine.check_against_trusted(checkpoint, trusted, source)
        return (
            "every figure equals its audit-log entry, included in the checkpoint of size "
            f"{checkpoint.size} signed by the log key given and equal to the trusted "
            f"checkpoint {source}"
        )
