"""Configuration-database benchmark (SRM 12-2..4): import of ``--items`` configuration items
with three relations each into a fresh database, and the diff of two such snapshots.

The inventory is a CSV file (the documented header, each item ``depends_on``, ``runs_on`` and
``connects_to`` three earlier items) imported by :func:`mamori.operations.services.cmdb_import.
import_file` — parse, diff against the (empty) stored snapshot, batched writes through the
audited queryset, every row's audit entry appended a batch at a time. The diff is
:func:`mamori.engines.cmdb.diff` of the parsed snapshot against a copy with 1% of items
changed, 1% gone and 1% added. The baseline is the naive import: ``Model.objects.create`` per
item and per relation in one transaction, each row's audit entry appended on its own. At a
million items that takes hours, so it runs on the first ``--baseline-items`` items (default
20,000) of the same file and the rates per item are compared; the rows it wrote must equal
the fast import's rows for those items. ``--database-url`` repeats the import on a fresh
PostgreSQL database of that server in a child process. ``alerts`` holds
``mamori.bench.alerts.measure`` when that module exists (null otherwise). Last line: one JSON
object.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

KINDS = ("server", "virtual_machine", "container", "service", "cloud_resource")
RELATIONS = ("depends_on", "runs_on", "connects_to")


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def inventory(items: int) -> bytes:
    """Return a CSV inventory of ``items`` items, each related to three earlier ones."""
    lines = ["kind,external_id,name,system,location,version,relations,rack"]
    for i in range(items):
        links = ";".join(f"{RELATIONS[k]}:ci-{i - k - 1}" for k in range(3) if i - k - 1 >= 0)
        lines.append(f"{KINDS[i % 5]},ci-{i},item {i},,zone-{i % 7},v{i % 13},{links},r{i % 40}")
    return ("\n".join(lines) + "\n").encode()


def _setup(data_dir: Path, database_url: str | None) -> None:
    os.environ["MAMORI_DATA_DIR"] = str(data_dir / "data")
    if database_url:
        os.environ["MAMORI_DATABASE_URL"] = database_url
    else:
        os.environ.pop("MAMORI_DATABASE_URL", None)
    for name in ("MAMORI_PKCS11_MODULE", "MAMORI_PKCS11_PIN_FILE"):
        os.environ.pop(name, None)
    os.environ["MAMORI_SIGNING_KEY_DIR"] = str(data_dir / "keys")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mamori.settings")
    import django
    from django.core.management import call_command

    (data_dir / "data").mkdir()
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from mamori.auditlog import keys

    keys.init("log", "system:bench")


def _import(data: bytes) -> dict[str, Any]:
    from mamori.auditlog.context import acting
    from mamori.operations.services import cmdb_import

    before = _peak_mb()
    started = time.perf_counter()
    with acting("system:bench"):
        run = cmdb_import.import_file("csv", data, "bench.csv", None, "cli")
    seconds = time.perf_counter() - started
    return {
        "added": run.added,
        "relations_added": run.relations_added,
        "import_s": round(seconds, 2),
        "items_per_s": round(run.added / seconds),
        "rows_per_s": round((run.added + run.relations_added) / seconds),
        "peak_rss_mb": _peak_mb(),
        "peak_rss_before_mb": before,
    }


def _diff(data: bytes) -> dict[str, Any]:
    from mamori.engines import cmdb

    current = cmdb.parse("csv", data)
    n = len(current.items)
    step = 100
    changed = [
        item._replace(version="changed") if i % step == 1 else item
        for i, item in enumerate(current.items)
        if i % step != 0
    ]
    added = [cmdb.Item("server", f"new-{i}", f"new {i}", {}) for i in range(n // step)]
    other = cmdb.Snapshot("csv", changed + added, list(current.relations))
    started = time.perf_counter()
    found = cmdb.diff(current, other)
    seconds = time.perf_counter() - started
    return {"diff_s": round(seconds, 3), "diff": found.summary()}


def _naive(data: bytes, count: int) -> dict[str, Any]:
    """Import the first ``count`` items the naive way: one ``create`` per row."""
    from django.db import transaction
    from django.utils import timezone

    from mamori.auditlog.context import acting
    from mamori.engines import cmdb
    from mamori.operations.models import ConfigurationItem, Relation

    snapshot = cmdb.parse("csv", data)
    items = snapshot.items[:count]
    wanted = {item.external_id for item in items}
    relations = [r for r in snapshot.relations if r.source in wanted and r.target in wanted]
    started = time.perf_counter()
    with acting("system:bench"), transaction.atomic():
        now = timezone.now()
        keys = {}
        for item in items:
            keys[item.external_id] = ConfigurationItem.objects.create(
                kind=item.kind,
                name=item.name,
                source="naive",
                external_id=item.external_id,
                location=item.location,
                version=item.version,
                attributes=dict(item.attributes),
                first_seen_at=now,
                last_seen_at=now,
            ).pk
        for r in relations:
            Relation.objects.create(
                source_item_id=keys[r.source], target_item_id=keys[r.target], kind=r.kind
            )
    seconds = time.perf_counter() - started
    fields = ("kind", "external_id", "name", "location", "version", "attributes")
    fast = sorted(
        ConfigurationItem.objects.filter(source="csv", external_id__in=wanted).values_list(*fields)
    )
    naive = sorted(ConfigurationItem.objects.filter(source="naive").values_list(*fields))
    fast_relations = Relation.objects.filter(
        source_item__source="csv",
        source_item__external_id__in=wanted,
        target_item__external_id__in=wanted,
    ).count()
    naive_relations = Relation.objects.filter(source_item__source="naive").count()
    return {
        "baseline_items": len(items),
        "baseline_relations": len(relations),
        "baseline_s": round(seconds, 2),
        "baseline_items_per_s": round(len(items) / seconds),
        "baseline_rows_per_s": round((len(items) + len(relations)) / seconds),
        "identical": fast == naive and fast_relations == naive_relations == len(relations),
    }


def _alerts(count: int) -> Any:
    if importlib.util.find_spec("mamori.bench.alerts") is None:
        return None
    try:
        return importlib.import_module("mamori.bench.alerts").measure(count)
    except Exception as exc:  # another helper's module: its failure is reported, not fatal
        return {"error": f"{type(exc).__name__}: {exc}"}


def _postgres(args: argparse.Namespace) -> dict[str, Any]:
    from mamori.bench import postgres

    with postgres.fresh_database(args.database_url) as url:
        done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [
                sys.executable,
                "-m",
                "mamori.bench",
                "cmdb",
                "--items",
                str(args.items),
                "--only-import",
                url,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str]) -> int:
    """Run the benchmark; print the figures, then one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m mamori.bench cmdb")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--baseline-items", type=int, default=20_000)
    parser.add_argument("--alerts", type=int, default=1_000, help="alerts for alerts.measure")
    parser.add_argument("--database-url", help="a PostgreSQL server to repeat the import on")
    parser.add_argument("--only-import", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data = inventory(args.items)
    with tempfile.TemporaryDirectory(prefix="mamori-bench-cmdb-") as tmp:
        _setup(Path(tmp), args.only_import)
        if args.only_import:
            print(json.dumps({"database": "postgresql", **_import(data)}))
            return 0
        print(f"inventory: {args.items:,} items, {len(data):,} bytes of CSV", file=sys.stderr)
        figures: dict[str, Any] = {"bench": "cmdb", "items": args.items, "database": "sqlite"}
        figures.update(_import(data))
        print(f"import: {figures['items_per_s']:,} items/s", file=sys.stderr)
        figures.update(_diff(data))
        sample = min(args.baseline_items, args.items)
        figures.update(_naive(data, sample))
        figures["baseline"] = (
            f"Model.objects.create per item and relation, first {sample:,} items "
            "(rates per item compared)"
        )
        figures["ratio"] = round(figures["items_per_s"] / figures["baseline_items_per_s"], 1)
        figures["target_met"] = figures["ratio"] >= 20 and figures["identical"]
        if args.database_url:
            figures["postgresql"] = _postgres(args)
        figures["alerts"] = _alerts(args.alerts)
    print(json.dumps(figures))
    return 0 if figures["identical"] else 1
