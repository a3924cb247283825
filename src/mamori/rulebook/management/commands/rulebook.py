"""``mamori rulebook coverage|traceability|load|sync|run|export``: the rulebook from the shell."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mamori.engines.rulebook import LibraryError


class Command(BaseCommand):
    """Print coverage, generate traceability, load a rule version, run controls, export."""

    help = "Coverage and traceability of the rules; load new rule versions; run; export."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        cov = sub.add_parser(
            "coverage",
            help="requirements with a control, how each is met (exit 1 if any lacks one)",
        )
        cov.add_argument("--json", action="store_true", help="print one JSON object")
        trace = sub.add_parser("traceability", help="write docs/traceability.md from the library")
        trace.add_argument("--output", type=Path, help="file to write (default: stdout)")
        load = sub.add_parser("load", help="load a newer version of a rule library file")
        load.add_argument("path", type=Path)
        sub.add_parser("sync", help="load the shipped libraries and control catalogue")
        run = sub.add_parser("run", help="run controls' checks now")
        run.add_argument("codes", nargs="*", help="control codes (default: every due control)")
        export = sub.add_parser("export", help="write the statement or the evidence pack")
        export.add_argument("what", choices=("pdf", "xlsx", "evidence-pack"))
        export.add_argument("--lang", choices=("ja", "en"), default="ja")
        export.add_argument("--output", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the sub-command."""
        action = options["action"]
        if action == "traceability":
            from mamori.rulebook.services.coverage import traceability_markdown

            text = traceability_markdown()
            if options["output"]:
                options["output"].write_text(text, encoding="utf-8")
                self.stdout.write(f"wrote {options['output']}")
            else:
                self.stdout.write(text)
            return
        from mamori.auditlog.context import acting

        with acting("system:cli"):
            getattr(self, "_" + action.replace("-", "_"))(options)

    def _coverage(self, options: dict[str, Any]) -> None:
        from mamori.rulebook.services.coverage import coverage

        result = coverage()
        missing = [i for i in result["items"] if not i["controls"]]
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for rule, counts in result["by_rule"].items():
                self.stdout.write(
                    f"{rule.upper()}: {counts['with_control']}/{counts['requirements']} "
                    "requirements have a control that counts; met by measurement "
                    f"{counts['measured']}, by workflow {counts['workflow']}, by reviewed "
                    f"documents only {counts['document_only']}, not met {counts['none']}"
                )
            statuses: dict[str, int] = {}
            for item in result["items"]:
                statuses[item["status"]] = statuses.get(item["status"], 0) + 1
            self.stdout.write(
                "status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
            )
            for item in missing:
                self.stdout.write(f"no control: {item['label']} {item['urn']}")
            self.stdout.write(
                f"total: {result['with_control']}/{result['requirements']} with a control"
            )
        if missing:
            sys.exit(1)

    def _load(self, options: dict[str, Any]) -> None:
        from mamori.rulebook.services.library import load_library_file

        try:
            result = load_library_file(options["path"])
        except LibraryError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{result.ref_id.upper()} v{result.version}: {result.action}; added {result.added}, "
            f"changed {result.changed} (flagged for review), removed {result.removed}, "
            f"retranslated {result.retranslated}"
        )

    def _sync(self, options: dict[str, Any]) -> None:
        from mamori.rulebook.services.library import sync_builtin
        from mamori.rulebook.services.policies import ensure_documents

        try:
            results = sync_builtin()
        except LibraryError as exc:
            raise CommandError(str(exc)) from None
        ensure_documents()
        for result in results:
            self.stdout.write(f"{result.ref_id.upper()} v{result.version}: {result.action}")

    def _run(self, options: dict[str, Any]) -> None:
        from mamori.rulebook.models import Control
        from mamori.rulebook.services import controls

        if options["codes"]:
            runs = []
            for code in options["codes"]:
                control = Control.objects.filter(code=code).first()
                if control is None:
                    raise CommandError(f"no control {code!r}")
                runs.append(controls.run_control(control, "cli"))
        else:
            runs = controls.run_due()
        for run in runs:
            self.stdout.write(f"{run.control.code}: {run.outcome} — {run.summary_en}")
        if any(run.outcome != "pass" for run in runs):
            sys.exit(1)

    def _export(self, options: dict[str, Any]) -> None:
        from mamori.rulebook.services import exports

        language = options["lang"]
        what = options["what"]
        if what == "pdf":
            data = exports.recorded("statement.pdf", exports.statement_pdf(language), language)
        elif what == "xlsx":
            data = exports.recorded("statement.xlsx", exports.statement_xlsx(language), language)
        else:
            data = exports.evidence_pack(language)
        options["output"].write_bytes(data)
        self.stdout.write(f"wrote {options['output']} ({len(data):,} bytes)")
