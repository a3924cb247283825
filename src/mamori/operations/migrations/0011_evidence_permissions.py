"""Who may send pipeline evidence for a change and read it back (SRM 15, 16, 19): the people
who issue the pipeline's tokens."""

from django.db import migrations

PERMISSIONS = {
    "changes.evidence": ["system_general_manager", "dept_system_manager", "developer", "operator"],
    "changes.view": [
        "board_member",
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "developer",
        "operator",
        "risk_owner",
        "internal_auditor",
    ],
}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0010_evidence_intake"),
        ("accounts", "0008_alter_user_managers"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
