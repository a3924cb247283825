"""Evidence ingestion benchmark (SRM 15, 16, 19): SARIF and JUnit files of ``--mb`` megabytes
parsed and their summaries stored, against the naive way.

Two files are generated once: a SARIF log (two runs, Semgrep- and CodeQL-like, rules with
default levels, results with and without a level, some suppressed) and a JUnit report (suites
of test cases, some failing with stack traces, some skipped, with captured output). Each is
parsed and stored by :mod:`mamori.engines.evidence` (streaming) and by the baseline — the
standard library loading the whole document (``json.load``, ``xml.etree.ElementTree.parse``)
then summarising with the same rules — and the summary, a row plus one row per rule, written to
a fresh SQLite file. Both must store identical summaries.

Each of the four runs happens in a fresh child process, so one run's heap never flatters or
burdens another. Peak memory is the child's ``ru_maxrss`` after the run minus its
``ru_maxrss`` just before (after the imports): it counts every byte the process touched —
C buffers of expat and yajl, the interpreter's arenas — which ``tracemalloc`` would miss
(it sees only Python's allocators). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from mamori.engines.evidence import JUnitReport, SarifReport, parse_junit, parse_sarif
from mamori.engines.evidence.sarif import summarise_sarif_runs

_LEVELS = ("error", "warning", "note", "none")

#: A streaming peak below this counts as this much in the memory ratio: below a megabyte the
#: figure is the allocator's noise, and a ratio against zero would mean nothing.
_FLOOR_MB = 1.0


def _sarif_result(chooser: random.Random, rules: list[dict[str, Any]], i: int) -> dict[str, Any]:
    index = chooser.randrange(len(rules))
    result: dict[str, Any] = {
        "ruleId": rules[index]["id"],
        "ruleIndex": index,
        "message": {
            "text": f"Untrusted input reaches a SQL query built with string formatting ({i})."
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": f"src/exchange/module_{i % 997}.py",
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {
                        "startLine": i % 700 + 1,
                        "startColumn": 9,
                        "endLine": i % 700 + 2,
                        "endColumn": 64,
                    },
                }
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": f"{chooser.getrandbits(64):016x}:1"},
    }
    if chooser.random() < 0.6:
        result["level"] = chooser.choice(_LEVELS)
    if chooser.random() < 0.05:
        result["suppressions"] = [
            {"kind": "inSource", "status": chooser.choice(["accepted", "underReview"])}
        ]
    return result


def write_sarif(path: Path, size: int, seed: int = 15) -> None:
    """Write a SARIF log of about ``size`` bytes: two runs splitting the results."""
    chooser = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":['
        )
        for run, tool in enumerate(("Semgrep OSS", "CodeQL")):
            rules = [
                {
                    "id": f"{tool.split()[0].lower()}.rule-{n}",
                    "defaultConfiguration": {"level": chooser.choice(_LEVELS[:3])},
                    "shortDescription": {"text": f"Rule {n} of {tool}"},
                }
                for n in range(300)
            ]
            out.write(
                ("," if run else "") + '{"tool":{"driver":{"name":' + json.dumps(tool) + ',"rules":'
            )
            out.write(json.dumps(rules) + '}},"results":[')
            target, i = size * (run + 1) // 2, 0
            while out.tell() < target:
                out.write(("," if i else "") + json.dumps(_sarif_result(chooser, rules, i)))
                i += 1
            out.write("]}")
        out.write("]}")


def write_junit(path: Path, size: int, seed: int = 16) -> None:
    """Write a JUnit report of about ``size`` bytes: suites of cases, some failing or skipped."""
    chooser = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
    trace = "".join(
        f"\n    at jp.example.exchange.Engine.step{n}(Engine.java:{n * 7})" for n in range(12)
    )
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="ci">\n')
        suite = 0
        while out.tell() < size:
            suite += 1
            cases = []
            for n in range(200):
                name = (
                    f'<testcase classname="tests.exchange.test_module_{suite}" '
                    f'name="test_case_{n}" time="0.{chooser.randrange(1000):03d}"'
                )
                roll = chooser.random()
                if roll < 0.04:
                    cases.append(
                        f'{name}><failure message="assert 1 == 2">AssertionError{trace}</failure>'
                        "<system-out>order book at failure: bid 101.0 ask 101.5</system-out>"
                        "</testcase>"
                    )
                elif roll < 0.05:
                    cases.append(
                        f'{name}><error message="connection refused">'
                        f"psycopg.OperationalError{trace}</error></testcase>"
                    )
                elif roll < 0.08:
                    cases.append(f'{name}><skipped message="needs the HSM"/></testcase>')
                else:
                    cases.append(f"{name}/>")
            seconds = f"{chooser.randrange(100)}.{chooser.randrange(1000):03d}"
            out.write(f'<testsuite name="suite{suite}" tests="200" time="{seconds}">')
            out.write("\n".join(cases) + "</testsuite>\n")
        out.write("</testsuites>\n")


def _naive_sarif(path: Path) -> SarifReport:
    with path.open("rb") as source:
        document = json.load(source)
    runs = []
    for run in document["runs"]:
        rules = run["tool"]["driver"].get("rules", [])
        by_index = [
            (r.get("id", ""), r.get("defaultConfiguration", {}).get("level", "")) for r in rules
        ]
        by_id = {ident: level for ident, level in by_index if ident and level}
        tally: Counter[tuple[str | None, int, str, bool, bool]] = Counter()
        for result in run.get("results", []):
            suppressions = result.get("suppressions", [])
            statuses = [s.get("status") for s in suppressions]
            suppressed = (
                any(s in (None, "accepted") for s in statuses) and "underReview" not in statuses
            )
            key = (
                result.get("ruleId"),
                result.get("ruleIndex", -1),
                result.get("level", ""),
                result.get("kind", "fail") == "fail",
                suppressed,
            )
            tally[key] += 1
        runs.append((run["tool"]["driver"].get("name", ""), by_index, by_id, tally))
    return summarise_sarif_runs(runs, 100)


def _naive_junit(path: Path) -> JUnitReport:
    root = ElementTree.parse(path).getroot()  # noqa: S314 - the baseline, on generated data
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    counts = Counter[str]()
    failing: list[str] = []
    for case in root.iter("testcase"):
        counts["tests"] += 1
        for tag, name in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            if case.find(tag) is not None:
                counts[name] += 1
                if tag != "skipped" and len(failing) < 100:
                    failing.append(f"{case.get('classname')}.{case.get('name')}")
                break
    return JUnitReport(
        suites=len(suites),
        tests=counts["tests"],
        failures=counts["failures"],
        errors=counts["errors"],
        skipped=counts["skipped"],
        time=sum((Decimal(s.get("time", "0")) for s in suites), Decimal(0)),
        failing=tuple(failing),
        failing_count=counts["failures"] + counts["errors"],
    )


def _store(
    db_path: Path, kind: str, sha256: str, size: int, summary: SarifReport | JUnitReport
) -> None:
    db = sqlite3.connect(db_path)
    db.execute(
        "create table evidence"
        " (id integer primary key, format text, sha256 text, size int, figures text)"
    )
    db.execute("create table rule_count (evidence int, rule text, results int)")
    if isinstance(summary, SarifReport):
        figures: dict[str, Any] = {"levels": dict(summary.levels), "suppressed": summary.suppressed}
        rules = summary.rules
    else:
        figures = {
            "tests": summary.tests,
            "failures": summary.failures,
            "errors": summary.errors,
            "skipped": summary.skipped,
            "time": str(summary.time),
            "failing": list(summary.failing),
        }
        rules = ()
    with db:
        row = db.execute(
            "insert into evidence (format, sha256, size, figures) values (?, ?, ?, ?)",
            (kind, sha256, size, json.dumps(figures)),
        )
        db.executemany(
            "insert into rule_count values (?, ?, ?)", [(row.lastrowid, r, n) for r, n in rules]
        )
    db.close()


def _child(method: str, kind: str, path: Path, db_path: Path) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if method == "stream":
        with path.open("rb") as source:
            found = (parse_sarif if kind == "sarif" else parse_junit)(source)
        sha256, size, summary = found.sha256, found.size, found.summary
    else:
        with path.open("rb") as source:
            sha256 = hashlib.file_digest(source, "sha256").hexdigest()
        size = path.stat().st_size
        summary = _naive_sarif(path) if kind == "sarif" else _naive_junit(path)
    _store(db_path, kind, sha256, size, summary)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return {
        "seconds": seconds,
        "peak_mb": peak_kb / 1024,
        "sha256": sha256,
        "summary": repr(summary),
    }


def _run(method: str, kind: str, path: Path, tmp: Path) -> dict[str, Any]:
    db_path = tmp / f"{method}-{kind}.sqlite3"
    done = subprocess.run(  # noqa: S603 - this interpreter, this module
        [
            sys.executable,
            "-m",
            "mamori.bench.ingest",
            "--child",
            method,
            kind,
            str(path),
            str(db_path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m mamori.bench ingest")
    parser.add_argument("--mb", type=float, default=100.0)
    parser.add_argument("--child", nargs=4, metavar=("METHOD", "KIND", "PATH", "DB"))
    args = parser.parse_args(argv)
    if args.child:
        method, kind, path, db_path = args.child
        print(json.dumps(_child(method, kind, Path(path), Path(db_path))))
        return 0
    figures: dict[str, Any] = {
        "bench": "ingest",
        "mb": args.mb,
        "baseline": "json.load / ElementTree.parse",
    }
    identical = True
    met = True
    with tempfile.TemporaryDirectory(prefix="mamori-bench-ingest-") as folder:
        tmp = Path(folder)
        for kind, write in (("sarif", write_sarif), ("junit", write_junit)):
            path = tmp / f"evidence.{kind}"
            write(path, int(args.mb * 1_000_000))
            size_mb = path.stat().st_size / 1_000_000
            ours = _run("stream", kind, path, tmp)
            theirs = _run("naive", kind, path, tmp)
            identical = (
                identical
                and ours["summary"] == theirs["summary"]
                and ours["sha256"] == theirs["sha256"]
            )
            rate, naive_rate = size_mb / ours["seconds"], size_mb / theirs["seconds"]
            memory_ratio = theirs["peak_mb"] / max(ours["peak_mb"], _FLOOR_MB)
            met = met and memory_ratio >= 10 and rate >= naive_rate
            figures.update(
                {
                    f"{kind}_file_mb": round(size_mb, 1),
                    f"{kind}_mb_per_s": round(rate, 1),
                    f"{kind}_peak_mb": round(ours["peak_mb"], 1),
                    f"{kind}_naive_mb_per_s": round(naive_rate, 1),
                    f"{kind}_naive_peak_mb": round(theirs["peak_mb"], 1),
                    f"{kind}_ratio_rate": round(rate / naive_rate, 2),
                    f"{kind}_ratio_memory": round(memory_ratio, 1),
                }
            )
    figures["identical"] = identical
    figures["target_met"] = met
    print(json.dumps(figures))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
