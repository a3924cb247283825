"""Make the log's tables append-only in the database itself (UPDATE/DELETE refused)."""

from django.db import migrations

from mamori.auditlog.triggers import install_sql, remove_sql

# The tables as they were at this migration (0003 moved the log into runs).
TABLES = ["auditlog_entry", "auditlog_node", "auditlog_checkpoint"]


def install(apps, schema_editor):
    for statement in install_sql(schema_editor.connection.vendor, TABLES):
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    for statement in remove_sql(schema_editor.connection.vendor, TABLES):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("auditlog", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
