"""Configuration import runs, and who may import (SRM 12-4)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PERMISSIONS = {
    "cmdb.import": ["system_general_manager", "dept_system_manager", "operator"],
}


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0022_status_confirmations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("csv", "CSV table"),
                            ("excel", "Excel workbook"),
                            ("terraform", "Terraform state (terraform show -json)"),
                            ("aws_config", "AWS Config snapshot"),
                            ("kubernetes", "Kubernetes list (kubectl get -o json)"),
                            ("netbox", "NetBox REST export"),
                        ],
                        max_length=30,
                        verbose_name="source",
                    ),
                ),
                (
                    "file_name",
                    models.CharField(blank=True, max_length=300, verbose_name="file name"),
                ),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                (
                    "outcome",
                    models.CharField(
                        choices=[("imported", "imported"), ("refused", "refused")],
                        max_length=10,
                        verbose_name="outcome",
                    ),
                ),
                ("added", models.PositiveIntegerField(default=0, verbose_name="added")),
                ("changed", models.PositiveIntegerField(default=0, verbose_name="changed")),
                ("gone", models.PositiveIntegerField(default=0, verbose_name="gone")),
                ("reappeared", models.PositiveIntegerField(default=0, verbose_name="reappeared")),
                ("unchanged", models.PositiveIntegerField(default=0, verbose_name="unchanged")),
                (
                    "relations_added",
                    models.PositiveIntegerField(default=0, verbose_name="relations added"),
                ),
                (
                    "relations_gone",
                    models.PositiveIntegerField(default=0, verbose_name="relations gone"),
                ),
                (
                    "relations_unchanged",
                    models.PositiveIntegerField(default=0, verbose_name="relations unchanged"),
                ),
                (
                    "unknown",
                    models.PositiveIntegerField(default=0, verbose_name="items without a system"),
                ),
                ("errors", models.JSONField(blank=True, default=list, verbose_name="problems")),
                ("via", models.CharField(default="web", max_length=10, verbose_name="via")),
                ("at", models.DateTimeField(verbose_name="at")),
                (
                    "milliseconds",
                    models.PositiveBigIntegerField(default=0, verbose_name="duration (ms)"),
                ),
                (
                    "by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="imported by",
                    ),
                ),
            ],
            options={
                "verbose_name": "configuration import",
                "verbose_name_plural": "configuration imports",
                "ordering": ["-at", "-pk"],
                "indexes": [
                    models.Index(fields=["source", "-at"], name="operations_importrun_source")
                ],
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
