"""Reporting obligations as data with their starting rules (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3;
APPI art. 26). Every rule is editable on /operations/obligations/rules/.

Defaults chosen here: managers within 1 hour ("直ちに"); the board the next business day for S2
or worse; the authorities and the association a first report within 24 hours and a final one
within 30 days for S2 or worse; the PPC's preliminary report (速報, "概ね3〜5日以内") within 3
days and its confirmed report within 30 days, 60 with unauthorised access; the people
concerned within 3 days. Days are counted from the day after detection and a last day on a
holiday moves to the next business day (Civil Code arts. 140, 142).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SECURITY = ["cyber_attack", "information_leak", "crypto_asset_leak"]
# code, name, kinds, min severity, personal data, unauthorised access, recipient, stage,
# unit, amount, roll, basis
RULES = [
    (
        "sgm-first",
        "システム統括管理責任者への報告 / Report to the system general manager",
        [],
        "S4",
        False,
        "any",
        "system_general_manager",
        "first",
        "hours",
        1,
        False,
        "SRM 7-3",
    ),
    (
        "ciso-first",
        "情報セキュリティ最高責任者への報告 / Report to the CISO",
        SECURITY,
        "S4",
        False,
        "any",
        "ciso",
        "first",
        "hours",
        1,
        False,
        "ISM 9-3",
    ),
    (
        "board-first",
        "取締役会への報告 / Report to the board",
        [],
        "S2",
        False,
        "any",
        "board",
        "first",
        "business_days",
        1,
        False,
        "SRM 6-1-3",
    ),
    (
        "authority-first",
        "当局への第一報 / First report to the authorities",
        [],
        "S2",
        False,
        "any",
        "authority",
        "first",
        "hours",
        24,
        False,
        "SRM 6-1-3, ISM 8-1-3",
    ),
    (
        "authority-final",
        "当局への最終報告 / Final report to the authorities",
        [],
        "S2",
        False,
        "any",
        "authority",
        "final",
        "calendar_days",
        30,
        True,
        "SRM 6-1-3, ISM 8-1-3",
    ),
    (
        "jvcea-first",
        "協会への第一報 / First report to the association (JVCEA)",
        [],
        "S2",
        False,
        "any",
        "association",
        "first",
        "hours",
        24,
        False,
        "SRM 6-1-3",
    ),
    (
        "jvcea-final",
        "協会への最終報告 / Final report to the association (JVCEA)",
        [],
        "S2",
        False,
        "any",
        "association",
        "final",
        "calendar_days",
        30,
        True,
        "SRM 6-1-3",
    ),
    (
        "ppc-preliminary",
        "個人情報保護委員会への速報 / Preliminary report to the PPC",
        [],
        "S4",
        True,
        "any",
        "ppc",
        "preliminary",
        "calendar_days",
        3,
        True,
        "個人情報保護法26条 / APPI art. 26",
    ),
    (
        "ppc-confirmed-30",
        "個人情報保護委員会への確報（30日） / Confirmed report to the PPC (30 days)",
        [],
        "S4",
        True,
        "no",
        "ppc",
        "confirmed",
        "calendar_days",
        30,
        True,
        "個人情報保護法26条 / APPI art. 26",
    ),
    (
        "ppc-confirmed-60",
        "個人情報保護委員会への確報（不正アクセス・60日） / Confirmed report to the PPC "
        "(unauthorised access, 60 days)",
        [],
        "S4",
        True,
        "yes",
        "ppc",
        "confirmed",
        "calendar_days",
        60,
        True,
        "個人情報保護法26条 / APPI art. 26",
    ),
    (
        "customers-notice",
        "本人への通知 / Notice to the customers concerned",
        [],
        "S4",
        True,
        "any",
        "customers",
        "first",
        "calendar_days",
        3,
        True,
        "個人情報保護法26条2項 / APPI art. 26(2)",
    ),
]


def seed(apps, schema_editor):
    ObligationRule = apps.get_model("operations", "ObligationRule")
    for (
        code,
        name,
        kinds,
        severity,
        personal,
        access,
        recipient,
        stage,
        unit,
        amount,
        roll,
        basis,
    ) in RULES:
        ObligationRule.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kinds": kinds,
                "min_severity": severity,
                "personal_data_required": personal,
                "unauthorised_access": access,
                "recipient": recipient,
                "stage": stage,
                "due_unit": unit,
                "due_amount": amount,
                "roll_to_business_day": roll,
                "basis": basis,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0003_inc_alert_sources"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ObligationRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.SlugField(max_length=60, unique=True, verbose_name="code")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "kinds",
                    models.JSONField(
                        blank=True, default=list, verbose_name="kinds (none: every kind)"
                    ),
                ),
                (
                    "min_severity",
                    models.CharField(
                        choices=[
                            ("S1", "S1 critical"),
                            ("S2", "S2 major"),
                            ("S3", "S3 moderate"),
                            ("S4", "S4 minor"),
                        ],
                        default="S4",
                        max_length=2,
                        verbose_name="at least severity",
                    ),
                ),
                (
                    "personal_data_required",
                    models.BooleanField(
                        default=False, verbose_name="only when personal data is involved"
                    ),
                ),
                (
                    "unauthorised_access",
                    models.CharField(
                        choices=[
                            ("any", "either"),
                            ("yes", "only with unauthorised access"),
                            ("no", "only without unauthorised access"),
                        ],
                        default="any",
                        max_length=3,
                        verbose_name="unauthorised access",
                    ),
                ),
                (
                    "recipient",
                    models.CharField(
                        choices=[
                            ("system_general_manager", "system general manager"),
                            ("ciso", "CISO"),
                            ("board", "board of directors"),
                            ("authority", "authorities (FSA / Local Finance Bureau)"),
                            ("association", "association (JVCEA)"),
                            ("ppc", "Personal Information Protection Commission"),
                            ("customers", "customers"),
                        ],
                        max_length=30,
                        verbose_name="recipient",
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("first", "first report"),
                            ("interim", "interim report"),
                            ("final", "final report"),
                            ("preliminary", "preliminary report"),
                            ("confirmed", "confirmed report"),
                        ],
                        max_length=20,
                        verbose_name="stage",
                    ),
                ),
                (
                    "due_unit",
                    models.CharField(
                        choices=[
                            ("hours", "hours after detection"),
                            ("calendar_days", "calendar days after detection"),
                            ("business_days", "business days after detection"),
                        ],
                        max_length=20,
                        verbose_name="due in",
                    ),
                ),
                ("due_amount", models.PositiveIntegerField(verbose_name="amount")),
                (
                    "roll_to_business_day",
                    models.BooleanField(
                        default=False,
                        verbose_name="a deadline on a holiday moves to the next business day",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                ("basis", models.CharField(blank=True, max_length=200, verbose_name="basis")),
            ],
            options={
                "verbose_name": "reporting rule",
                "verbose_name_plural": "reporting rules",
                "ordering": ["recipient", "stage", "code"],
            },
        ),
        migrations.CreateModel(
            name="Obligation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="report")),
                (
                    "recipient",
                    models.CharField(
                        choices=[
                            ("system_general_manager", "system general manager"),
                            ("ciso", "CISO"),
                            ("board", "board of directors"),
                            ("authority", "authorities (FSA / Local Finance Bureau)"),
                            ("association", "association (JVCEA)"),
                            ("ppc", "Personal Information Protection Commission"),
                            ("customers", "customers"),
                        ],
                        max_length=30,
                        verbose_name="recipient",
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("first", "first report"),
                            ("interim", "interim report"),
                            ("final", "final report"),
                            ("preliminary", "preliminary report"),
                            ("confirmed", "confirmed report"),
                        ],
                        max_length=20,
                        verbose_name="stage",
                    ),
                ),
                ("due_at", models.DateTimeField(verbose_name="due at")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("due", "due"),
                            ("sent", "sent"),
                            ("waived", "waived"),
                            ("withdrawn", "no longer required"),
                        ],
                        default="due",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                ("channel", models.CharField(blank=True, max_length=100, verbose_name="channel")),
                (
                    "submission_reference",
                    models.CharField(
                        blank=True, max_length=200, verbose_name="submission reference"
                    ),
                ),
                ("waived_reason", models.TextField(blank=True, verbose_name="reason waived")),
                (
                    "escalated",
                    models.JSONField(blank=True, default=list, verbose_name="escalations done"),
                ),
                (
                    "overdue_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="marked overdue at"),
                ),
                ("draft", models.TextField(blank=True, verbose_name="report text")),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="obligations",
                        to="operations.incident",
                    ),
                ),
                (
                    "sent_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="sent by",
                    ),
                ),
                (
                    "waived_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "rule",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="obligations",
                        to="operations.obligationrule",
                    ),
                ),
            ],
            options={
                "verbose_name": "reporting obligation",
                "verbose_name_plural": "reporting obligations",
                "ordering": ["due_at", "pk"],
                "indexes": [
                    models.Index(fields=["status", "due_at"], name="obligation_status_due")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("incident", "rule"), name="obligation_once_per_rule"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "sent"), _negated=True),
                            models.Q(("sent_at__isnull", False), ("sent_by__isnull", False)),
                            _connector="OR",
                        ),
                        name="obligation_sent_has_sender",
                    ),
                ],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
