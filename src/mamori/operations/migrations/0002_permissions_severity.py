"""Who may report, see and run incidents; the starting severity rules (SRM 6-1-3, 7-3, 9)."""

from django.db import migrations

EVERY_ROLE = "*"
PERMISSIONS = {
    # SRM 7-3 / ISM 9-3: anyone signed in reports at once
    "incidents.report": EVERY_ROLE,
    "incidents.view": [
        "board_member",
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "dept_information_manager",
        "csirt_member",
        "operator",
        "custody_operator",
        "risk_owner",
        "internal_auditor",
    ],
    "incidents.manage": ["system_general_manager", "ciso", "csirt_member"],
}

# severity, fact, at least, only for kind
RULES = [
    ("S1", "assets_at_risk_jpy", 100_000_000, ""),
    ("S1", "customers_affected", 10_000, ""),
    ("S1", "records_affected", 10_000, ""),
    ("S2", "assets_at_risk_jpy", 1_000_000, ""),
    ("S2", "customers_affected", 1_000, ""),
    ("S2", "outage_minutes", 120, ""),
    ("S2", "records_affected", 1, ""),
    ("S3", "customers_affected", 1, ""),
    ("S3", "outage_minutes", 15, ""),
    ("S3", "assets_at_risk_jpy", 1, ""),
]


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    SeverityRule = apps.get_model("operations", "SeverityRule")
    for permission, roles in PERMISSIONS.items():
        chosen = Role.objects.all() if roles == EVERY_ROLE else Role.objects.filter(code__in=roles)
        for role in chosen:
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    for severity, fact, at_least, kind in RULES:
        SeverityRule.objects.get_or_create(
            severity=severity, fact=fact, at_least=at_least, kind=kind
        )


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_initial"),
        ("accounts", "0008_alter_user_managers"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
