"""Seed the roles the rules create (SRM 5–7, ISM 7–9, ISM 23-1-3, ISM 31, SRM 24)."""

from django.db import migrations

ROLES = [
    ("board_member", "取締役", "Board member", "SRM 4, ISM 8-1", False),
    ("system_general_manager", "システム統括管理責任者", "System general manager", "SRM 6", False),
    ("ciso", "情報セキュリティ最高責任者", "Chief information security officer", "ISM 8", False),
    ("dept_system_manager", "システム管理責任者", "Department system manager", "SRM 7", True),
    ("dept_information_manager", "情報管理責任者", "Department information manager", "ISM 9", True),
    ("risk_owner", "リスク所有者", "Risk owner", "ISM 14, ISM 20", True),
    ("key_holder", "秘密鍵管理者", "Key holder", "ISM 31", True),
    ("custody_operator", "カストディ業務担当者", "Custody operator", "ISM 25–30", True),
    ("csirt_member", "CSIRT要員", "CSIRT member", "SRM 10", False),
    ("developer", "開発担当者", "Developer", "SRM 8-5, ISM 23-1-3", True),
    ("operator", "運用担当者", "Operator", "SRM 8-5, ISM 23-1-3", True),
    ("internal_auditor", "内部監査人", "Internal auditor", "SRM 24", False),
    ("read_only", "閲覧者", "Read-only", "ISM 23-1-1", False),
]


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, name_ja, name_en, article, per_department in ROLES:
        Role.objects.update_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "article": article,
                "per_department": per_department,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
