"""The approval policy of a signing-key rotation: two of the CISO, the system general manager
and a department information manager, within seven days."""

from django.db import migrations


def seed(apps, schema_editor):
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    Policy.objects.update_or_create(
        code="key_rotation",
        defaults={
            "name_ja": "署名鍵の更新",
            "name_en": "Rotating a signing key",
            "definition": {
                "code": "key_rotation",
                "ordered": False,
                "lifetime_seconds": 7 * 86400,
                "stages": [
                    {
                        "name": "security",
                        "roles": ["ciso", "system_general_manager", "dept_information_manager"],
                        "required": 2,
                    }
                ],
            },
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0004_signing_keys_public_only"),
        ("accounts", "0004_seed_permissions_rules_policies"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
