"""Run a benchmark by name: ``python -m mamori.bench auditlog [--entries N]``."""

from __future__ import annotations

import sys

BENCHMARKS = {
    "alerts": "mamori.bench.alerts",
    "auditlog": "mamori.bench.auditlog",
    "cmdb": "mamori.bench.cmdb",
    "custody": "mamori.bench.custody",
    "failover": "mamori.bench.failover",
    "incidents": "mamori.bench.incidents",
    "ingest": "mamori.bench.ingest",
    "presign": "mamori.bench.presign",
    "reconcile": "mamori.bench.reconcile",
    "risk": "mamori.bench.risk",
    "rulebook": "mamori.bench.rulebook",
}


def main(argv: list[str]) -> int:
    """Dispatch to the named benchmark module's ``main``."""
    if not argv or argv[0] not in BENCHMARKS:
        print(
            f"usage: python -m mamori.bench {{{','.join(BENCHMARKS)}}} [options]", file=sys.stderr
        )
        return 2
    import importlib

    module = importlib.import_module(BENCHMARKS[argv[0]])
    return int(module.main(argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
