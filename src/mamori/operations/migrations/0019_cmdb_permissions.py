"""Who may read and keep the configuration register, and the default of "seen recently"
(SRM 7-2, 12)."""

from django.db import migrations

PERMISSIONS = {
    "cmdb.view": [
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
    # adding and editing manual items and relations (SRM 7-2, 12-2..4)
    "cmdb.manage": ["system_general_manager", "dept_system_manager", "operator"],
}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Setting = apps.get_model("operations", "CmdbSetting")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    if not Setting.objects.exists():
        Setting.objects.create(seen_within_days=30, licence_warning_days=60)


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0018_cmdb_register"),
        ("accounts", "0008_alter_user_managers"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
