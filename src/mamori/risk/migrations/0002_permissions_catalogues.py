"""Who may see and work risk management; the starter catalogues and criteria."""

from django.db import migrations

PERMISSIONS = {
    "risk.view": [
        "board_member",
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "dept_information_manager",
        "risk_owner",
        "csirt_member",
        "internal_auditor",
    ],
    "risk.manage": [
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "dept_information_manager",
    ],
    "risk.own": [
        "system_general_manager",
        "ciso",
        "dept_system_manager",
        "dept_information_manager",
        "risk_owner",
    ],
}


def seed(apps, schema_editor):
    from mamori.engines.risk import default_matrix_data
    from mamori.risk import starter
    from mamori.risk.services.criteria import DEFAULT_CRITERIA_EN, DEFAULT_CRITERIA_JA

    Role = apps.get_model("accounts", "Role")
    for permission, roles in PERMISSIONS.items():
        for role in Role.objects.filter(code__in=roles):
            if permission not in role.permissions:
                role.permissions = [*role.permissions, permission]
                role.save(update_fields=["permissions"])
    Threat = apps.get_model("risk", "Threat")
    for code, name_ja, name_en, text_ja, text_en in starter.THREATS:
        Threat.objects.get_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "description_ja": text_ja,
                "description_en": text_en,
            },
        )
    Vulnerability = apps.get_model("risk", "Vulnerability")
    for code, name_ja, name_en in starter.VULNERABILITIES:
        Vulnerability.objects.get_or_create(
            code=code, defaults={"name_ja": name_ja, "name_en": name_en}
        )
    Incident = apps.get_model("risk", "ExternalIncident")
    for code, name_ja, name_en, firm, year, text_ja, text_en in starter.INCIDENTS:
        Incident.objects.get_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "firm": firm,
                "year": year,
                "summary_ja": text_ja,
                "summary_en": text_en,
            },
        )
    RiskMatrix = apps.get_model("risk", "RiskMatrix")
    RiskMatrix.objects.get_or_create(
        code="default",
        version=1,
        defaults={
            "name_ja": "標準リスク基準 5×5",
            "name_en": "Standard 5×5 risk criteria",
            "data": default_matrix_data(),
            "criteria_ja": DEFAULT_CRITERIA_JA,
            "criteria_en": DEFAULT_CRITERIA_EN,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0001_initial"),
        ("accounts", "0005_auditlog_permission"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
