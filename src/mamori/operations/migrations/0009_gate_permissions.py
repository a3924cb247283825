"""Who may see and set quality plans, ask the deploy gate and review security, and the approval
policy of a gate override (SRM 16, 18, 19)."""

from django.db import migrations

PERMISSIONS = {
    # reading the quality plans, the standard, freeze windows, gate answers, findings
    "quality.view": [
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "dept_information_manager",
        "developer",
        "operator",
        "internal_auditor",
    ],
    # setting quality plans, the secure-coding standard, freeze windows; resolving findings
    "quality.manage": ["system_general_manager", "dept_system_manager"],
    # recording a security review of a change (someone other than its responsible person)
    "quality.review": ["system_general_manager", "ciso", "dept_information_manager"],
    # asking the deploy gate, attesting, asking for an override
    "changes.gate": ["system_general_manager", "dept_system_manager", "developer", "operator"],
}

POLICY = {
    "code": "gate_override",
    "ordered": False,
    "lifetime_seconds": 2 * 86400,
    "stages": [
        {
            "name": "officers",
            "roles": ["system_general_manager", "ciso"],
            "required": 1,
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
            "name_ja": "デプロイゲートのオーバーライド",
            "name_en": "Override of the deploy gate",
            "definition": POLICY,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0008_gate"),
        ("accounts", "0008_alter_user_managers"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
