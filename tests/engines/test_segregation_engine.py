"""Segregation of duties: refused pairs, scoped by department, auditors independent."""

from mamori.engines.segregation import Holding, Kind, Rule, conflicts, violations

DEV_OPS = Rule("SOD-DEV-OPS", Kind.EXCLUSIVE_ROLES, "developer", "operator", True, "SRM 8-5")
AUDIT = Rule("SOD-AUDIT", Kind.INDEPENDENT_OF_DEPARTMENT, "internal_auditor", article="SRM 24")


def test_developer_and_operator_of_the_same_department_are_refused() -> None:
    current = [Holding("ann", "developer", "systems")]
    breaches = violations([DEV_OPS], Holding("ann", "operator", "systems"), current)
    assert [b.rule.code for b in breaches] == ["SOD-DEV-OPS"]
    assert (
        "cannot be operator in systems while holding developer in systems" in breaches[0].explain()
    )


def test_the_same_pair_in_different_departments_is_allowed_when_scoped() -> None:
    current = [Holding("ann", "developer", "systems")]
    assert violations([DEV_OPS], Holding("ann", "operator", "custody"), current) == []
    company_wide = Rule("X", Kind.EXCLUSIVE_ROLES, "developer", "operator", same_department=False)
    assert violations([company_wide], Holding("ann", "operator", "custody"), current)


def test_a_company_wide_holding_overlaps_every_department() -> None:
    current = [Holding("ann", "developer", None)]
    assert violations([DEV_OPS], Holding("ann", "operator", "custody"), current)


def test_an_auditor_cannot_audit_their_own_department() -> None:
    member = Holding("kim", "internal_auditor", "custody", home_department="custody")
    assert violations([AUDIT], member, [])
    holder = [Holding("kim", "key_holder", "custody", home_department="audit")]
    assert violations([AUDIT], Holding("kim", "internal_auditor", "custody", "audit"), holder)
    assert violations([AUDIT], Holding("kim", "internal_auditor", "systems", "audit"), holder) == []


def test_roles_the_rules_allow_together_are_allowed() -> None:
    current = [Holding("tak", "system_general_manager", None)]
    assert violations([DEV_OPS, AUDIT], Holding("tak", "ciso", None), current) == []


def test_conflicts_lists_existing_breaches_once() -> None:
    holdings = [
        Holding("ann", "developer", "systems"),
        Holding("ann", "operator", "systems"),
        Holding("bob", "developer", "systems"),
    ]
    found = conflicts([DEV_OPS], holdings)
    assert len(found) == 1
    assert found[0].holding.person == "ann"
