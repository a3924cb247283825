"""Evidence is reviewed: pending until the control's owner accepts or rejects it, with the
requirements it shows and the period it covers. Earlier uploads stay pending."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rulebook", "0003_control_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="evidence",
            name="claimed",
            field=models.ManyToManyField(
                blank=True, related_name="evidence_claimed", to="rulebook.requirement"
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="confirmed",
            field=models.ManyToManyField(
                blank=True, related_name="evidence_confirmed", to="rulebook.requirement"
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="period_end",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="evidence",
            name="period_start",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="evidence",
            name="review",
            field=models.CharField(
                choices=[
                    ("pending", "awaiting review"),
                    ("accepted", "accepted"),
                    ("rejected", "rejected"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="review_note",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="evidence",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="evidence",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("review", "pending"),
                    models.Q(("review_note", ""), _negated=True),
                    _connector="OR",
                ),
                name="rulebook_evidence_review_explained",
            ),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("period_start__isnull", True),
                    ("period_end__isnull", True),
                    ("period_start__lte", models.F("period_end")),
                    _connector="OR",
                ),
                name="rulebook_evidence_period_ordered",
            ),
        ),
    ]
