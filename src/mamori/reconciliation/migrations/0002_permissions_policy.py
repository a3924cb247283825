"""Who may see and work reconciliation; the policy for closing a discrepancy case."""

from django.db import migrations

PERMISSIONS = {
    "reconciliation.view": [
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "custody_operator",
        "internal_auditor",
    ],
    "reconciliation.manage": ["system_general_manager", "ciso", "custody_operator"],
}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    Policy.objects.update_or_create(
        code="reconciliation_case_close",
        defaults={
            "name_ja": "残高差異案件の完了",
            "name_en": "Closing a reconciliation discrepancy case",
            "definition": {
                "code": "reconciliation_case_close",
                "ordered": False,
                "lifetime_seconds": 7 * 86400,
                "stages": [
                    {
                        "name": "security",
                        "roles": ["ciso", "system_general_manager", "internal_auditor"],
                        "required": 2,
                    }
                ],
            },
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0001_initial"),
        ("accounts", "0005_auditlog_permission"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
