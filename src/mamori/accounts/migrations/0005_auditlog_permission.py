"""Let the CISO, the system general manager and internal auditors read the audit log."""

from django.db import migrations

READERS = ["ciso", "system_general_manager", "internal_auditor"]


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code__in=READERS):
        if "auditlog.view" not in role.permissions:
            role.permissions = [*role.permissions, "auditlog.view"]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_seed_permissions_rules_policies")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
