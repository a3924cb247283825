"""Writes that bypass the ORM (ISM 23-1-2): the table PostgreSQL's triggers leave them in
until the log records them, guarded so that nothing but that recording removes a row. The
triggers on the audited tables themselves follow the models and are made after every
``migrate`` (:func:`mamori.auditlog.bypass.install_triggers`)."""

from django.db import migrations, models

from mamori.auditlog.triggers import (
    bypass_table_sql,
    remove_bypass_table_sql,
    remove_bypass_trigger_sql,
)


def install(apps, schema_editor):
    for statement in bypass_table_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in remove_bypass_trigger_sql(vendor) + remove_bypass_table_sql(vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0006_checkpoint_publications"),
    ]

    operations = [
        migrations.CreateModel(
            name="Bypass",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField()),
                ("operation", models.CharField(max_length=8)),
                ("table_name", models.CharField(max_length=63)),
                ("row_id", models.CharField(blank=True, max_length=100)),
                ("row_before", models.CharField(blank=True, max_length=64)),
                ("row_after", models.CharField(blank=True, max_length=64)),
                ("db_user", models.CharField(max_length=63)),
                ("application", models.CharField(blank=True, max_length=200)),
                ("client", models.CharField(blank=True, max_length=100)),
                ("xact", models.BigIntegerField()),
            ],
            options={
                "verbose_name": "write that bypassed the ORM",
                "verbose_name_plural": "writes that bypassed the ORM",
                "ordering": ["pk"],
            },
        ),
        migrations.RunPython(install, remove),
    ]
