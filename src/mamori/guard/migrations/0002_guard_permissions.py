"""Who may see and use the containment tools and the customer notices (SRM 10-2, 10-6-3), and
the two-person policy for switching a stopped function back on."""

from django.db import migrations

PERMISSIONS = {
    "guard.view": [
        "board_member",
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "csirt_member",
        "operator",
        "internal_auditor",
    ],
    "guard.manage": ["system_general_manager", "ciso", "csirt_member"],
    # guard.edge (the edge and services reading the block list and the kill switch through a
    # token with scope guard:read) is held by no role: those tokens are the installation's
}

POLICY = {
    "code": "guard_function_restore",
    "ordered": False,
    "lifetime_seconds": 86400,
    "stages": [
        {
            "name": "authorised",
            "roles": ["ciso", "system_general_manager", "csirt_member"],
            "required": 2,
        }
    ],
}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    Policy.objects.update_or_create(
        code=POLICY["code"],
        defaults={
            "name_ja": "停止した顧客向け機能の再開",
            "name_en": "Switching a stopped customer-facing function back on",
            "definition": POLICY,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("guard", "0001_initial"),
        ("accounts", "0008_alter_user_managers"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
