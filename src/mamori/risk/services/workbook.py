"""Excel import and export of the asset inventory and the risk scenarios (ISM 14, 15, 21).

An import is all or nothing: every row is checked first and, if any is bad, nothing is written
and every bad row is reported with its sheet, row number and reason.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils.exceptions import InvalidFileException

from mamori.accounts.models import Department, User
from mamori.core.exports import read_cell, safe_row
from mamori.core.spreadsheets import open_workbook
from mamori.engines.risk import Rating
from mamori.risk.models import (
    Assessment,
    ExternalIncident,
    InformationAsset,
    RiskScenario,
    Threat,
    Vulnerability,
)
from mamori.risk.models.inventory import ASSET_FIELDS
from mamori.risk.services import RiskRefused, scenarios
from mamori.risk.services.inventory import asset_fields, departments_refused, scenario_refused
from mamori.rulebook.models import Control

__all__ = ["ASSET_COLUMNS", "SCENARIO_COLUMNS", "ImportRefused", "export", "import_workbook"]

ASSET_COLUMNS = ASSET_FIELDS
SCENARIO_COLUMNS = [
    "code",
    "name_ja",
    "name_en",
    "threat",
    "assets",
    "vulnerabilities",
    "incidents",
    "owner",
    "approach",
    "approach_note",
    "baseline_controls",
    "inherent_likelihood",
    "inherent_impact",
    "current_likelihood",
    "current_impact",
]
# optional column of the assets sheet (ISM 24-1)
OPTIONAL_ASSET_COLUMNS = ["confidential_kinds"]
# optional columns of the scenarios sheet (the detailed approach, ISM 15-2-3)
OPTIONAL_SCENARIO_COLUMNS = ["threat_level", "requirement"]


@dataclass(frozen=True)
class Problem:
    """One bad row: where and why."""

    sheet: str
    row: int
    reason: str


class ImportRefused(RiskRefused):
    """The workbook was refused; ``problems`` lists every bad row."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            "import_refused",
            _("%(n)d problem(s); nothing was imported.") % {"n": len(problems)},
            fields=[(f"{p.sheet}:{p.row}", p.reason) for p in problems],
        )


def _text(value: Any) -> str:
    return "" if value is None else str(read_cell(value)).strip()


def _codes(value: Any) -> list[str]:
    return [part.strip() for part in _text(value).replace("、", ",").split(",") if part.strip()]


def _rows(
    book: Any, sheet: str, columns: list[str], problems: list[Problem]
) -> list[tuple[int, dict[str, Any]]]:
    if sheet not in book.sheetnames:
        return []
    rows = book[sheet].iter_rows(values_only=True)
    header = [_text(h) for h in next(rows, ())]
    missing = [c for c in columns if c not in header]
    if missing:
        problems.append(Problem(sheet, 1, f"missing column(s): {', '.join(missing)}"))
        return []
    found = []
    for number, values in enumerate(rows, 2):
        if all(v is None or _text(v) == "" for v in values):
            continue
        found.append((number, dict(zip(header, values, strict=False))))
    return found


def _integer(value: Any) -> int | None:
    text = _text(value)
    try:
        number = int(text)
    except ValueError:
        return None
    return number if str(number) == text or text == f"{number}.0" else None


class _Checker:
    """Check every row of both sheets against the database and each other."""

    def __init__(self, assessment: Assessment, by: User | None) -> None:
        self.assessment = assessment
        self.by = by
        self.problems: list[Problem] = []
        self.users = {u.username: u for u in User.objects.filter(is_active=True)}
        self.departments = {d.code: d for d in Department.objects.all()}
        self.assets = {a.code: a for a in InformationAsset.objects.all()}
        self.threats = {t.code: t for t in Threat.objects.all()}
        self.vulnerabilities = {v.code: v for v in Vulnerability.objects.all()}
        self.incidents = {i.code: i for i in ExternalIncident.objects.all()}
        self.controls = {c.code: c for c in Control.objects.all()}

    def bad(self, sheet: str, row: int, reason: str) -> None:
        self.problems.append(Problem(sheet, row, reason))

    def asset(self, row: int, data: dict[str, Any]) -> dict[str, Any] | None:
        raw = {
            **{field: _text(data.get(field)) for field in ASSET_FIELDS},
            "value": _integer(data["value"]),
            "categories": _codes(data["categories"]),
            "confidential_kinds": _codes(data.get("confidential_kinds")),
        }
        fields, reasons = asset_fields(raw, self.users.get, self.departments.get)
        if not reasons:
            reasons = departments_refused(self.by, self.assets.get(str(raw["code"])), fields)
        for reason in reasons:
            self.bad("assets", row, reason)
        return None if reasons else {"code": raw["code"], **fields}

    def _pick(self, row: int, kind: str, table: dict[str, Any], codes: list[str]) -> list[Any]:
        unknown = [c for c in codes if c not in table]
        if unknown:
            self.bad("scenarios", row, f"unknown {kind} {', '.join(unknown)}")
        return [table[c] for c in codes if c in table]

    def scenario(self, row: int, data: dict[str, Any], new_assets: set[str]) -> Any:
        before = len(self.problems)
        owner = self.users.get(_text(data["owner"]))
        if owner is None:
            self.bad("scenarios", row, f"unknown risk owner {_text(data['owner'])!r}")
        threat = self.threats.get(_text(data["threat"]))
        if threat is None:
            self.bad("scenarios", row, f"unknown threat {_text(data['threat'])!r}")
        asset_codes = _codes(data["assets"])
        unknown = [c for c in asset_codes if c not in self.assets and c not in new_assets]
        if unknown:
            self.bad("scenarios", row, f"unknown asset {', '.join(unknown)}")
        touched = [self.assets[c] for c in asset_codes if c in self.assets]
        existing = RiskScenario.objects.filter(
            assessment=self.assessment, code=_text(data["code"])
        ).first()
        if existing is not None:
            touched += list(existing.assets.all())
        for reason in scenario_refused(self.by, touched):
            self.bad("scenarios", row, reason)
        vulnerabilities = self._pick(
            row, "vulnerability", self.vulnerabilities, _codes(data["vulnerabilities"])
        )
        incidents = self._pick(row, "incident", self.incidents, _codes(data["incidents"]))
        controls = self._pick(row, "control", self.controls, _codes(data["baseline_controls"]))
        ratings = {}
        for field in SCENARIO_COLUMNS[-4:]:
            number = _integer(data[field])
            if number is None:
                self.bad("scenarios", row, f"{field} {_text(data[field])!r} is not a whole number")
            ratings[field] = number or 0
        if len(self.problems) > before or owner is None or threat is None:
            return None
        draft = scenarios.ScenarioInput(
            code=_text(data["code"]),
            name_ja=_text(data["name_ja"]),
            name_en=_text(data["name_en"]),
            threat=threat,
            assets=asset_codes,  # type: ignore[arg-type]  # codes until the new assets exist
            owner=owner,
            approach=_text(data["approach"]),
            approach_note=_text(data["approach_note"]),
            inherent=Rating(ratings["inherent_likelihood"], ratings["inherent_impact"]),
            current=Rating(ratings["current_likelihood"], ratings["current_impact"]),
            vulnerabilities=vulnerabilities,
            incidents=incidents,
            baseline_controls=controls,
            threat_level=_integer(data.get("threat_level")),
            requirement=_text(data.get("requirement")),
        )
        for reason in scenarios.problems(self.assessment, draft):
            self.bad("scenarios", row, reason)
        if len(self.problems) > before:
            return None
        return draft, asset_codes


def import_workbook(content: bytes, assessment: Assessment, by: User) -> dict[str, int]:
    """Import assets and scenarios from ``content`` (.xlsx), all or nothing."""
    try:
        book = open_workbook(content)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise ImportRefused([Problem("-", 0, f"not an Excel workbook (.xlsx): {error}")]) from None
    checker = _Checker(assessment, by)
    asset_rows = _rows(book, "assets", ASSET_COLUMNS, checker.problems)
    scenario_rows = _rows(book, "scenarios", SCENARIO_COLUMNS, checker.problems)
    if not asset_rows and not scenario_rows and not checker.problems:
        checker.bad("-", 0, "the workbook has no row on an 'assets' or 'scenarios' sheet")
    assets = [checker.asset(n, d) for n, d in asset_rows]
    _duplicates(checker, "assets", [(n, _text(d["code"])) for n, d in asset_rows])
    _duplicates(checker, "scenarios", [(n, _text(d["code"])) for n, d in scenario_rows])
    new_assets = {a["code"] for a in assets if a}
    drafts = [checker.scenario(n, d, new_assets) for n, d in scenario_rows]
    if checker.problems:
        raise ImportRefused(checker.problems)
    counts = {"assets": 0, "scenarios": 0, "ratings_changed": 0}
    with transaction.atomic():
        for fields in assets:
            assert fields is not None
            code = fields.pop("code")
            InformationAsset.objects.update_or_create(code=code, defaults=fields)
            counts["assets"] += 1
        by_code = {a.code: a for a in InformationAsset.objects.all()}
        for item in drafts:
            draft, codes = item
            draft = replace(draft, assets=[by_code[c] for c in codes])
            existing = RiskScenario.objects.filter(assessment=assessment, code=draft.code).first()
            if existing is None:
                scenarios.create(assessment, draft, by)
                counts["scenarios"] += 1
                continue
            for stage, rating in (("inherent", draft.inherent), ("current", draft.current)):
                if scenarios.rate(existing, stage, rating, "imported from Excel", by, "import"):
                    counts["ratings_changed"] += 1
    return counts


def _duplicates(checker: _Checker, sheet: str, codes: list[tuple[int, str]]) -> None:
    seen: dict[str, int] = {}
    for row, code in codes:
        if code and code in seen:
            checker.bad(sheet, row, f"code {code} repeats row {seen[code]}")
        seen.setdefault(code, row)


def export(assessment: Assessment) -> bytes:
    """Return the inventory and the assessment's scenarios as an .xlsx workbook."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "assets"
    sheet.append([*ASSET_COLUMNS, *OPTIONAL_ASSET_COLUMNS])
    for a in InformationAsset.objects.select_related("owner", "custodian"):
        sheet.append(
            safe_row(
                [
                    a.code,
                    a.name_ja,
                    a.name_en,
                    a.kind,
                    a.classification,
                    a.value,
                    a.owner.username,
                    a.custodian.code if a.custodian else "",
                    a.location_kind,
                    a.location,
                    ",".join(a.categories),
                    ",".join(a.confidential_kinds),
                ]
            )
        )
    risks = book.create_sheet("scenarios")
    risks.append(
        [
            *SCENARIO_COLUMNS,
            *OPTIONAL_SCENARIO_COLUMNS,
            "residual_likelihood",
            "residual_impact",
            "treatment",
        ]
    )
    for s in assessment.scenarios.select_related("owner", "threat").prefetch_related(
        "assets", "vulnerabilities", "incidents", "baseline_controls"
    ):
        treatment = getattr(s, "treatment", None)
        risks.append(
            safe_row(
                [
                    s.code,
                    s.name_ja,
                    s.name_en,
                    s.threat.code,
                    ",".join(a.code for a in s.assets.all()),
                    ",".join(v.code for v in s.vulnerabilities.all()),
                    ",".join(i.code for i in s.incidents.all()),
                    s.owner.username,
                    s.approach,
                    s.approach_note,
                    ",".join(c.code for c in s.baseline_controls.all()),
                    s.inherent_likelihood,
                    s.inherent_impact,
                    s.current_likelihood,
                    s.current_impact,
                    s.threat_level,
                    s.requirement,
                    s.residual_likelihood,
                    s.residual_impact,
                    treatment.decided_option if treatment else "",
                ]
            )
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
