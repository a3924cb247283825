"""Seed role permissions, segregation rules and approval policies (SRM 8-5, ISM 23-1, ISM 31)."""

from django.db import migrations

MANAGE = [
    "accounts.assign_roles",
    "accounts.view_sod_report",
    "approvals.view_all",
    "approvals.propose_policy",
    "notifications.manage",
    "scheduler.view",
]
PERMISSIONS = {
    "board_member": ["approvals.view_all"],
    "system_general_manager": MANAGE,
    "ciso": MANAGE,
    "dept_system_manager": ["scheduler.view"],
    "internal_auditor": ["accounts.view_sod_report", "approvals.view_all", "scheduler.view"],
    "operator": ["scheduler.view"],
}
GRANT_POLICIES = {
    "key_holder": "role_grant",
    "ciso": "role_grant",
    "system_general_manager": "role_grant",
}

RULES = [
    (
        "sod-dev-ops",
        "開発担当者と運用担当者の分離",
        "Developer and operator separated",
        "exclusive_roles",
        "developer",
        "operator",
        True,
        "SRM 8-5, ISM 23-1-3",
    ),
    (
        "sod-manager-staff",
        "管理者と担当者の分離",
        "Manager and staff separated",
        "exclusive_roles",
        "dept_system_manager",
        "operator",
        True,
        "ISM 23-1-3",
    ),
    (
        "sod-audit-independent",
        "監査対象部署からの独立",
        "Auditor independent of the audited department",
        "independent_of_department",
        "internal_auditor",
        None,
        True,
        "SRM 24",
    ),
    (
        "sod-keyholder-auditor",
        "秘密鍵管理者と内部監査人の分離",
        "Key holder and internal auditor separated",
        "exclusive_roles",
        "key_holder",
        "internal_auditor",
        False,
        "ISM 31, SRM 24",
    ),
]

DAY = 86400
POLICIES = [
    (
        "policy_change",
        "承認ポリシーの変更",
        "Change of an approval policy",
        {
            "code": "policy_change",
            "ordered": False,
            "lifetime_seconds": 7 * DAY,
            "stages": [
                {
                    "name": "officers",
                    "roles": ["ciso", "system_general_manager", "board_member"],
                    "required": 2,
                }
            ],
        },
    ),
    (
        "role_grant",
        "重要な役割の付与",
        "Grant of a sensitive role (key holder, CISO, system general manager)",
        {
            "code": "role_grant",
            "ordered": False,
            "lifetime_seconds": 3 * DAY,
            "stages": [
                {
                    "name": "officers",
                    "roles": ["ciso", "system_general_manager", "dept_information_manager"],
                    "required": 2,
                }
            ],
        },
    ),
    (
        "halt_lift",
        "停止措置の解除",
        "Lifting a halt",
        {
            "code": "halt_lift",
            "ordered": False,
            "lifetime_seconds": DAY,
            "stages": [
                {
                    "name": "authorised",
                    "roles": ["ciso", "system_general_manager", "dept_system_manager"],
                    "required": 2,
                }
            ],
        },
    ),
    (
        "board_resolution",
        "委員会及び取締役会の決議",
        "Committee then board resolution",
        {
            "code": "board_resolution",
            "ordered": True,
            "lifetime_seconds": 30 * DAY,
            "stages": [
                {
                    "name": "committee",
                    "roles": ["ciso", "system_general_manager", "dept_information_manager"],
                    "required": 2,
                },
                {"name": "board", "roles": ["board_member"], "required": 2},
            ],
        },
    ),
]


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Rule = apps.get_model("accounts", "SegregationRule")
    Policy = apps.get_model("accounts", "ApprovalPolicy")
    for code, permissions in PERMISSIONS.items():
        Role.objects.filter(code=code).update(permissions=permissions)
    for code, policy in GRANT_POLICIES.items():
        Role.objects.filter(code=code).update(grant_policy=policy)
    for code, name_ja, name_en, kind, a, b, same, article in RULES:
        Rule.objects.update_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "kind": kind,
                "role_a": Role.objects.get(code=a),
                "role_b": Role.objects.get(code=b) if b else None,
                "same_department": same,
                "article": article,
            },
        )
    for code, name_ja, name_en, definition in POLICIES:
        Policy.objects.update_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "definition": definition,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_roles_approvals_reviews")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
