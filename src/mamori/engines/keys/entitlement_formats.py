"""Adapters that read a system's actual users and roles from a file (ISM 31-2, 31-3).

An adapter turns the bytes of one file format into (account, person identifier, role) rows,
each with the line it was on, and reports every bad row with its line and why; the caller
keeps the rows only if there is no error at all (all-or-nothing). Three ship:

* ``csv`` — generic CSV, UTF-8 (a BOM is allowed), a header naming the columns ``account``,
  ``person`` and ``role`` (any order, other columns ignored); one row per account and role.
* ``json`` — generic JSON: an array of objects with the keys ``account``, ``person`` and
  ``role`` (strings).
* ``aws-kms-key-policy`` — an AWS KMS key policy as ``aws kms get-key-policy`` prints it:
  each ``Allow`` statement's ``Sid`` is the role, each principal ARN of ``Principal.AWS`` an
  account; the person is the IAM user name (``arn:aws:iam::111122223333:user/alice``) or the
  session name of an assumed role (``…:assumed-role/KeyAdmin/alice``); ``root`` and role ARNs
  without a session keep their last segment as the identifier. ``Deny`` statements grant
  nothing and are skipped; a statement without ``Sid`` or with a wildcard principal is an
  error (it cannot be reconciled against named grants).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mamori.engines.keys.entitlements import Account

__all__ = ["ADAPTERS", "Adapter", "Parsed", "RowError", "adapter"]

_MAX_FIELD = 200


@dataclass(frozen=True)
class RowError:
    """A bad row: the line it is on (0: the file as a whole), why in English, and a stable
    ``code`` with its ``params`` for the caller to say it in the reader's language."""

    line: int
    why: str
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()


def _error(line: int, why: str, code: str, **params: object) -> RowError:
    return RowError(line, why, code, tuple((k, str(v)) for k, v in params.items()))


@dataclass
class Parsed:
    """What an adapter read: the rows, and every error (rows are kept only without errors)."""

    rows: list[Account] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class Adapter:
    """A file format: its code, what it is called and the function that reads it."""

    code: str
    label: str
    read: Callable[[bytes], Parsed]


def _text(data: bytes, parsed: Parsed) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        parsed.errors.append(
            _error(0, f"the file is not UTF-8 (byte {exc.start})", "not_utf8", byte=exc.start)
        )
        return None


def _row(parsed: Parsed, line: int, account: Any, person: Any, role: Any) -> None:
    values = {"account": account, "person": person, "role": role}
    missing = [n for n, v in values.items() if not isinstance(v, str) or not v.strip()]
    long = [n for n, v in values.items() if isinstance(v, str) and len(v.strip()) > _MAX_FIELD]
    if missing:
        names = ", ".join(missing)
        parsed.errors.append(_error(line, f"missing: {names}", "missing", fields=names))
    elif long:
        names = ", ".join(long)
        why = f"longer than {_MAX_FIELD} characters: {names}"
        parsed.errors.append(_error(line, why, "too_long", fields=names, max=_MAX_FIELD))
    if missing or long:
        return
    parsed.rows.append(Account(account.strip(), person.strip(), role.strip(), line))


def read_csv(data: bytes) -> Parsed:
    """Read the generic CSV (header ``account,person,role``)."""
    parsed = Parsed()
    text = _text(data, parsed)
    if text is None:
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        parsed.errors.append(_error(0, "the file is empty", "empty"))
        return parsed
    missing = [c for c in ("account", "person", "role") if c not in header]
    if missing:
        parsed.errors.append(
            _error(
                1, "the header lacks: " + ", ".join(missing), "header", columns=", ".join(missing)
            )
        )
        return parsed
    at = {c: header.index(c) for c in ("account", "person", "role")}
    seen: dict[tuple[str, str], int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) < len(header):
                parsed.errors.append(
                    _error(
                        line,
                        f"{len(cells)} column(s), the header has {len(header)}",
                        "columns",
                        found=len(cells),
                        wanted=len(header),
                    )
                )
                continue
            _row(parsed, line, cells[at["account"]], cells[at["person"]], cells[at["role"]])
            _duplicate(parsed, seen)
    except csv.Error as exc:
        parsed.errors.append(_error(reader.line_num, f"not valid CSV: {exc}", "bad_csv", error=exc))
    return parsed


def _duplicate(parsed: Parsed, seen: dict[tuple[str, str], int]) -> None:
    """Refuse the last row read when the same account and role came before."""
    if not parsed.rows:
        return
    row = parsed.rows[-1]
    pair = (row.account, row.role)
    if pair in seen and seen[pair] != row.line:
        parsed.rows.pop()
        parsed.errors.append(
            _error(
                row.line,
                f"the account and role repeat line {seen[pair]}",
                "repeated",
                first=seen[pair],
            )
        )
    else:
        seen.setdefault(pair, row.line)


def _items(text: str, start: int) -> list[tuple[int, Any]] | None:
    """Return each element of the JSON array whose ``[`` is at ``start``, with its line."""
    decoder = json.JSONDecoder()
    at = start + 1
    out: list[tuple[int, Any]] = []
    spaces = re.compile(r"\s*")
    while True:
        at = spaces.match(text, at).end()  # type: ignore[union-attr]
        if text.startswith("]", at):
            return out
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            return None
        out.append((text.count("\n", 0, at) + 1, value))
        at = spaces.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith(",", at):
            at += 1
        elif not text.startswith("]", at):
            return None


def _json(data: bytes, parsed: Parsed) -> tuple[str, Any] | None:
    text = _text(data, parsed)
    if text is None:
        return None
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        parsed.errors.append(
            _error(exc.lineno, f"not valid JSON: {exc.msg}", "bad_json", error=exc.msg)
        )
        return None


def read_json(data: bytes) -> Parsed:
    """Read the generic JSON (an array of ``{"account", "person", "role"}`` objects)."""
    parsed = Parsed()
    loaded = _json(data, parsed)
    if loaded is None:
        return parsed
    text, value = loaded
    if not isinstance(value, list):
        parsed.errors.append(_error(1, "the file must be a JSON array of objects", "not_array"))
        return parsed
    items = _items(text, text.index("["))
    seen: dict[tuple[str, str], int] = {}
    for line, item in items or []:
        if not isinstance(item, dict):
            parsed.errors.append(_error(line, "an entry must be an object", "not_object"))
            continue
        _row(parsed, line, item.get("account"), item.get("person"), item.get("role"))
        _duplicate(parsed, seen)
    return parsed


_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(.+)$")


def _person_of(arn: str) -> str | None:
    match = _ARN.match(arn)
    if match is None:
        return None
    resource = match.group(3)
    if resource == "root":
        return "root"
    parts = resource.split("/")
    if parts[0] == "assumed-role" and len(parts) >= 3:
        return parts[-1]
    if parts[0] in ("user", "role") and len(parts) >= 2:
        return parts[-1]
    return None


def read_aws_key_policy(data: bytes) -> Parsed:
    """Read an AWS KMS key policy: each Allow statement's Sid a role, each principal an
    account (see the module's description)."""
    parsed = Parsed()
    loaded = _json(data, parsed)
    if loaded is None:
        return parsed
    text, value = loaded
    if not isinstance(value, dict) or not isinstance(value.get("Statement"), list):
        parsed.errors.append(
            _error(1, "a key policy is an object with a Statement array", "not_policy")
        )
        return parsed
    found = re.search(r'"Statement"\s*:\s*\[', text)
    items = _items(text, found.end() - 1) if found else None
    if items is None or len(items) != len(value["Statement"]):
        items = [(1, s) for s in value["Statement"]]
    seen: dict[tuple[str, str], int] = {}
    for line, statement in items:
        if not isinstance(statement, dict):
            parsed.errors.append(_error(line, "a statement must be an object", "not_object"))
            continue
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid")
        if not isinstance(sid, str) or not sid.strip():
            parsed.errors.append(
                _error(line, "the statement has no Sid to name its role", "no_sid")
            )
            continue
        principal = statement.get("Principal")
        arns = principal.get("AWS") if isinstance(principal, dict) else principal
        if isinstance(arns, str):
            arns = [arns]
        if not isinstance(arns, list) or not arns:
            parsed.errors.append(
                _error(line, f"statement {sid}: no AWS principal", "no_principal", sid=sid)
            )
            continue
        for arn in arns:
            if arn == "*":
                parsed.errors.append(
                    _error(
                        line,
                        f"statement {sid}: a wildcard principal names nobody",
                        "wildcard",
                        sid=sid,
                    )
                )
                continue
            person = _person_of(arn) if isinstance(arn, str) else None
            if person is None:
                parsed.errors.append(
                    _error(
                        line,
                        f"statement {sid}: {str(arn)[:80]!r} is not an IAM or STS ARN",
                        "not_arn",
                        sid=sid,
                        arn=str(arn)[:80],
                    )
                )
                continue
            _row(parsed, line, arn, person, sid)
            _duplicate(parsed, seen)
    return parsed


ADAPTERS: dict[str, Adapter] = {
    a.code: a
    for a in (
        Adapter("csv", "CSV (account, person, role)", read_csv),
        Adapter("json", "JSON (account, person, role)", read_json),
        Adapter("aws-kms-key-policy", "AWS KMS key policy", read_aws_key_policy),
    )
}


def adapter(code: str) -> Adapter | None:
    """Return the adapter ``code`` (None when there is no such format)."""
    return ADAPTERS.get(code)
