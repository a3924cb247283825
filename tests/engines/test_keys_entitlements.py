"""The reconciliation of key-holder grants with a system's accounts (ISM 31-1), against a
brute-force oracle, and the adapters that read the systems' files (ISM 31-3)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.engines.keys import entitlement_formats as formats
from mamori.engines.keys import entitlements as engine
from mamori.engines.keys.entitlements import Account, Finding, Grant

PEOPLE = ["alice", "bob", "carol"]
ROLES = ["admin", "signer", "viewer"]
#: Identifiers a system may carry: usernames (any case), e-mails, and names nobody has.
IDENTIFIERS = ["alice", "BOB", "carol@example.com", "mallory", "ghost@example.com"]
KNOWN = {"alice": "alice", "bob": "bob", "carol": "carol", "carol@example.com": "carol"}

grants = st.lists(
    st.builds(Grant, st.sampled_from(PEOPLE), st.sampled_from(ROLES), st.booleans()), max_size=8
)
accounts = st.lists(
    st.builds(
        Account,
        st.sampled_from(["acct-1", "acct-2", "acct-3"]),
        st.sampled_from(IDENTIFIERS),
        st.sampled_from(ROLES),
    ),
    max_size=8,
)


def _who(identifier: str) -> str | None:
    return KNOWN.get(identifier.lower())


def oracle(gs: list[Grant], rows: list[Account]) -> set[Finding]:
    """Every finding, from the definition, one case at a time."""
    out: set[Finding] = set()
    for row in rows:
        person = _who(row.person)
        if person is None:
            out.add(Finding(engine.UNKNOWN_PERSON, row.account, row.person, row.role))
            continue
        mine = [g for g in gs if g.person == person]
        if any(g.active and g.role == row.role for g in mine):
            continue
        held = sorted({g.role for g in mine if g.active})
        if held:
            out.add(Finding(engine.ROLE_DIFFERS, row.account, person, row.role, tuple(held)))
        elif mine:
            out.add(Finding(engine.NOT_REMOVED, row.account, person, row.role))
        else:
            out.add(Finding(engine.NO_GRANT, row.account, person, row.role))
    for grant in gs:
        if not grant.active:
            continue
        shown = [r for r in rows if _who(r.person) == grant.person]
        if any(r.role == grant.role for r in shown):
            continue
        ungranted = [
            r
            for r in shown
            if not any(h.active and h.person == grant.person and h.role == r.role for h in gs)
        ]
        if ungranted:
            continue
        out.add(Finding(engine.NO_ACCOUNT, "", grant.person, grant.role, (grant.role,)))
    return out


@settings(max_examples=400, deadline=None)
@given(grants, accounts)
def test_reconcile_finds_exactly_what_the_oracle_finds(
    gs: list[Grant], rows: list[Account]
) -> None:
    found = engine.reconcile(gs, rows, KNOWN)
    assert set(found) == oracle(gs, rows)
    assert len(found) == len(set(found))
    assert engine.reconcile(list(reversed(gs)), list(reversed(rows)), KNOWN) == found


@settings(max_examples=200, deadline=None)
@given(grants)
def test_accounts_matching_the_active_grants_find_nothing(gs: list[Grant]) -> None:
    rows = [Account(f"a-{g.person}", g.person, g.role) for g in gs if g.active]
    assert engine.reconcile(gs, rows, KNOWN) == ()


def test_each_case_has_its_stable_code() -> None:
    gs = [Grant("alice", "signer", False), Grant("bob", "admin"), Grant("carol", "viewer")]
    rows = [
        Account("cu-alice", "alice", "signer"),
        Account("so-bob", "bob", "signer"),
        Account("x", "mallory", "admin"),
    ]
    found = {(f.code, f.person, f.role) for f in engine.reconcile(gs, rows, KNOWN)}
    assert found == {
        ("entitlement.not_removed", "alice", "signer"),
        ("entitlement.role_differs", "bob", "signer"),
        ("entitlement.unknown_person", "mallory", "admin"),
        ("entitlement.no_account", "carol", "viewer"),
    }
    lesser = [f for f in engine.reconcile(gs, rows, KNOWN) if f.lesser]
    assert [f.code for f in lesser] == ["entitlement.no_account"]
    rows.append(Account("new", "carol@example.com", "admin"))
    assert ("entitlement.role_differs", "carol", "admin") in {
        (f.code, f.person, f.role) for f in engine.reconcile(gs, rows, KNOWN)
    }


def test_csv_reports_every_bad_row_with_its_line_and_keeps_none() -> None:
    data = b"account,person,role\nso-1,alice,admin\n,bob,signer\nso-3,carol\nso-1,alice,admin\n"
    parsed = formats.read_csv(data)
    assert [(e.line, e.code, e.why) for e in parsed.errors] == [
        (3, "missing", "missing: account"),
        (4, "columns", "2 column(s), the header has 3"),
        (5, "repeated", "the account and role repeat line 2"),
    ]
    assert parsed.errors[1].params == (("found", "2"), ("wanted", "3"))
    good = formats.read_csv("\ufeffRole,Account,Person,extra\nadmin,so-1,alice,x\n".encode())
    assert good.errors == [] and good.rows == [Account("so-1", "alice", "admin", 2)]
    header = formats.read_csv(b"user,role\n").errors[0]
    assert header.code == "header" and dict(header.params) == {"columns": "account, person"}
    assert "not UTF-8" in formats.read_csv(b"\xff\xfe").errors[0].why


def test_json_reports_the_line_of_each_bad_entry() -> None:
    data = (
        b'[\n  {"account": "a", "person": "alice", "role": "admin"},\n  {"account": "b"},\n  7\n]'
    )
    parsed = formats.read_json(data)
    assert [e.line for e in parsed.errors] == [3, 4]
    assert parsed.errors[0].why == "missing: person, role"
    assert formats.read_json(b'{"account": 1}').errors[0].why.startswith("the file must be")
    assert formats.read_json(b"[\n{,\n]").errors[0].line == 2


def test_aws_key_policy_gives_one_row_per_principal_and_refuses_a_wildcard() -> None:
    policy = b"""{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "KeyAdministrators", "Effect": "Allow",
     "Principal": {"AWS": ["arn:aws:iam::111122223333:user/alice",
                           "arn:aws:iam::111122223333:root"]}},
    {"Sid": "KeyUsers", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:sts::111122223333:assumed-role/Signer/bob"}},
    {"Sid": "NoOne", "Effect": "Deny", "Principal": "*"}
  ]
}"""
    parsed = formats.read_aws_key_policy(policy)
    assert parsed.errors == []
    assert [(r.person, r.role, r.line) for r in parsed.rows] == [
        ("alice", "KeyAdministrators", 4),
        ("root", "KeyAdministrators", 4),
        ("bob", "KeyUsers", 7),
    ]
    bad = policy.replace(
        b'"Principal": {"AWS": "arn:aws:sts', b'"Principal": {"AWS": "*", "x": "arn:aws:sts'
    )
    bad = bad.replace(b'"Sid": "KeyAdministrators", ', b"")
    errors = formats.read_aws_key_policy(bad).errors
    assert [(e.line, e.why) for e in errors] == [
        (4, "the statement has no Sid to name its role"),
        (7, "statement KeyUsers: a wildcard principal names nobody"),
    ]
