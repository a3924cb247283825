"""Refuse a tree head that does not extend the last one signed (RFC 6962 §2.1.2).

The signer and the witness hold the last checkpoint they vouched for and accept a new tree
head only with a consistency proof that checks against that root: a log rewritten in place,
cut short, or forked never gets a second signature, whoever wrote the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from mamori.engines.merkle.checkpoint import Checkpoint
from mamori.engines.merkle.verify import ProofError, verify_consistency

__all__ = ["Divergence", "check_extends"]


class Divergence(ValueError):
    """A tree head that does not extend the last signed one.

    ``size`` and ``signed`` are the last signed checkpoint, ``found`` the root the data gives
    at that size (None when unknown, or when the log no longer holds that many entries:
    ``truncated``).
    """

    def __init__(
        self, size: int, signed: bytes, found: bytes | None, detail: str, truncated: bool = False
    ) -> None:
        self.size = size
        self.signed = signed
        self.found = found
        self.detail = detail
        self.truncated = truncated
        if truncated:
            text = f"checkpoint {size} was signed but the log now holds {detail}"
        elif found is None:
            text = (
                f"the log does not extend checkpoint {size} (signed root {signed.hex()}): {detail}"
            )
        else:
            text = (
                f"the log diverges from checkpoint {size}: signed root {signed.hex()}, "
                f"the log gives {found.hex()} ({detail})"
            )
        super().__init__(text)


def check_extends(
    last: Checkpoint | None,
    size: int,
    root: bytes,
    proof: Sequence[bytes],
    found: bytes | None = None,
) -> None:
    """Raise :class:`Divergence` unless the tree (``size``, ``root``) extends ``last``,
    checking ``proof`` — PROOF(last.size, D[0:size]) — against the last signed root.

    ``found``, the root the data gives at ``last.size`` if the caller knows it, only makes
    the message exact; the decision rests on the proof alone.
    """
    if last is None or last.size == 0:
        return
    if size < last.size:
        raise Divergence(last.size, last.root, None, f"{size} entries", truncated=True)
    try:
        verify_consistency(last.size, size, last.root, root, proof)
    except ProofError as exc:
        raise Divergence(last.size, last.root, found, str(exc)) from None
