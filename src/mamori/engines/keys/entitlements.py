"""Key-holder entitlements reconciled with the systems where keys are used (ISM 31-1, 31-2).

Framework-free: the approved grants of one system and the accounts imported from it go in,
findings come out. A grant is a person × role in the system, active or removed; an account
is a row the system itself reports (its account name, the person identifier it carries and
one role). People are resolved through ``people``: every identifier (username, e-mail, the
system's own account name…) mapped, lower-cased, to the person's username.

The findings, each with a stable code:

* ``entitlement.unknown_person`` — the account's person identifier names nobody known;
* ``entitlement.not_removed`` — the person's grant was removed but the account is still there
  (ISM 31-1: authority completely revoked);
* ``entitlement.role_differs`` — the person holds a grant in the system, but not this role;
* ``entitlement.no_grant`` — an account of a known person who never had a grant here;
* ``entitlement.no_account`` — an active grant the system does not show (the lesser finding:
  the person cannot act, but the register is wrong).

A finding's :attr:`Finding.key` is the same for the same discrepancy in every import, so a
finding stays one finding from one reconciliation to the next.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "CODES",
    "LESSER",
    "Account",
    "Finding",
    "Grant",
    "reconcile",
]

UNKNOWN_PERSON = "entitlement.unknown_person"
NOT_REMOVED = "entitlement.not_removed"
ROLE_DIFFERS = "entitlement.role_differs"
NO_GRANT = "entitlement.no_grant"
NO_ACCOUNT = "entitlement.no_account"

#: Every finding code, most serious first.
CODES = (NOT_REMOVED, NO_GRANT, UNKNOWN_PERSON, ROLE_DIFFERS, NO_ACCOUNT)
#: The codes that are a warning rather than critical.
LESSER = frozenset({NO_ACCOUNT})


@dataclass(frozen=True)
class Grant:
    """An approved grant of ``role`` in one system to ``person`` (a username); ``active``
    False once its removal was carried out."""

    person: str
    role: str
    active: bool = True


@dataclass(frozen=True)
class Account:
    """One (account, person identifier, role) row as the system reports it; ``line`` is
    where the row was in the imported file."""

    account: str
    person: str
    role: str
    line: int = 0


@dataclass(frozen=True)
class Finding:
    """One discrepancy between the grants and the system's accounts (ISM 31-1)."""

    code: str
    account: str
    person: str
    role: str
    expected: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What the finding is known by from one import to the next."""
        return "|".join((self.code, self.account, self.person, self.role))

    @property
    def lesser(self) -> bool:
        """Whether this is a warning (a grant the system does not show) rather than critical."""
        return self.code in LESSER


def _resolve(identifier: str, people: Mapping[str, str]) -> str | None:
    wanted = identifier.strip().lower()
    return people.get(wanted) if wanted else None


def reconcile(
    grants: Iterable[Grant], accounts: Iterable[Account], people: Mapping[str, str]
) -> tuple[Finding, ...]:
    """Compare one system's grants with its imported accounts; return the findings, sorted
    and without duplicates (ISM 31-1, 31-2).

    An account is measured against the person's grants: the role granted and active is
    fine; another role while the person holds some active grant differs; a person whose
    grants were all removed is still present; a known person without any grant has no
    grant; an identifier naming nobody is an unknown person. An active grant with no account
    carrying its role is missing from the system, unless the person's account shows another
    role (then the role differs, with the granted roles as expected).
    """
    grants = list(grants)
    active: dict[str, set[str]] = {}
    removed: set[str] = set()
    for grant in grants:
        if grant.active:
            active.setdefault(grant.person, set()).add(grant.role)
        else:
            removed.add(grant.person)
    found: set[Finding] = set()
    shown: dict[str, set[str]] = {}
    differs: set[str] = set()
    for row in accounts:
        person = _resolve(row.person, people)
        if person is None:
            found.add(Finding(UNKNOWN_PERSON, row.account, row.person.strip(), row.role))
            continue
        shown.setdefault(person, set()).add(row.role)
        roles = active.get(person)
        if roles and row.role in roles:
            continue
        if roles:
            differs.add(person)
            found.add(Finding(ROLE_DIFFERS, row.account, person, row.role, tuple(sorted(roles))))
        elif person in removed:
            found.add(Finding(NOT_REMOVED, row.account, person, row.role))
        else:
            found.add(Finding(NO_GRANT, row.account, person, row.role))
    for person, roles in active.items():
        if person in differs:
            continue
        for role in sorted(roles - shown.get(person, set())):
            found.add(Finding(NO_ACCOUNT, "", person, role, (role,)))
    order = {code: n for n, code in enumerate(CODES)}
    return tuple(sorted(found, key=lambda f: (order[f.code], f.person, f.account, f.role)))
