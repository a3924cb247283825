"""Who may see and run the systems register, the development plan and changes; the approval
policies of change stages; the default stage rules per kind of change (SRM 11-3, 17, 22)."""

from django.db import migrations

PERMISSIONS = {
    "changes.view": [
        "board_member",
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "dept_information_manager",
        "developer",
        "operator",
        "internal_auditor",
        "risk_owner",
        "representative_director",
    ],
    "changes.manage": ["system_general_manager", "dept_system_manager", "developer"],
    "systems.manage": ["system_general_manager", "dept_system_manager"],
    "devplan.manage": ["system_general_manager", "dept_system_manager"],
}

POLICIES = [
    (
        "change_stage",
        "変更の段階承認",
        "Approval of a change's stage",
        {
            "code": "change_stage",
            "ordered": False,
            "lifetime_seconds": 14 * 86400,
            "stages": [
                {
                    "name": "system managers",
                    "roles": ["system_general_manager", "dept_system_manager", "ciso"],
                    "required": 1,
                }
            ],
        },
    ),
    (
        "change_release",
        "本番移行の承認",
        "Approval of a release to production",
        {
            "code": "change_release",
            "ordered": False,
            "lifetime_seconds": 14 * 86400,
            "stages": [
                {
                    "name": "release board",
                    "roles": ["system_general_manager", "dept_system_manager", "ciso"],
                    "required": 2,
                }
            ],
        },
    ),
]

# kind, stage entered, needs approval, policy, after the fact
RULES = [
    # a normal change: planning approved before design, design before build, migration
    # before release (SRM 11-3)
    ("normal", "design", True, "change_stage", False),
    ("normal", "build", True, "change_stage", False),
    ("normal", "release", True, "change_release", False),
    # a standard change is pre-approved except its release
    ("standard", "release", True, "change_stage", False),
    # an emergency change may release first: its approvals come after the fact
    ("emergency", "design", True, "change_stage", True),
    ("emergency", "release", True, "change_release", True),
]


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    StageRule = apps.get_model("operations", "StageRule")
    ChangeSetting = apps.get_model("operations", "ChangeSetting")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    for code, name_ja, name_en, definition in POLICIES:
        Policy.objects.update_or_create(
            code=code,
            defaults={"name_ja": name_ja, "name_en": name_en, "definition": definition},
        )
    for kind, stage, needs, policy, after in RULES:
        StageRule.objects.update_or_create(
            kind=kind,
            stage=stage,
            defaults={"needs_approval": needs, "policy": policy, "after_the_fact": after},
        )
    if not ChangeSetting.objects.exists():
        ChangeSetting.objects.create()


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0015_changes_control"),
        ("operations", "0006_bcp_permissions"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
