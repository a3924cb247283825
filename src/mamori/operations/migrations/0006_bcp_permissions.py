"""The representative director (SRM 5-2), who may see and run plans, drills, reviews and the
CSIRT roster, and the approval policy of a contingency plan version (SRM 5-2, ISM 3)."""

from django.db import migrations

PERMISSIONS = {
    # drafting plans, scheduling and running drills (SRM 5-2)
    "plans.manage": ["representative_director", "system_general_manager", "ciso"],
    "incidents.view": ["representative_director"],
    "incidents.manage": ["representative_director"],
    "incidents.report": ["representative_director"],
    "rulebook.view": ["representative_director"],
}

POLICY = {
    "code": "contingency_plan",
    "ordered": False,
    "lifetime_seconds": 14 * 86400,
    "stages": [
        {
            "name": "officers",
            "roles": ["representative_director", "system_general_manager", "ciso"],
            "required": 2,
        }
    ],
}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    Role.objects.update_or_create(
        code="representative_director",
        defaults={
            "name_ja": "代表取締役",
            "name_en": "Representative director",
            "article": "SRM 5-2",
            "per_department": False,
        },
    )
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    Policy.objects.update_or_create(
        code=POLICY["code"],
        defaults={
            "name_ja": "コンティンジェンシープランの承認",
            "name_en": "Approval of a contingency plan version",
            "definition": POLICY,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0005_bcp_models"),
        ("accounts", "0008_alter_user_managers"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
