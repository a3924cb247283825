"""One permission model for pages and the API: the permissions API scopes stand for.

Reading people and roles and what the installation runs is the officers' and the auditors';
the service permissions (``custody.check``, ``custody.report``, ``notifications.send``,
``approvals.submit``) are granted to no role: only a token issued from the command line for
one of the exchange's services carries them.
"""

from django.db import migrations

PERMISSIONS = {
    "accounts.view": [
        "board_member",
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "dept_information_manager",
        "internal_auditor",
    ],
    "platform.read": ["system_general_manager", "ciso", "internal_auditor"],
}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for permission, codes in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=codes):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_auditlog_permission")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
