"""Who may see custody monitoring and request lifts; the policy for releasing held withdrawals."""

from django.db import migrations

PERMISSIONS = {
    "custody.view": [
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "custody_operator",
        "key_holder",
        "internal_auditor",
    ],
    "custody.manage": ["system_general_manager", "ciso", "custody_operator"],
}
DAY = 86400


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    Policy.objects.update_or_create(
        code="withdrawal_release",
        defaults={
            "name_ja": "保留された出金の承認",
            "name_en": "Release of a held withdrawal",
            "definition": {
                "code": "withdrawal_release",
                "ordered": False,
                "lifetime_seconds": DAY,
                "stages": [
                    {
                        "name": "custody",
                        "roles": ["custody_operator", "ciso", "system_general_manager"],
                        "required": 2,
                    }
                ],
            },
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("custody", "0001_initial"),
        ("accounts", "0005_auditlog_permission"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
