"""Benchmarks run and end with one JSON line (figures are measured, not asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_the_auditlog_benchmark_prints_its_figures_and_the_peer() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    result = subprocess.run(
        [sys.executable, "-m", "mamori.bench", "auditlog", "--entries", "3000", "--proofs", "300"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "auditlog" and figures["entries"] == 3000
    assert figures["peer"] == "pymerkle" and figures["peer_appends_per_s"] > 0
    for key in ("appends_per_s", "proof_p99_ms", "verify_per_s", "ratio_appends"):
        assert figures[key] > 0


def test_an_unknown_benchmark_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mamori.bench", "nope"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "usage" in result.stderr


def test_the_rulebook_benchmark_checks_its_roll_up_against_the_naive_way() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mamori.bench", "rulebook", "--nodes", "2000", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "rulebook" and figures["baseline"] == "pyyaml.safe_load"
    assert figures["status_nodes_per_s"] > 0 and figures["load_ms"] > 0


def test_the_custody_benchmark_agrees_with_its_sql_baseline() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mamori.bench",
            "custody",
            "--events",
            "20000",
            "--baseline-events",
            "5000",
            "--customers",
            "500",
            "--no-http",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "custody" and figures["identical"] is True
    assert figures["held"] > 0 and figures["decisions_per_s"] > 0
    before, after = figures["machine_loop_s"]  # the machine's speed, to read the rest against
    assert before > 0 and after > 0
    flush_p50, flush_p99 = figures["machine_fsync_ms"]
    assert 0 < flush_p50 <= flush_p99


def test_the_risk_benchmark_ranks_exactly_as_the_sql_baseline() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mamori.bench", "risk", "--risks", "5000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "risk" and figures["identical"] is True
    assert figures["ranked_per_s"] > 0 and figures["baseline_ranked_per_s"] > 0


def test_the_incidents_benchmark_gives_the_due_times_of_the_day_by_day_walk() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mamori.bench", "incidents", "--incidents", "500"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "incidents" and figures["identical"] is True
    assert figures["reports"] == 500 * 7 and figures["baseline_reports_per_s"] > 0


def test_the_custody_benchmark_runs_its_sql_baseline_on_postgresql_too(postgres_url) -> None:
    from urllib.parse import urlsplit, urlunsplit

    server = urlunsplit(urlsplit(postgres_url)._replace(path="/postgres"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mamori.bench",
            "custody",
            "--events",
            "20000",
            "--baseline-events",
            "3000",
            "--customers",
            "500",
            "--no-http",
            "--database",
            "postgres",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MAMORI_BENCH_POSTGRES_URL": server},
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["identical"] is True and figures["identical_postgres"] is True
    assert figures["baseline_postgres_decisions_per_s"] > 0 and figures["ratio_postgres"] > 0


def test_the_presign_benchmark_reads_what_the_naive_libraries_read() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mamori.bench",
            "presign",
            "--calls",
            "300",
            "--baseline-calls",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "presign" and figures["identical"] is True
    for kind in ("psbt", "evm", "safe"):
        assert figures[f"{kind}_per_s"] > 0 and figures[f"baseline_{kind}_per_s"] > 0
        assert 0 < figures[f"{kind}_p50_ms"] <= figures[f"{kind}_p99_ms"]


def test_the_ingest_benchmark_stores_what_the_whole_document_parse_stores() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mamori.bench", "ingest", "--mb", "0.3"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "ingest" and figures["identical"] is True
    for kind in ("sarif", "junit"):
        assert figures[f"{kind}_mb_per_s"] > 0 and figures[f"{kind}_naive_mb_per_s"] > 0
        assert figures[f"{kind}_naive_peak_mb"] >= 0 and figures[f"{kind}_file_mb"] > 0.2


def test_the_cmdb_benchmark_imports_the_same_rows_as_the_naive_orm_import() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mamori.bench", "cmdb", "--items", "300", "--baseline-items", "100"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "cmdb" and figures["identical"] is True
    assert (figures["added"], figures["relations_added"]) == (300, 300 * 3 - 6)
    assert figures["baseline_items"] == 100 and "alerts" in figures
    assert figures["diff"]["gone"] == 3 and figures["diff"]["added"] == 3
