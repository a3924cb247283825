"""One check of what describes an information asset (ISM 14-2, 21, 24-1), for every way in:
the API and the Excel import."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mamori.accounts.models import Department, User
from mamori.risk.models import InformationAsset
from mamori.risk.models.inventory import inventory_problems

__all__ = ["CATEGORIES", "asset_fields", "departments_refused", "scenario_refused"]

CATEGORIES = {"customer_personal", "customer_confidential", "keys", "corporate"}


def _department_of(fields: Mapping[str, Any]) -> Department | None:
    """Return the department an asset belongs to: its custodian, else its owner's."""
    custodian = fields.get("custodian")
    if custodian is not None:
        return custodian  # type: ignore[no-any-return]
    owner = fields.get("owner")
    return owner.department if owner is not None else None


def departments_refused(
    who: User | None, current: InformationAsset | None, fields: Mapping[str, Any]
) -> list[str]:
    """Return why ``who`` may not write the asset: a role held for one department manages that
    department's assets only, both as the asset is and as it would become (``who`` None: the
    installation's own service, which its token's scope alone allows)."""
    from mamori.accounts.services.roles import has_permission

    if who is None:
        return []
    wanted = [_department_of(fields)]
    if current is not None:
        wanted.append(current.custodian or current.owner.department)
    refused = []
    for department in wanted:
        if not has_permission(who, "risk.manage", department):
            name = department.code if department is not None else "no department"
            refused.append(f"your roles do not grant risk.manage for the assets of {name}")
    return sorted(set(refused))


def scenario_refused(who: User | None, assets: Iterable[InformationAsset]) -> list[str]:
    """Return why ``who`` may not change a risk on ``assets``: a role held for one department
    manages the risks of that department's assets only (``who`` None: a service token)."""
    refused: set[str] = set()
    for asset in assets:
        refused.update(
            departments_refused(who, asset, {"custodian": asset.custodian, "owner": asset.owner})
        )
    return sorted(refused)


def asset_fields(
    raw: Mapping[str, Any],
    user: Callable[[str], User | None],
    department: Callable[[str], Department | None],
) -> tuple[dict[str, Any], list[str]]:
    """Return the asset's field values and every problem with ``raw`` (strings, ``value`` an
    int or None, ``categories`` and ``confidential_kinds`` lists); ``user`` and ``department``
    find the owner by username and the custodian by code."""
    problems = []
    if not raw["code"]:
        problems.append("code is empty")
    if not raw["name_ja"]:
        problems.append("name_ja is empty")
    owner = user(raw["owner"])
    if owner is None:
        problems.append(f"unknown asset owner {raw['owner']!r}")
    custodian = department(raw["custodian"]) if raw["custodian"] else None
    if raw["custodian"] and custodian is None:
        problems.append(f"unknown department {raw['custodian']!r}")
    for field, choices in (
        ("kind", InformationAsset.Kind.values),
        ("classification", InformationAsset.Classification.values),
        ("location_kind", InformationAsset.Location.values),
    ):
        if raw[field] not in choices:
            problems.append(f"{field} must be one of {', '.join(choices)}, got {raw[field]!r}")
    value = raw["value"]
    if value is None or not 1 <= value <= 5:
        problems.append(f"value must be 1–5, got {value!r}")
    unknown = [c for c in raw["categories"] if c not in CATEGORIES]
    if unknown:
        problems.append(f"unknown data categories {', '.join(unknown)}")
    problems += inventory_problems(list(raw["categories"]), list(raw["confidential_kinds"]))
    fields = {
        "name_ja": raw["name_ja"],
        "name_en": raw["name_en"] or raw["name_ja"],
        "kind": raw["kind"],
        "classification": raw["classification"],
        "value": value,
        "owner": owner,
        "custodian": custodian,
        "location_kind": raw["location_kind"],
        "location": raw["location"],
        "categories": list(raw["categories"]),
        "confidential_kinds": list(raw["confidential_kinds"]),
    }
    return fields, problems
