"""Alert intake benchmark (SRM 21-1; SRM 7-3): Alertmanager webhook payloads through
:func:`mamori.operations.services.monitoring_alerts.intake`, each firing alert matched by a rule
kept as data, its service's state changed and its incident opened through the incident
register — the whole path a webhook takes after authentication.

:func:`measure` needs Django set up on a migrated database (the ``cmdb`` benchmark calls it so);
``main`` makes a throw-away SQLite installation first. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["main", "measure"]


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) >= 100 else max(samples)


def _payload(run: str, i: int, start: datetime) -> dict[str, Any]:
    return {
        "version": "4",
        "status": "firing",
        "receiver": "mamori",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": f"BenchDown{i}", "bench": run},
                "annotations": {"summary": f"bench alert {i}"},
                "startsAt": (start + timedelta(milliseconds=i)).isoformat(),
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": f"{i:016x}",
            }
        ],
    }


def measure(count: int) -> dict[str, Any]:
    """Take ``count`` firing alerts, one webhook each, every one opening its incident; return
    alerts/s and the p99 (and median) milliseconds from an alert's arrival to its incident."""
    from mamori.accounts.models import Department
    from mamori.operations.models import AlertRule, Incident, MonitoredService, System
    from mamori.operations.services import monitoring_alerts

    run = uuid.uuid4().hex[:12]
    department, _ = Department.objects.get_or_create(
        code="bench", defaults={"name_ja": "ベンチ", "name_en": "Bench"}
    )
    system, _ = System.objects.get_or_create(
        code="bench", defaults={"name_ja": "ベンチ", "name_en": "Bench", "department": department}
    )
    service = MonitoredService.objects.create(
        code=f"bench-{run}", name_ja="ベンチ", name_en="Bench", system=system
    )
    AlertRule.objects.create(
        name=f"bench {run}", matchers={"bench": run}, service=service, severity="S4"
    )
    start = datetime.now(UTC)
    payloads = [_payload(run, i, start) for i in range(count)]
    samples: list[float] = []
    t0 = time.perf_counter()
    for payload in payloads:
        began = time.perf_counter()
        monitoring_alerts.intake(payload)
        samples.append((time.perf_counter() - began) * 1000)
    elapsed = time.perf_counter() - t0
    opened = Incident.objects.filter(source_key__startswith="alertmanager:").filter(
        location=service.code
    )
    return {
        "alerts": count,
        "alerts_per_s": round(count / elapsed, 1),
        "alert_to_incident_p99_ms": round(_p99(samples), 3),
        "alert_to_incident_median_ms": round(statistics.median(samples), 3),
        "incidents_opened": opened.count(),
    }


def main(argv: list[str]) -> int:
    """Run the benchmark on a throw-away installation and print its figures."""
    from mamori.bench.auditlog import _setup

    parser = argparse.ArgumentParser(prog="python -m mamori.bench alerts")
    parser.add_argument("--alerts", type=int, default=2_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mamori-bench-") as tmp:
        _setup(Path(tmp))
        figures = measure(args.alerts)
        print(
            f"mamori: {figures['alerts']} alerts at {figures['alerts_per_s']}/s, "
            f"alert to incident p99 {figures['alert_to_incident_p99_ms']} ms",
            file=sys.stderr,
        )
    print(json.dumps({"bench": "alerts", **figures}))
    return 0 if figures["incidents_opened"] == args.alerts else 1
