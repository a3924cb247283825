"""Which roles a person holds now (SRM 8-5, ISM 23-1-1): the one query approvals and the
permission checks both read, below both so neither imports the other to ask."""

from __future__ import annotations

from mamori.accounts.models import RoleAssignment, User

__all__ = ["roles_of"]


def roles_of(user: User) -> frozenset[str]:
    """Return the codes of the roles ``user`` holds now."""
    if not user.is_active:
        return frozenset()
    return frozenset(
        RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).values_list(
            "role__code", flat=True
        )
    )
