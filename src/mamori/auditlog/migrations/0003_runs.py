"""Move the log into runs of at most one chunk of 256 entries (bodies, leaves, nodes below
level 8 in one row); keep one row per subtree of level 8 and above; the entry table becomes
the search index. Positions, bodies and hashes are unchanged, so every checkpoint still holds.
Whatever an earlier tampering left (a missing node or leaf) is kept as zero bytes, which
verification reports."""

from django.db import migrations, models

from mamori.auditlog.triggers import install_sql, remove_sql
from mamori.engines.merkle.chunks import CHUNK, CHUNK_LEVEL, completed_nodes

OLD_TABLES = ["auditlog_entry", "auditlog_node", "auditlog_checkpoint"]
ZERO = bytes(32)
BATCH = 50 * CHUNK


def drop_triggers(apps, schema_editor):
    for statement in remove_sql(schema_editor.connection.vendor, OLD_TABLES):
        schema_editor.execute(statement)


def install_triggers(apps, schema_editor):
    for statement in install_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def _runs(rows):
    """Group (position, body) rows into contiguous segments within one chunk."""
    current = []
    for position, body in rows:
        if current and (
            position != current[-1][0] + 1 or position // CHUNK != current[0][0] // CHUNK
        ):
            yield current
            current = []
        current.append((position, body))
    if current:
        yield current


def move_into_runs(apps, schema_editor):
    connection = schema_editor.connection
    mark = "?" if connection.vendor == "sqlite" else "%s"
    with connection.cursor() as cursor:
        last = -1
        while True:
            cursor.execute(
                f"SELECT position, body FROM auditlog_entry WHERE position > {mark} "  # noqa: S608
                f"ORDER BY position LIMIT {mark}",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            low, high = rows[0][0], rows[-1][0]
            cursor.execute(
                "SELECT level, position, hash FROM auditlog_node WHERE level < "  # noqa: S608
                f"{CHUNK_LEVEL} AND position >= {mark} AND position <= {mark}",
                [low >> (CHUNK_LEVEL - 1), high],
            )
            nodes = {(level, index): bytes(value) for level, index, value in cursor.fetchall()}
            runs = []
            for segment in _runs(rows):
                first, count = segment[0][0], len(segment)
                bodies = b"\n".join(
                    body.encode("utf-8") if isinstance(body, str) else bytes(body)
                    for _, body in segment
                )
                leaves = b"".join(nodes.get((0, position), ZERO) for position, _ in segment)
                inner = b"".join(
                    nodes.get(key, ZERO)
                    for key in completed_nodes(first, count)
                    if key[0] < CHUNK_LEVEL
                )
                runs.append((first, count, bodies, leaves, inner))
            insert = "INSERT INTO auditlog_run (first, count, bodies, leaves, nodes) VALUES "
            cursor.executemany(insert + f"({mark}, {mark}, {mark}, {mark}, {mark})", runs)
            last = high
        cursor.execute(f"DELETE FROM auditlog_node WHERE level < {CHUNK_LEVEL}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [("auditlog", "0002_append_only")]

    operations = [
        migrations.RunPython(drop_triggers, migrations.RunPython.noop),
        migrations.CreateModel(
            name="Run",
            fields=[
                ("first", models.BigIntegerField(primary_key=True, serialize=False)),
                ("count", models.IntegerField()),
                ("leaves", models.BinaryField()),
                ("nodes", models.BinaryField()),
                ("bodies", models.BinaryField()),
            ],
            options={
                "verbose_name": "run of log entries",
                "verbose_name_plural": "runs of log entries",
                "ordering": ["first"],
            },
        ),
        migrations.RunPython(move_into_runs),
        migrations.RemoveField(
            model_name="entry",
            name="body",
        ),
        migrations.RunPython(install_triggers),
    ]
