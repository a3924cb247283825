"""Signing keys away from the data: the key table keeps public keys only and is append-only.

Each row gets its purpose (``log``; the statement keys move in from reconciliation), its
C2SP key id, the store that holds its private half, who made it and the rotation that did.
The private halves that were kept (encrypted) in the database are dropped: anyone who could
read the data directory could sign with them. The rows stay, marked ``legacy``, so every
checkpoint they signed still verifies; nothing is signed until ``mamori keys init`` makes a
key in an HSM or a key file outside the data directory. UPDATE and DELETE of a key row are
refused by the database from here on (triggers on SQLite and PostgreSQL)."""

import hashlib

import django.utils.timezone
from django.db import migrations, models

from mamori.auditlog.triggers import install_key_sql, remove_key_sql


def key_ids(apps, schema_editor):
    SigningKey = apps.get_model("auditlog", "SigningKey")
    for row in SigningKey.objects.all():
        public_key = bytes(row.public_key)
        digest = hashlib.sha256(row.name.encode("utf-8") + b"\n\x01" + public_key).digest()
        row.key_id = digest[:4].hex()
        row.save(update_fields=["key_id"])


def install(apps, schema_editor):
    for statement in install_key_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    for statement in remove_key_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("auditlog", "0003_runs")]

    operations = [
        migrations.AddField(
            model_name="signingkey",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("log", "audit log checkpoints"),
                    ("statement", "reconciliation statements"),
                ],
                default="log",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="signingkey",
            name="key_id",
            field=models.CharField(
                default="", help_text="C2SP signed-note key id (hex)", max_length=8
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="signingkey",
            name="store",
            field=models.CharField(
                default="legacy",
                help_text=(
                    "where the private half is: pkcs11, file, or legacy (it was in the database)"
                ),
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="signingkey",
            name="created_by",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="signingkey",
            name="approval",
            field=models.BigIntegerField(
                blank=True, help_text="the approval request of a rotation", null=True
            ),
        ),
        migrations.AlterField(
            model_name="signingkey",
            name="name",
            field=models.CharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="signingkey",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(key_ids, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="signingkey",
            name="private_encrypted",
        ),
        migrations.AlterModelOptions(
            name="signingkey",
            options={
                "ordering": ["purpose", "pk"],
                "verbose_name": "signing key",
                "verbose_name_plural": "signing keys",
            },
        ),
        migrations.AddConstraint(
            model_name="signingkey",
            constraint=models.UniqueConstraint(
                fields=("purpose", "key_id"), name="auditlog_signingkey_unique_purpose_key_id"
            ),
        ),
        migrations.RunPython(install, remove),
    ]
