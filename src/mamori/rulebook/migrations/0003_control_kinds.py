"""Controls say how they know: measured, workflow, reviewed document or mamori's own health."""

from django.db import migrations, models


def rename_automated(apps, schema_editor):
    """Call what was "automated" "measured" (the catalogue re-classifies each on sync)."""
    Control = apps.get_model("rulebook", "Control")
    Control.objects.filter(kind="automated").update(kind="measured")


class Migration(migrations.Migration):
    dependencies = [
        ("rulebook", "0002_permissions_policies"),
    ]

    operations = [
        migrations.AlterField(
            model_name="control",
            name="kind",
            field=models.CharField(
                choices=[
                    ("measured", "measured"),
                    ("workflow", "workflow"),
                    ("document", "reviewed document"),
                    ("self", "mamori's own health"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(rename_automated, migrations.RunPython.noop),
    ]
