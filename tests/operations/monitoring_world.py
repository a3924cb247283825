"""What the monitoring tests share: a system, a service, a rule, a token client."""

from __future__ import annotations

from django.test import Client

from mamori.accounts.models import Department
from mamori.accounts.services import tokens
from mamori.operations.models import AlertRule, MonitoredService, System


def service(code: str = "order-api") -> MonitoredService:
    department, _ = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )
    system, _ = System.objects.get_or_create(
        code="matching-engine",
        defaults={
            "name_ja": "マッチングエンジン",
            "name_en": "Matching engine",
            "department": department,
        },
    )
    return MonitoredService.objects.create(
        code=code, name_ja="注文 API", name_en="Order API", system=system
    )


def rule(on: MonitoredService, **extra: object) -> AlertRule:
    values: dict[str, object] = {
        "name": "order API down",
        "matchers": {"service": on.code},
        "state": "down",
        "open_incident": True,
        "severity": "S2",
    }
    values.update(extra)
    return AlertRule.objects.create(service=on, **values)


def token(*scopes: str) -> str:
    return tokens.issue("monitoring", list(scopes), 30, None).secret


def bearer(*scopes: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token(*scopes)}")
