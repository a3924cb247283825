"""Who may see and manage compliance, and the two approval policies the rulebook uses."""

from django.db import migrations

PERMISSIONS = {
    "rulebook.view": [
        "board_member",
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "dept_information_manager",
        "risk_owner",
        "internal_auditor",
        "read_only",
    ],
    "rulebook.manage": [
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "dept_information_manager",
    ],
    "rulebook.export": ["board_member", "system_general_manager", "ciso", "internal_auditor"],
}
DAY = 86400
POLICIES = [
    (
        "policy_publication",
        "方針の概要の公表",
        "Publication of a policy summary",
        {
            "code": "policy_publication",
            "ordered": False,
            "lifetime_seconds": 14 * DAY,
            "stages": [
                {
                    "name": "officers",
                    "roles": ["ciso", "system_general_manager", "board_member"],
                    "required": 2,
                }
            ],
        },
    ),
    (
        "compliance_override",
        "適合状況の手動判定",
        "Manual compliance status (override or not applicable)",
        {
            "code": "compliance_override",
            "ordered": False,
            "lifetime_seconds": 14 * DAY,
            "stages": [
                {
                    "name": "officers and audit",
                    "roles": ["ciso", "system_general_manager", "internal_auditor"],
                    "required": 2,
                }
            ],
        },
    ),
]


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    for code, name_ja, name_en, definition in POLICIES:
        Policy.objects.update_or_create(
            code=code,
            defaults={"name_ja": name_ja, "name_en": name_en, "definition": definition},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("rulebook", "0001_initial"),
        ("accounts", "0005_auditlog_permission"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
