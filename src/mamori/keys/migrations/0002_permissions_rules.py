"""Who may see and edit the key inventory; the engine's default spread rules as rows."""

from django.db import migrations

PERMISSIONS = {
    "keys.view": [
        "system_general_manager",
        "ciso",
        "custody_operator",
        "key_holder",
        "internal_auditor",
    ],
    "keys.manage": ["ciso", "custody_operator"],
}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    SpreadRule = apps.get_model("keys", "SpreadRule")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    from mamori.engines.keys import DEFAULT_RULES

    for rule in DEFAULT_RULES:
        SpreadRule.objects.get_or_create(
            code=rule.code,
            defaults={
                "apart": list(rule.apart),
                "scope": rule.scope,
                "roles": sorted(r.value for r in rule.roles),
                "against": sorted(r.value for r in rule.against),
                "schemes": sorted(s.value for s in rule.schemes),
                "copies": rule.copies,
                "article": rule.article,
                "text": rule.text,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("keys", "0001_initial"),
        ("accounts", "0008_alter_user_managers"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
