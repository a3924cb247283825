"""Argon2 at the lowest cost, for the test run only.

Every sign-in checks a password, and Django's Argon2 parameters (2 passes over 100 MiB, on
purpose) cost a few hundred milliseconds a check on the 2-core CI machine: a thousand
sign-ins in a run spent minutes there. The tests run the same code (Django's Argon2 hasher,
hashes that start ``argon2``) with one pass over 64 KiB; the installation keeps Django's
parameters (``mamori.settings.PASSWORD_HASHERS``).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher

__all__ = ["QuickArgon2PasswordHasher"]


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher with the smallest parameters Argon2 allows in practice."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
