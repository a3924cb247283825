"""Who may see and run operating-status monitoring (SRM 21-1): services, alert rules, probes,
heartbeats."""

from django.db import migrations

PERMISSIONS = {
    "monitoring.view": [
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
    # services, alert rules, probes and heartbeats (SRM 21-1)
    "monitoring.manage": ["system_general_manager", "dept_system_manager", "operator"],
    # what Alertmanager and batch jobs use through their tokens (scopes monitoring:alerts,
    # monitoring:heartbeat); no person's work needs them
    "monitoring.alerts": ["system_general_manager"],
    "monitoring.heartbeat": ["system_general_manager", "operator"],
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
        ("operations", "0020_monitoring_intake"),
        ("accounts", "0008_alter_user_managers"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
