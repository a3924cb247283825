"""What can be verified of seeds and shares without keeping them (ISM 28-1-2, 28-2-2):

- a SLIP-39 share set's public parameters (identifier, group threshold and count, member
  thresholds) read from the shares at the ceremony and compared with the registered scheme —
  the share values themselves are dropped at once and never returned;
- the BIP-39 implementation of a generation tool checked beforehand against published test
  vectors (entropy → words → seed), and a phrase's BIP-39 checksum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mnemonic import Mnemonic
from shamir_mnemonic.share import Share

from mamori.engines.keys.findings import Finding

__all__ = [
    "Bip39Vector",
    "ShareError",
    "ShareScheme",
    "ShareSet",
    "bip39_checksum_ok",
    "check_bip39_vectors",
    "check_share_set",
    "share_set_parameters",
]


class ShareError(ValueError):
    """Shares that cannot be read as one SLIP-39 set; the message never repeats a share."""


@dataclass(frozen=True)
class ShareScheme:
    """The registered SLIP-39 scheme: ``group_threshold`` of the groups, each group given as
    (member threshold, member count)."""

    group_threshold: int
    groups: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class GroupSeen:
    """One group as its shares show it: its index, member threshold and members seen."""

    index: int
    member_threshold: int
    members: int


@dataclass(frozen=True)
class ShareSet:
    """The public parameters of a SLIP-39 share set: no share value, no secret."""

    identifier: int
    extendable: bool
    iteration_exponent: int
    group_threshold: int
    group_count: int
    groups: tuple[GroupSeen, ...]


def share_set_parameters(mnemonics: Sequence[str]) -> ShareSet:
    """Read the public parameters of a SLIP-39 share set (checksums verified by the library);
    raise :class:`ShareError` if the shares are not one consistent set."""
    if not mnemonics:
        raise ShareError("expected at least one SLIP-39 share, got none")
    shares = []
    for number, words in enumerate(mnemonics, 1):
        try:
            shares.append(Share.from_mnemonic(words))
        except Exception as exc:  # MnemonicError, or a word not in the list
            raise ShareError(f"share {number} is not a valid SLIP-39 share: {exc}") from None
    first = shares[0]
    common = ("identifier", "extendable", "iteration_exponent", "group_threshold", "group_count")
    for number, share in enumerate(shares, 1):
        for name in common:
            if getattr(share, name) != getattr(first, name):
                raise ShareError(
                    f"share {number}: expected {name} {getattr(first, name)} as share 1, "
                    f"got {getattr(share, name)} — not one share set"
                )
    groups: dict[int, tuple[int, set[int]]] = {}
    for number, share in enumerate(shares, 1):
        threshold, members = groups.setdefault(share.group_index, (share.member_threshold, set()))
        if share.member_threshold != threshold:
            raise ShareError(
                f"share {number}: expected member threshold {threshold} in group "
                f"{share.group_index + 1}, got {share.member_threshold}"
            )
        members.add(share.index)
    return ShareSet(
        identifier=int(first.identifier),
        extendable=bool(first.extendable),
        iteration_exponent=int(first.iteration_exponent),
        group_threshold=int(first.group_threshold),
        group_count=int(first.group_count),
        groups=tuple(
            GroupSeen(index, threshold, len(members))
            for index, (threshold, members) in sorted(groups.items())
        ),
    )


def check_share_set(subject: str, seen: ShareSet, scheme: ShareScheme) -> list[Finding]:
    """Compare the parameters a share set shows with the registered scheme; one finding per
    difference, or one that holds."""
    article = "ISM 28-2-2"
    found = []

    def differs(code: str, what: str, expected: object, got: object) -> None:
        found.append(
            Finding(
                f"ceremony.slip39_{code}",
                subject,
                False,
                article,
                f"{subject}: the shares' {what} is not the registered one",
                str(expected),
                str(got),
            )
        )

    if seen.group_threshold != scheme.group_threshold:
        differs("group_threshold", "group threshold", scheme.group_threshold, seen.group_threshold)
    if seen.group_count != len(scheme.groups):
        differs("group_count", "group count", len(scheme.groups), seen.group_count)
    for group in seen.groups:
        if group.index >= len(scheme.groups):
            continue
        threshold, count = scheme.groups[group.index]
        if group.member_threshold != threshold:
            differs(
                "member_threshold",
                f"member threshold of group {group.index + 1}",
                threshold,
                group.member_threshold,
            )
        if group.members > count:
            differs(
                "member_count", f"member count of group {group.index + 1}", count, group.members
            )
    if not found:
        found.append(
            Finding(
                "ceremony.slip39",
                subject,
                True,
                article,
                f"{subject}: SLIP-39 {seen.group_threshold}-of-{seen.group_count} groups "
                "as registered",
            )
        )
    return found


@dataclass(frozen=True)
class Bip39Vector:
    """A published BIP-39 test vector: entropy, its words and the seed under ``passphrase``."""

    entropy: str
    mnemonic: str
    seed: str
    passphrase: str = "TREZOR"


def bip39_checksum_ok(phrase: str, language: str = "english") -> bool:
    """Return whether ``phrase`` is BIP-39 words of ``language`` with a valid checksum."""
    try:
        return bool(Mnemonic(language).check(phrase))
    except (ValueError, LookupError):
        return False


def check_bip39_vectors(
    subject: str, vectors: Sequence[Bip39Vector], language: str = "english"
) -> list[Finding]:
    """Verify a BIP-39 implementation against published vectors (ISM 28-1-2, prior
    verification of the generation method): checksum, entropy → words, words → seed."""
    article = "ISM 28-1-2"
    words = Mnemonic(language)
    found = []
    for number, vector in enumerate(vectors, 1):
        name = f"{subject}: vector {number}"
        problem = ""
        if not bip39_checksum_ok(vector.mnemonic, language):
            problem, expected, got = "checksum", "a valid BIP-39 checksum", "an invalid one"
        else:
            made = words.to_mnemonic(bytes.fromhex(vector.entropy)).split()
            given = vector.mnemonic.split()
            if made != given:
                at = next(
                    (i for i, (a, b) in enumerate(zip(made, given, strict=False)) if a != b), 0
                )
                problem = "words"
                expected = f"{len(made)} words"
                got = f"{len(given)} words, word {at + 1} differs"
            else:
                seed = words.to_seed(vector.mnemonic, vector.passphrase).hex()
                if seed != vector.seed.lower():
                    problem, expected, got = "seed", seed[:16] + "…", vector.seed[:16] + "…"
        if problem:
            found.append(
                Finding(
                    f"ceremony.bip39_{problem}",
                    name,
                    False,
                    article,
                    f"{name}: the {problem} does not match",
                    expected,
                    got,
                )
            )
        else:
            found.append(Finding("ceremony.bip39", name, True, article, f"{name}: matches"))
    return found
