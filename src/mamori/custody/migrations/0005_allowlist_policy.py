"""The approval policy for registering a customer's withdrawal address."""

from django.db import migrations


def seed(apps, schema_editor):
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    Policy.objects.update_or_create(
        code="allowlist_address",
        defaults={
            "name_ja": "出金先アドレスの登録",
            "name_en": "Registration of a withdrawal address",
            "definition": {
                "code": "allowlist_address",
                "ordered": False,
                "lifetime_seconds": 7 * 86400,
                "stages": [
                    {"name": "custody", "roles": ["custody_operator", "ciso"], "required": 1}
                ],
            },
        },
    )


class Migration(migrations.Migration):
    dependencies = [("custody", "0004_allowlists")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
