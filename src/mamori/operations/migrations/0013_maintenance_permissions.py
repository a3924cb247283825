"""Who may see and plan maintenance, and the minimum notice before it (SRM 13)."""

from django.db import migrations

PERMISSIONS = {
    "maintenance.view": [
        "board_member",
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "dept_information_manager",
        "csirt_member",
        "developer",
        "operator",
        "internal_auditor",
        "representative_director",
    ],
    # planning, announcing, starting and finishing maintenance; the notice rules (SRM 13)
    "maintenance.manage": ["system_general_manager", "dept_system_manager"],
}

#: Days of notice before a maintenance, by the criticality of the systems it touches.
MINIMUM_DAYS = {"high": 7, "medium": 7, "low": 7}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Rule = apps.get_model("operations", "MaintenanceNoticeRule")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    for criticality, days in MINIMUM_DAYS.items():
        Rule.objects.get_or_create(criticality=criticality, defaults={"minimum_days": days})


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0012_maintenance"),
        ("operations", "0006_bcp_permissions"),
        ("accounts", "0008_alter_user_managers"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
