"""Static-analysis findings from SARIF 2.1.0 (SRM 15, 16, 18, 19): Semgrep, CodeQL, Bandit and
any tool that writes the OASIS format, counted by level, tool and rule.

A result's level is its own ``level``; when absent it is the ``defaultConfiguration.level`` of
its rule (found by ``ruleIndex``/``rule.index``, else by ``ruleId``/``rule.id`` among the run's
rules), else ``warning`` — or ``none`` when the result's ``kind`` is given and is not ``fail``
(SARIF 2.1.0 §3.27.9–3.27.10). A result with a suppression whose status is absent or
``accepted`` (and none ``underReview``) is suppressed (§3.34, §3.35.3) and counted apart.
The document is walked by :class:`~mamori.engines.evidence._jsonscan.JsonStream`, each result
decoded alone; memory holds one run's rules and one count per distinct (rule, level) pair,
never the results.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, BinaryIO

from mamori.engines.evidence._jsonscan import JsonStream
from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.source import DEFAULT_LIMIT, Evidence, MeasuredReader, drain

__all__ = ["LEVELS", "SarifReport", "parse_sarif", "read_sarif", "summarise_sarif_runs"]

#: SARIF result levels, most severe first.
LEVELS: tuple[str, ...] = ("error", "warning", "note", "none")

#: Distinct (rule, level) pairs one run may have before the document is refused.
MAX_KEYS = 200_000

#: (rule id or None, rule index or -1, explicit level or "", kind is fail, suppressed)
Key = tuple[str | None, int, str, bool, bool]


@dataclass(frozen=True)
class SarifReport:
    """Results by level, tool and rule over every run; suppressed results counted apart."""

    runs: int
    results: int
    levels: MappingProxyType[str, int]
    suppressed: int
    suppressed_levels: MappingProxyType[str, int]
    tools: MappingProxyType[str, int]
    rules: tuple[tuple[str, int], ...]
    rules_total: int


@dataclass
class _Run:
    tool: str = ""
    by_index: list[tuple[str, str]] = field(default_factory=list)
    by_id: dict[str, str] = field(default_factory=dict)
    tally: Counter[Key] = field(default_factory=Counter)


def parse_sarif(
    stream: BinaryIO, *, limit: int = DEFAULT_LIMIT, rules: int = 100
) -> Evidence[SarifReport]:
    """Summarise a SARIF 2.1.0 log read from ``stream``; ``rules`` bounds the rules listed."""
    reader = MeasuredReader(stream, limit)
    report = read_sarif(reader, rules=rules)
    return Evidence("sarif", reader.sha256, reader.size, report)


def read_sarif(reader: MeasuredReader, *, rules: int = 100) -> SarifReport:
    """Summarise the SARIF log ``reader`` yields (see :func:`parse_sarif`)."""
    stream = JsonStream(reader)
    runs: list[_Run] = []
    saw_runs = False
    if stream.peek() != "{":
        raise stream.refuse("wrong_shape", "expected a SARIF log object")
    for key in stream.members():
        if key == "version":
            stream.path = "$.version"
            if stream.value() != "2.1.0":
                raise stream.refuse("wrong_shape", "expected version 2.1.0")
        elif key == "runs":
            saw_runs = True
            stream.path = "$.runs"
            if stream.peek() != "[":
                raise stream.refuse("wrong_shape", "expected an array of runs")
            for index in stream.elements():
                runs.append(_read_run(stream, f"$.runs[{index}]"))
                stream.path, stream.index = "$.runs", index
        else:
            stream.skip()
        stream.path = "$"
    stream.finish()
    drain(reader)
    if not saw_runs:
        raise EvidenceRefused("wrong_shape", "expected a SARIF log with runs, got none", "$.runs")
    return summarise_sarif_runs([(r.tool, r.by_index, r.by_id, r.tally) for r in runs], rules)


def _read_run(stream: JsonStream, at: str) -> _Run:
    run = _Run()
    if stream.peek() != "{":
        raise stream.refuse("wrong_shape", "expected a run object")
    for key in stream.members():
        stream.path, stream.index = f"{at}.{key}", -1
        if key == "tool":
            _read_tool(run, stream.value(), stream)
        elif key == "results" and stream.peek() == "n":
            stream.value()  # null: the tool did not run to the end (SARIF 2.1.0 §3.14.23)
        elif key == "results":
            if stream.peek() != "[":
                raise stream.refuse("wrong_shape", "expected an array of results")
            tally = run.tally
            for _index in stream.elements():
                result = stream.value()
                if type(result) is not dict:
                    raise stream.refuse("wrong_shape", "expected a result object")
                tally[_key(result, stream)] += 1
            if len(tally) > MAX_KEYS:
                raise stream.refuse("too_large", f"expected at most {MAX_KEYS} distinct rules")
        else:
            stream.skip()
    return run


def _key(result: dict[str, Any], stream: JsonStream) -> Key:
    level = result.get("level", "")
    if level and level not in LEVELS:
        raise stream.refuse(
            "wrong_shape", f"expected a level in {', '.join(LEVELS)}, got {level!r:.60}"
        )
    rule = result.get("rule")
    ident = result.get("ruleId")
    index = result.get("ruleIndex", -1)
    if rule is not None:
        if type(rule) is not dict:
            raise stream.refuse("wrong_shape", "expected a rule reference object")
        ident = rule.get("id", ident) if ident is None else ident
        index = rule.get("index", index) if index == -1 else index
    if ident is not None and type(ident) is not str:
        raise stream.refuse("wrong_shape", "expected the rule id as a string")
    if type(index) is not int or not -1 <= index < 2**31:
        raise stream.refuse("wrong_shape", "expected the rule index as a count")
    kind = result.get("kind", "fail")
    suppressions = result.get("suppressions")
    suppressed = False
    if suppressions:
        if type(suppressions) is not list or not all(type(s) is dict for s in suppressions):
            raise stream.refuse("wrong_shape", "expected an array of suppression objects")
        statuses = [s.get("status") for s in suppressions]
        suppressed = (
            any(s in (None, "accepted") for s in statuses) and "underReview" not in statuses
        )
    return (ident, index, level, kind == "fail", suppressed)


def _read_tool(run: _Run, tool: Any, stream: JsonStream) -> None:
    if type(tool) is not dict or type(tool.get("driver")) is not dict:
        raise stream.refuse("wrong_shape", "expected a tool object with a driver")
    name = tool["driver"].get("name", "")
    if type(name) is not str:
        raise stream.refuse("wrong_shape", "expected the driver's name as a string")
    run.tool = name[:200]
    extensions = tool.get("extensions", [])
    if type(extensions) is not list:
        raise stream.refuse("wrong_shape", "expected an array of extensions")
    for component, indexed in ((tool["driver"], True), *((e, False) for e in extensions)):
        rules = component.get("rules", []) if type(component) is dict else None
        if type(rules) is not list:
            raise stream.refuse("wrong_shape", "expected an array of rules")
        for rule in rules:
            ident, level = _rule(rule, stream)
            if indexed:
                run.by_index.append((ident, level))
            if ident and level:
                run.by_id.setdefault(ident, level)
    if len(run.by_index) + len(run.by_id) > MAX_KEYS:
        raise stream.refuse("too_large", f"expected at most {MAX_KEYS} rules")


def _rule(rule: Any, stream: JsonStream) -> tuple[str, str]:
    if type(rule) is not dict:
        raise stream.refuse("wrong_shape", "expected a rule object")
    ident = rule.get("id", "")
    configuration = rule.get("defaultConfiguration") or {}
    level = configuration.get("level", "") if type(configuration) is dict else None
    if type(ident) is not str or type(level) is not str or (level and level not in LEVELS):
        raise stream.refuse("wrong_shape", "expected a rule with a string id and a SARIF level")
    return ident, level


def summarise_sarif_runs(
    runs: list[tuple[str, list[tuple[str, str]], dict[str, str], Counter[Key]]], rules: int
) -> SarifReport:
    """Resolve each run's counted results to levels and sum them over the runs."""
    levels = dict.fromkeys(LEVELS, 0)
    hidden = dict.fromkeys(LEVELS, 0)
    tools: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    for tool, by_index, by_id, tally in runs:
        for (ident, index, level, fail, suppressed), count in tally.items():
            rule = by_index[index] if 0 <= index < len(by_index) else ("", "")
            name = ident or rule[0]
            if not level:
                level = (rule[1] or by_id.get(name, "") or "warning") if fail else "none"
            if suppressed:
                hidden[level] += count
                continue
            levels[level] += count
            tools[tool or "(unnamed)"] += count
            by_rule[name or "(no rule)"] += count
    return SarifReport(
        runs=len(runs),
        results=sum(levels.values()),
        levels=MappingProxyType(levels),
        suppressed=sum(hidden.values()),
        suppressed_levels=MappingProxyType(hidden),
        tools=MappingProxyType(dict(tools)),
        rules=tuple(sorted(by_rule.items(), key=lambda item: (-item[1], item[0]))[:rules]),
        rules_total=len(by_rule),
    )
