"""The statement key joins the signing-key table (public keys only, append-only): its row is
copied as a ``legacy`` key of purpose ``statement`` — statements it signed still verify — and
the table that held its private half (encrypted, beside the data) is dropped. Nothing is
signed until ``mamori keys init statement`` makes a key outside the data directory."""

import hashlib

from django.db import migrations


def move(apps, schema_editor):
    StatementKey = apps.get_model("reconciliation", "StatementKey")
    SigningKey = apps.get_model("auditlog", "SigningKey")
    for row in StatementKey.objects.order_by("pk"):
        public_key = bytes(row.public_key)
        digest = hashlib.sha256(row.name.encode("utf-8") + b"\n\x01" + public_key).digest()
        SigningKey.objects.create(
            purpose="statement",
            name=row.name,
            key_id=digest[:4].hex(),
            public_key=public_key,
            store="legacy",
            created_at=row.created_at,
            created_by="migration",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0003_case_book_refused_and_halt_refused"),
        ("auditlog", "0004_signing_keys_public_only"),
    ]
    operations = [
        migrations.RunPython(move, migrations.RunPython.noop),
        migrations.DeleteModel(name="StatementKey"),
    ]
