"""Refuse anything that looks like a secret before it is kept: mamori never stores a seed or
private key (ISM 28-3-1; the ceremony's output is public data only, ISM 28-1, 28-2).

:func:`find_secrets` walks any JSON-like value (dicts, lists, strings, bytes) and names the
place and kind of each suspected secret — never the secret itself:

- extended private keys (xprv, tprv, yprv, zprv, uprv, vprv, Yprv, Zprv ...);
- WIF private keys (base58check, version 0x80 or 0xef, 32 bytes and an optional 0x01);
- a run of 12 or more BIP-39 words (English or Japanese) or 20 or more SLIP-39 words;
- 32 bytes in hex (a raw private key) unless the field is named as a hash or identifier;
- PEM private keys; fields named ``seed``, ``mnemonic``, ``private_key`` (``privateKey``,
  ``private-key``) and the like.

:func:`refuse_secrets` raises :class:`SecretFound` when anything is found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from embit import base58
from mnemonic import Mnemonic
from shamir_mnemonic.wordlist import WORDLIST as SLIP39_WORDS

__all__ = ["SecretFound", "SecretHit", "find_secrets", "refuse_secrets"]

_B58 = "1-9A-HJ-NP-Za-km-z"
_EXTENDED_PRIVATE = re.compile(rf"\b[xtyzuvYZUV]prv[{_B58}]{{100,}}")
_WIF = re.compile(rf"\b[5KLc9][{_B58}]{{50,51}}\b")
_HEX32 = re.compile(r"(?<![0-9A-Fa-fx])(?:0x)?[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")
_PEM = re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")
_LATIN_WORD = re.compile(r"[a-z]+")
_SLIP39 = frozenset(SLIP39_WORDS)
#: field names whose value is a secret whatever it looks like
_SECRET_FIELDS = frozenset(
    {
        "seed",
        "seedphrase",
        "recoveryphrase",
        "mnemonic",
        "privatekey",
        "privkey",
        "secret",
        "secretkey",
        "xprv",
        "wif",
        "passphrase",
        "entropy",
        "share",
        "shares",
        "mastersecret",
    }
)
#: a 64-hex value under a field whose name contains one of these is a hash, not a key
_HASH_FIELDS = ("hash", "digest", "txid", "sha256", "checksum", "fingerprint", "identifier")


@dataclass(frozen=True)
class SecretHit:
    """Where a suspected secret is (``path`` such as ``keys[1].note``) and what it looks like."""

    path: str
    kind: str

    def explain(self) -> str:
        """Say where and what, without the value."""
        return f"{self.path or '(top)'} looks like {self.kind.replace('_', ' ')}"


class SecretFound(ValueError):
    """A value that was to be kept contains what looks like a secret."""

    code = "secret_refused"

    def __init__(self, hits: list[SecretHit]) -> None:
        self.hits = hits
        said = "; ".join(hit.explain() for hit in hits)
        super().__init__(
            f"refused: {said} — mamori never stores a seed or private key; keep only public "
            "data (addresses, extended public keys, public keys)"
        )


@cache
def _bip39(language: str) -> frozenset[str]:
    return frozenset(Mnemonic(language).wordlist)


def _longest_run(words: list[str], vocabulary: frozenset[str]) -> int:
    best = run = 0
    for word in words:
        run = run + 1 if word in vocabulary else 0
        best = max(best, run)
    return best


def _is_wif(candidate: str) -> bool:
    try:
        raw = base58.decode_check(candidate)
    except Exception:  # not base58check: not a WIF
        return False
    return raw[:1] in (b"\x80", b"\xef") and (len(raw) == 33 or (len(raw) == 34 and raw[-1] == 1))


def _in_text(text: str, field: str) -> Iterator[str]:
    if _EXTENDED_PRIVATE.search(text):
        yield "extended_private_key"
    if any(_is_wif(m.group(0)) for m in _WIF.finditer(text)):
        yield "wif_private_key"
    if _PEM.search(text):
        yield "pem_private_key"
    if _HEX32.search(text) and not any(name in field.lower() for name in _HASH_FIELDS):
        yield "hex_private_key"
    latin = _LATIN_WORD.findall(text.lower())
    if _longest_run(latin, _SLIP39) >= 20:
        yield "slip39_share"
    elif (
        _longest_run(latin, _bip39("english")) >= 12
        or _longest_run(text.split(), _bip39("japanese")) >= 12
    ):
        yield "mnemonic_phrase"


def _walk(value: object, path: str, field: str) -> Iterator[SecretHit]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            where = f"{path}.{name}" if path else name
            for kind in _in_text(name, ""):
                yield SecretHit(where, kind)
            normal = re.sub(r"[^a-z0-9]", "", name.lower())  # privateKey, private-key, ...
            if normal in _SECRET_FIELDS and item not in (None, "", [], {}):
                yield SecretHit(where, "secret_field")
            yield from _walk(item, where, name)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]", field)
    elif isinstance(value, str):
        for kind in _in_text(value, field):
            yield SecretHit(path, kind)
    elif isinstance(value, (bytes, bytearray)):
        if len(value) == 32 and not any(name in field.lower() for name in _HASH_FIELDS):
            yield SecretHit(path, "raw_32_bytes")
        else:
            yield from _walk(value.hex(), path, field)


def find_secrets(value: object) -> list[SecretHit]:
    """Return every place in ``value`` that looks like a secret (empty when none)."""
    return list(dict.fromkeys(_walk(value, "", "")))


def refuse_secrets(value: object) -> None:
    """Raise :class:`SecretFound` if ``value`` holds anything that looks like a secret."""
    hits = find_secrets(value)
    if hits:
        raise SecretFound(hits)
