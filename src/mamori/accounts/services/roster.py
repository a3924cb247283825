"""Bulk import (and export) of departments and people from Excel or CSV (SRM 5–7, ISM 7–9).

An import is all or nothing: every row is checked first and, if any is bad, nothing is written
and every bad row is reported with its sheet, line and reason. A department or person already
known is updated; a new person is invited and gets a one-time code, returned once.

Excel: a sheet ``departments`` (code, name_ja, name_en, parent) and/or a sheet ``people``
(username, display_name, email, department, manager, and optionally language). CSV holds one
of the two tables, known by its header (UTF-8, or Shift_JIS as Excel writes it in Japan).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils.exceptions import InvalidFileException

from mamori.accounts.models import Department, User
from mamori.accounts.services import people
from mamori.accounts.services.people import DepartmentInput, PeopleRefused, PersonInput
from mamori.core.exports import read_cell, safe_row
from mamori.core.spreadsheets import open_workbook

__all__ = [
    "DEPARTMENT_COLUMNS",
    "PEOPLE_COLUMNS",
    "ImportRefused",
    "Imported",
    "Problem",
    "export",
    "import_file",
]

DEPARTMENT_COLUMNS = ["code", "name_ja", "name_en", "parent"]
PEOPLE_COLUMNS = ["username", "display_name", "email", "department", "manager"]
OPTIONAL_PEOPLE_COLUMNS = ["language"]


@dataclass(frozen=True)
class Problem:
    """One bad row: where and why (line 1 is the header)."""

    sheet: str
    row: int
    reason: str


class ImportRefused(PeopleRefused):
    """The file was refused; ``problems`` lists every bad row and nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            "import_refused",
            _("%(n)d problem(s); nothing was imported.") % {"n": len(problems)},
            fields=[(f"{p.sheet}:{p.row}", p.reason) for p in problems],
        )


@dataclass(frozen=True)
class Imported:
    """What an import did; ``invited`` holds each new person's one-time code (shown once)."""

    departments_created: int
    departments_updated: int
    people_updated: int
    invited: list[people.Invited]


Rows = list[tuple[int, dict[str, str]]]


def _text(value: Any) -> str:
    return "" if value is None else str(read_cell(value)).strip()


def _table(sheet: str, lines: list[list[Any]], columns: list[str], problems: list[Problem]) -> Rows:
    if not lines:
        return []
    header = [_text(cell) for cell in lines[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        problems.append(
            Problem(sheet, 1, _("missing column(s): %(names)s") % {"names": ", ".join(missing)})
        )
        return []
    found = []
    for number, values in enumerate(lines[1:], 2):
        if all(_text(v) == "" for v in values):
            continue
        found.append((number, {h: _text(v) for h, v in zip(header, values, strict=False) if h}))
    return found


def _read_excel(content: bytes, problems: list[Problem]) -> tuple[Rows, Rows]:
    try:
        book = open_workbook(content)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        problems.append(Problem("-", 0, _("not an Excel workbook (.xlsx): %(e)s") % {"e": error}))
        return [], []
    tables = []
    for sheet, columns in (("departments", DEPARTMENT_COLUMNS), ("people", PEOPLE_COLUMNS)):
        lines = (
            [list(r) for r in book[sheet].iter_rows(values_only=True)]
            if (sheet in book.sheetnames)
            else []
        )
        tables.append(_table(sheet, lines, columns, problems))
    return tables[0], tables[1]


def _read_csv(content: bytes, problems: list[Problem]) -> tuple[Rows, Rows]:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        problems.append(Problem("-", 0, _("the CSV file is neither UTF-8 nor Shift_JIS")))
        return [], []
    lines = [list(r) for r in csv.reader(io.StringIO(text))]
    header = {_text(cell) for cell in (lines[0] if lines else [])}
    if "username" in header:
        return [], _table("people", lines, PEOPLE_COLUMNS, problems)
    if "code" in header:
        return _table("departments", lines, DEPARTMENT_COLUMNS, problems), []
    problems.append(
        Problem(
            "-", 1, _("the CSV header names neither departments (code …) nor people (username …)")
        )
    )
    return [], []


def _duplicates(sheet: str, keys: list[tuple[int, str]], problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for row, key in keys:
        folded = key.casefold()
        if key and folded in seen:
            problems.append(
                Problem(
                    sheet, row, _("%(key)s repeats line %(n)d") % {"key": key, "n": seen[folded]}
                )
            )
        seen.setdefault(folded, row)


def _check(
    department_rows: Rows, people_rows: Rows, problems: list[Problem]
) -> tuple[list[DepartmentInput], list[PersonInput]]:
    existing_departments = {d.code: d for d in Department.objects.select_related("parent")}
    parents = {code: d.parent.code if d.parent else "" for code, d in existing_departments.items()}
    departments = [
        (
            n,
            DepartmentInput(
                code=d.get("code", ""),
                name_ja=d.get("name_ja", ""),
                name_en=d.get("name_en", ""),
                parent=d.get("parent", ""),
            ),
        )
        for n, d in department_rows
    ]
    parents.update({draft.code: draft.parent for _n, draft in departments})
    _duplicates("departments", [(n, d.code) for n, d in departments], problems)
    for n, draft in departments:
        for reason in people.department_problems(
            draft, parents, existing_departments.get(draft.code)
        ):
            problems.append(Problem("departments", n, reason))
    users = {u.username: u for u in User.objects.all()}
    persons = [
        (
            n,
            PersonInput(
                username=d.get("username", ""),
                display_name=d.get("display_name", ""),
                email=d.get("email", ""),
                department=d.get("department", ""),
                manager=d.get("manager", ""),
                language=d.get("language", ""),
            ),
        )
        for n, d in people_rows
    ]
    _duplicates("people", [(n, p.username) for n, p in persons], problems)
    managers = {name for name, u in users.items() if u.is_active}
    managers.update(p.username for _n, p in persons)
    for n, person in persons:
        known = users.get(person.username)
        if known is not None and not known.is_active:
            problems.append(
                Problem("people", n, _("%(name)s is deactivated.") % {"name": person.username})
            )
            continue
        for reason in people.person_problems(person, set(parents), managers, known):
            problems.append(Problem("people", n, reason))
    return [d for _n, d in departments], [p for _n, p in persons]


def import_file(content: bytes, filename: str, by: User | None) -> Imported:
    """Import departments and people from ``content`` (.xlsx or .csv), all or nothing."""
    problems: list[Problem] = []
    if filename.lower().endswith(".csv"):
        department_rows, people_rows = _read_csv(content, problems)
    else:
        department_rows, people_rows = _read_excel(content, problems)
    if not department_rows and not people_rows and not problems:
        problems.append(Problem("-", 0, _("the file has no department or person")))
    departments, persons = _check(department_rows, people_rows, problems)
    if problems:
        raise ImportRefused(problems)
    return _apply(departments, persons, by)


def _apply(
    departments: list[DepartmentInput], persons: list[PersonInput], by: User | None
) -> Imported:
    created = updated = people_updated = 0
    invited: list[people.Invited] = []
    with transaction.atomic():
        saved: dict[str, Department] = {}
        for draft in departments:
            department = Department.objects.filter(code=draft.code).first()
            if department is None:
                department = Department(code=draft.code)
                created += 1
            else:
                updated += 1
            department.name_ja, department.name_en = draft.name_ja, draft.name_en
            department.save()
            saved[draft.code] = department
        for draft in departments:
            department = saved[draft.code]
            parent = Department.objects.get(code=draft.parent) if draft.parent else None
            if department.parent_id != (parent.pk if parent else None):
                department.parent = parent
                department.save(update_fields=["parent"])
        accounts: dict[str, User] = {}
        for person in persons:
            user = User.objects.filter(username=person.username).first()
            if user is None:
                user = User(username=person.username)
                user.set_unusable_password()
                is_new = True
            else:
                is_new = False
                people_updated += 1
            user.display_name, user.email = person.display_name, person.email
            user.language = person.language
            user.department = Department.objects.filter(code=person.department).first()
            user.save()
            accounts[person.username] = user
            if is_new:
                invited.append(people._issue(user, by))
                people._record("account.invite", user, {"username": user.username, "via": "import"})
        for person in persons:
            user = accounts[person.username]
            manager = None
            if person.manager:
                manager = accounts.get(person.manager) or User.objects.get(username=person.manager)
            if user.manager_id != (manager.pk if manager else None):
                user.manager = manager
                user.save(update_fields=["manager"])
    return Imported(created, updated, people_updated, invited)


def export() -> bytes:
    """Return the departments and the active people as a workbook the import reads back."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "departments"
    sheet.append(DEPARTMENT_COLUMNS)
    for d in Department.objects.select_related("parent").order_by("code"):
        sheet.append(safe_row([d.code, d.name_ja, d.name_en, d.parent.code if d.parent else ""]))
    staff = book.create_sheet("people")
    staff.append([*PEOPLE_COLUMNS, *OPTIONAL_PEOPLE_COLUMNS])
    for u in User.objects.filter(is_active=True).select_related("department", "manager"):
        staff.append(
            safe_row(
                [
                    u.username,
                    u.display_name,
                    u.email,
                    u.department.code if u.department else "",
                    u.manager.username if u.manager else "",
                    u.language,
                ]
            )
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
