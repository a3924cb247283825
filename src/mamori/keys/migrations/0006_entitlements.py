"""Key-holder entitlements (ISM 31): systems, grants, changes, imports, reconciliations and
findings; the approval policy of a grant change."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POLICY = {
    "code": "keys_entitlement",
    "ordered": False,
    "lifetime_seconds": 7 * 86400,
    "stages": [
        {
            "name": "security",
            "roles": ["ciso", "system_general_manager"],
            "required": 1,
        }
    ],
}


#: Asking for, carrying out and checking a key holder's grant in a system (ISM 31-4/5).
PERMISSIONS = {
    "keys.entitle": [
        "ciso",
        "custody_operator",
        "system_general_manager",
        "dept_system_manager",
        "dept_information_manager",
    ],
}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    Policy.objects.update_or_create(
        code=POLICY["code"],
        defaults={
            "name_ja": "鍵保有者の権限付与等",
            "name_en": "Granting, changing or removing a key holder's authority",
            "definition": POLICY,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_alter_user_managers"),
        ("keys", "0005_leak_response"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="KeySystem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("signing", "signing service"),
                            ("hsm_admin", "HSM administration"),
                            ("cloud_kms", "cloud KMS"),
                            ("custody", "custody vendor console"),
                            ("other", "other"),
                        ],
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                (
                    "roles",
                    models.JSONField(
                        default=list,
                        help_text="The roles the system has, as it names them.",
                        verbose_name="roles",
                    ),
                ),
                (
                    "period_days",
                    models.PositiveSmallIntegerField(
                        default=31, verbose_name="reconcile every (days)"
                    ),
                ),
                (
                    "description",
                    models.CharField(blank=True, max_length=300, verbose_name="description"),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
                (
                    "wallets",
                    models.ManyToManyField(
                        blank=True, related_name="systems", to="keys.wallet", verbose_name="wallets"
                    ),
                ),
            ],
            options={
                "verbose_name": "key-holder system",
                "verbose_name_plural": "key-holder systems",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="EntitlementChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[("grant", "grant"), ("change", "change"), ("removal", "removal")],
                        max_length=10,
                        verbose_name="action",
                    ),
                ),
                ("role", models.CharField(max_length=100, verbose_name="role")),
                (
                    "previous_role",
                    models.CharField(blank=True, max_length=100, verbose_name="previous role"),
                ),
                ("reason", models.CharField(max_length=300, verbose_name="reason")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "awaiting approval"),
                            ("approved", "approved, to be carried out"),
                            ("rejected", "rejected"),
                            ("done", "carried out, to be checked"),
                            ("checked", "checked"),
                            ("check_failed", "check failed"),
                        ],
                        default="pending",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("requested_at", models.DateTimeField(verbose_name="requested at")),
                (
                    "approved_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="approved at"),
                ),
                (
                    "done_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="carried out at"),
                ),
                (
                    "done_note",
                    models.CharField(blank=True, max_length=300, verbose_name="what was done"),
                ),
                (
                    "checked_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="checked at"),
                ),
                (
                    "check_note",
                    models.CharField(blank=True, max_length=300, verbose_name="check result"),
                ),
                (
                    "approval",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.approvalrequest",
                    ),
                ),
                (
                    "approver",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="approved by",
                    ),
                ),
                (
                    "checked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="checked by",
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
                        verbose_name="carried out by",
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
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requested by",
                    ),
                ),
                (
                    "system",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="changes",
                        to="keys.keysystem",
                    ),
                ),
            ],
            options={
                "verbose_name": "key-holder grant change",
                "verbose_name_plural": "key-holder grant changes",
                "ordering": ["-requested_at"],
            },
        ),
        migrations.CreateModel(
            name="AccountImport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(verbose_name="imported at")),
                ("file_name", models.CharField(max_length=200, verbose_name="file")),
                ("file_format", models.CharField(max_length=40, verbose_name="format")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("row_count", models.PositiveIntegerField(default=0, verbose_name="rows")),
                (
                    "status",
                    models.CharField(
                        choices=[("accepted", "accepted"), ("refused", "refused")],
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("rows", models.JSONField(blank=True, default=list, verbose_name="accounts")),
                ("errors", models.JSONField(blank=True, default=list, verbose_name="bad rows")),
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
                (
                    "system",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="imports",
                        to="keys.keysystem",
                    ),
                ),
            ],
            options={
                "verbose_name": "account import",
                "verbose_name_plural": "account imports",
                "ordering": ["-at"],
            },
        ),
        migrations.CreateModel(
            name="Reconciliation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(verbose_name="reconciled at")),
                ("found", models.PositiveIntegerField(default=0, verbose_name="findings")),
                ("raised", models.PositiveIntegerField(default=0, verbose_name="new findings")),
                (
                    "cleared",
                    models.PositiveIntegerField(default=0, verbose_name="cleared findings"),
                ),
                (
                    "source",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reconciliations",
                        to="keys.accountimport",
                    ),
                ),
                (
                    "system",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reconciliations",
                        to="keys.keysystem",
                    ),
                ),
            ],
            options={
                "verbose_name": "entitlement reconciliation",
                "verbose_name_plural": "entitlement reconciliations",
                "ordering": ["-at"],
            },
        ),
        migrations.CreateModel(
            name="EntitlementGrant",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("role", models.CharField(max_length=100, verbose_name="role")),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                ("since", models.DateTimeField(verbose_name="since")),
                (
                    "removed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="removed at"),
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
                (
                    "system",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="grants",
                        to="keys.keysystem",
                    ),
                ),
            ],
            options={
                "verbose_name": "key-holder grant",
                "verbose_name_plural": "key-holder grants",
                "ordering": ["system", "person", "role"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("active", True)),
                        fields=("system", "person", "role"),
                        name="keys_one_active_grant_per_person_role",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="EntitlementFinding",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=700, verbose_name="key")),
                ("code", models.CharField(max_length=50, verbose_name="finding")),
                ("account", models.CharField(blank=True, max_length=200, verbose_name="account")),
                ("person_ref", models.CharField(blank=True, max_length=200, verbose_name="person")),
                ("role", models.CharField(blank=True, max_length=200, verbose_name="role")),
                (
                    "expected",
                    models.JSONField(blank=True, default=list, verbose_name="roles granted"),
                ),
                ("lesser", models.BooleanField(default=False, verbose_name="warning only")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "open"),
                            ("resolved", "resolved"),
                            ("cleared", "cleared by a later import"),
                        ],
                        default="open",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "closed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="closed at"),
                ),
                (
                    "resolution",
                    models.CharField(blank=True, max_length=300, verbose_name="resolution"),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="resolved by",
                    ),
                ),
                (
                    "system",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="findings",
                        to="keys.keysystem",
                    ),
                ),
                (
                    "closed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cleared_findings",
                        to="keys.reconciliation",
                    ),
                ),
                (
                    "last_seen",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="keys.reconciliation",
                    ),
                ),
                (
                    "raised_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="raised_findings",
                        to="keys.reconciliation",
                    ),
                ),
            ],
            options={
                "verbose_name": "entitlement finding",
                "verbose_name_plural": "entitlement findings",
                "ordering": ["system", "status", "code"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "open")),
                        fields=("system", "key"),
                        name="keys_one_open_finding_per_key",
                    )
                ],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
