"""A case opened by a refused book (kind, book; run now optional) and the halt a case could
not make (halt_refused)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0002_permissions_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="book",
            field=models.ForeignKey(
                blank=True,
                help_text="The refused book that opened the case.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="reconciliation.bookimport",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="halt_refused",
            field=models.CharField(
                blank=True,
                help_text="Why the halt the policy called for could not be made (the monitor's code).",
                max_length=40,
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="kind",
            field=models.CharField(
                choices=[("difference", "difference"), ("book_refused", "book refused")],
                default="difference",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="asset",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="case",
            name="halt_ordered",
            field=models.BooleanField(
                default=False,
                help_text="The custody monitor confirmed the halt of the asset's withdrawals.",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="run",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="reconciliation.run",
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "difference"), ("run__isnull", False)),
                    models.Q(("book__isnull", False), ("kind", "book_refused")),
                    _connector="OR",
                ),
                name="reconciliation_case_has_its_origin",
            ),
        ),
    ]
