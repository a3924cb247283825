"""A small configuration register for the cmdb register tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.accounts.models import Department
from mamori.operations.models import ConfigurationItem, System
from tests.conftest import give, make_user


def world() -> dict[str, object]:
    """Two systems, people with the roles the register asks, three items."""
    department = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )[0]
    people: dict[str, object] = {
        "department": department,
        "sgm": give(make_user("sgm-takahashi"), "system_general_manager"),
        "dsm": give(make_user("dsm-tanaka"), "dept_system_manager"),
        "auditor": give(make_user("audit-kato"), "internal_auditor"),
        "dev": give(make_user("dev-nakamura"), "developer"),
    }
    for code, name in (("matching-engine", "Matching engine"), ("db", "Database")):
        people[code] = System.objects.create(
            code=code,
            name_ja=name,
            name_en=name,
            department=department,
            system_manager=people["dsm"],
        )
    return people


def item(world: dict[str, object], name: str, **fields: object) -> ConfigurationItem:
    """An item reported by a source six hours ago, owned and managed unless told."""
    now = timezone.now()
    values: dict[str, object] = {
        "kind": "virtual_machine",
        "source": "terraform",
        "external_id": f"id:{name}",
        "department": world["department"],
        "system_manager": world["dsm"],
        "first_seen_at": now - timedelta(days=100),
        "last_seen_at": now - timedelta(hours=6),
    }
    values.update(fields)
    return ConfigurationItem.objects.create(name=name, **values)  # type: ignore[arg-type]
