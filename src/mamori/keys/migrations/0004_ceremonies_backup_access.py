"""Key ceremonies as recorded workflows (ISM 28-1, 28-2) and backup access detection
(ISM 28-3-5): their tables, who may manage the backup sites' event secrets, and the
two-person approval policy of a ceremony."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PERMISSIONS = {"keys.manage_sources": ["ciso"]}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    Policy.objects.update_or_create(
        code="key_ceremony",
        defaults={
            "name_ja": "鍵セレモニーの実施",
            "name_en": "Conducting a key ceremony",
            "definition": {
                "code": "key_ceremony",
                "ordered": False,
                "lifetime_seconds": 14 * 86400,
                "stages": [
                    {
                        "name": "security",
                        "roles": ["ciso", "system_general_manager", "custody_operator"],
                        "required": 2,
                    }
                ],
            },
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_alter_user_managers"),
        ("keys", "0003_presign"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BackupSiteSecret",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("secret_encrypted", models.TextField()),
                ("rotated_at", models.DateTimeField(verbose_name="created or rotated")),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "site",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="event_secret",
                        to="keys.site",
                        verbose_name="site",
                    ),
                ),
            ],
            options={
                "verbose_name": "backup site event secret",
                "verbose_name_plural": "backup site event secrets",
                "ordering": ["site"],
            },
        ),
        migrations.CreateModel(
            name="Ceremony",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("generation", "key generation"),
                            ("recovery", "recovery"),
                            ("rotation", "rotation"),
                            ("backup_check", "backup check"),
                        ],
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                ("starts_at", models.DateTimeField(verbose_name="window starts")),
                ("ends_at", models.DateTimeField(verbose_name="window ends")),
                (
                    "script",
                    models.TextField(
                        help_text="One step per line, in order.", verbose_name="script"
                    ),
                ),
                (
                    "script_version",
                    models.PositiveIntegerField(default=1, verbose_name="script version"),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("planned", "planned"),
                            ("approved", "approved"),
                            ("in_progress", "in progress"),
                            ("completed", "completed"),
                            ("abandoned", "abandoned"),
                        ],
                        default="planned",
                        max_length=20,
                        verbose_name="state",
                    ),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed")),
                (
                    "closing_note",
                    models.CharField(blank=True, max_length=500, verbose_name="closing note"),
                ),
                (
                    "output_kind",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("xpub", "Bitcoin account extended public key (BIP-44/49/84)"),
                            (
                                "multisig",
                                "Bitcoin multisig: one account xpub per line (sortedmulti)",
                            ),
                            ("evm", "EVM public key"),
                        ],
                        max_length=10,
                        verbose_name="kind of output",
                    ),
                ),
                ("output_public", models.TextField(blank=True, verbose_name="public output")),
                (
                    "output_addresses",
                    models.TextField(blank=True, verbose_name="registered addresses"),
                ),
                (
                    "output_result",
                    models.JSONField(blank=True, default=list, verbose_name="verification result"),
                ),
                (
                    "output_matched",
                    models.BooleanField(
                        blank=True, null=True, verbose_name="every address matched"
                    ),
                ),
                (
                    "output_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="output recorded"),
                ),
                (
                    "approval",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.approvalrequest",
                        verbose_name="approval request",
                    ),
                ),
                (
                    "output_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="output recorded by",
                    ),
                ),
                (
                    "planned_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="planned by",
                    ),
                ),
                (
                    "sites",
                    models.ManyToManyField(
                        related_name="ceremonies", to="keys.site", verbose_name="sites"
                    ),
                ),
                (
                    "wallet",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="ceremonies",
                        to="keys.wallet",
                        verbose_name="wallet",
                    ),
                ),
            ],
            options={
                "verbose_name": "key ceremony",
                "verbose_name_plural": "key ceremonies",
                "ordering": ["-starts_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="BackupAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event_id", models.CharField(max_length=100, verbose_name="event id")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("vault_opened", "vault opened"),
                            ("hsm_login", "HSM login"),
                            ("share_checked_out", "share checked out"),
                            ("share_checked_in", "share checked in"),
                        ],
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                ("actor", models.CharField(max_length=150, verbose_name="who")),
                ("at", models.DateTimeField(verbose_name="at")),
                ("received_at", models.DateTimeField(verbose_name="received")),
                (
                    "channel",
                    models.CharField(
                        choices=[("webhook", "signed webhook"), ("nats", "NATS")],
                        max_length=10,
                        verbose_name="channel",
                    ),
                ),
                ("expected", models.BooleanField(verbose_name="expected")),
                (
                    "acknowledged_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="acknowledged"),
                ),
                (
                    "acknowledged_reason",
                    models.CharField(blank=True, max_length=500, verbose_name="reason"),
                ),
                (
                    "acknowledged_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="acknowledged by",
                    ),
                ),
                (
                    "backup",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="accesses",
                        to="keys.backup",
                        verbose_name="backup",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="keys.site",
                        verbose_name="site",
                    ),
                ),
                (
                    "ceremony",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="accesses",
                        to="keys.ceremony",
                        verbose_name="ceremony",
                    ),
                ),
            ],
            options={
                "verbose_name": "backup access",
                "verbose_name_plural": "backup accesses",
                "ordering": ["-at", "-pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("event_id", "backup"), name="keys_backup_access_once_per_event"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="CeremonyPerson",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("part", models.CharField(blank=True, max_length=200, verbose_name="part")),
                ("witness", models.BooleanField(default=False, verbose_name="witness")),
                (
                    "ceremony",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="people",
                        to="keys.ceremony",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="person",
                    ),
                ),
            ],
            options={
                "verbose_name": "ceremony participant",
                "verbose_name_plural": "ceremony participants",
                "ordering": ["ceremony", "witness", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("ceremony", "person"), name="keys_ceremony_person_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="CeremonyStep",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField(verbose_name="step")),
                ("text", models.CharField(max_length=500, verbose_name="what is done")),
                ("done_at", models.DateTimeField(blank=True, null=True, verbose_name="done at")),
                ("note", models.CharField(blank=True, max_length=500, verbose_name="note")),
                (
                    "ceremony",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="steps",
                        to="keys.ceremony",
                    ),
                ),
                (
                    "done_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="done by",
                    ),
                ),
            ],
            options={
                "verbose_name": "ceremony step",
                "verbose_name_plural": "ceremony steps",
                "ordering": ["ceremony", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("ceremony", "number"), name="keys_ceremony_step_once"
                    )
                ],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
