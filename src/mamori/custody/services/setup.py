"""Setting up custody from an empty install: assets and wallets, one at a time or wallets in
bulk from CSV or Excel (ISM 27-1, 28-2). Every refusal says why; a bulk import is all or
nothing, every bad row named with its line."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pydantic
from django.db import transaction
from django.utils.translation import gettext as _

from mamori.accounts.models import User
from mamori.core.errors import Refused

if TYPE_CHECKING:
    from mamori.accounts.models import ApprovalRequest
from mamori.custody.models import Asset, Wallet
from mamori.custody.services.allowlist import AddressRefused, validate_address

__all__ = [
    "MAX_DECIMALS",
    "MAX_SIGNERS",
    "WALLETS_KIND",
    "WALLETS_POLICY",
    "WALLET_COLUMNS",
    "AssetIn",
    "Problem",
    "SetupRefused",
    "WalletIn",
    "add_asset",
    "add_wallet",
    "apply_wallets",
    "asset_row",
    "import_wallets",
    "read_table",
    "read_wallets",
    "request_wallets",
    "wallet_row",
]

#: The most decimals an asset may have: amounts are stored with up to 40 digits.
MAX_DECIMALS = 30
#: The most signers a wallet's m-of-n may name.
MAX_SIGNERS = 20
#: The columns of a wallet import (``site`` and ``custodian`` may be left empty).
WALLET_COLUMNS = ("name", "asset", "kind", "address", "m", "n", "site", "custodian")
_CODE = re.compile(r"^[A-Z0-9]{2,20}$")
_CHAIN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_CONTRACT = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_MAX_ROWS = 10_000


@dataclass(frozen=True)
class Problem:
    """One bad row of an import: its line (the header is line 1) and why."""

    line: int
    reason: str


class SetupRefused(Refused, ValueError):
    """A set-up step refused: a stable ``code``, a translated ``message`` and, for an
    import, every bad row (as ``fields`` too: ``line N``, the reason)."""

    def __init__(self, code: str, message: str, problems: list[Problem] | None = None) -> None:
        self.problems = problems or []
        super().__init__(
            code, message, fields=[(f"line {p.line}", p.reason) for p in self.problems]
        )

    def lines(self) -> list[str]:
        """Return the message and then one line per bad row."""
        return [self.message, *(_("line %(line)s: %(reason)s") % p.__dict__ for p in self.problems)]


@dataclass(frozen=True)
class AssetIn:
    """An asset to create, as typed (checked by :func:`add_asset`)."""

    code: str
    name: str
    chain: str
    decimals: int
    contract: str = ""
    responsible: str = ""
    unknown_address: str = "hold"


@dataclass(frozen=True)
class WalletIn:
    """A wallet to register, as typed (checked by :func:`add_wallet`)."""

    name: str
    asset: str
    kind: str
    address: str
    m: int | str = 1
    n: int | str = 1
    site: str = ""
    custodian: str = ""


def _asset_problems(data: AssetIn) -> list[str]:
    problems = []
    if not _CODE.match(data.code):
        problems.append(
            _("code %(value)r: 2 to 20 capital letters or digits, e.g. BTC") % {"value": data.code}
        )
    elif Asset.objects.filter(code=data.code).exists():
        problems.append(_("asset %(code)s already exists") % {"code": data.code})
    if not data.name.strip() or len(data.name) > 100:
        problems.append(_("name: 1 to 100 characters"))
    if not _CHAIN.match(data.chain):
        problems.append(
            _("chain %(value)r: lower-case letters, digits and hyphens, e.g. ethereum")
            % {"value": data.chain}
        )
    if not 0 <= data.decimals <= MAX_DECIMALS:
        problems.append(
            _("decimals %(value)s: a whole number from 0 to %(max)s")
            % {"value": data.decimals, "max": MAX_DECIMALS}
        )
    if data.contract and (data.chain == "bitcoin" or not _CONTRACT.match(data.contract)):
        problems.append(
            _("contract %(value)r: a token contract is 0x and 40 hex digits on an EVM chain")
            % {"value": data.contract}
        )
    if data.unknown_address not in dict(Asset._meta.get_field("unknown_address").choices or []):
        problems.append(
            _("unknown-address policy %(value)r: hold, reject or allow")
            % {"value": data.unknown_address}
        )
    if (
        data.responsible
        and not User.objects.filter(username=data.responsible, is_active=True).exists()
    ):
        problems.append(_("no active person %(name)r") % {"name": data.responsible})
    return problems


def add_asset(data: AssetIn, *, installation: bool = False) -> Asset:
    """Create the asset ``data`` describes, or refuse naming every problem.

    On the page and the API (``installation`` False) an asset cannot be created letting
    withdrawals go to addresses not on the allowlist: that switches ISM 27-3's allowlist off
    for the asset, which no one person may do; the command line is the installation's own.
    """
    problems = _asset_problems(data)
    if data.unknown_address == "allow" and not installation:
        problems.append(
            _(
                "a withdrawal to an address not on the allowlist cannot be allowed by one "
                "person: create the asset with hold or reject"
            )
        )
    if problems:
        raise SetupRefused("bad_asset", _("Asset refused: %(why)s") % {"why": "; ".join(problems)})
    responsible = User.objects.get(username=data.responsible) if data.responsible else None
    return Asset.objects.create(
        code=data.code,
        name=data.name.strip(),
        chain=data.chain,
        decimals=data.decimals,
        contract=data.contract,
        responsible=responsible,
        unknown_address=data.unknown_address,
    )


def _count(value: int | str) -> int | None:
    text = str(value).strip()
    if text.endswith(".0"):  # a whole number as Excel stores it
        text = text[:-2]
    return int(text) if text.isdigit() and len(text) <= 3 else None


def _wallet_problems(data: WalletIn, taken: set[str]) -> list[str]:
    problems = []
    if not _NAME.match(data.name):
        problems.append(
            _("name %(value)r: letters, digits, dots, hyphens, underscores (up to 100)")
            % {"value": data.name}
        )
    elif data.name in taken or Wallet.objects.filter(name=data.name).exists():
        problems.append(_("wallet %(name)s already exists") % {"name": data.name})
    if data.kind not in Wallet.Kind.values:
        problems.append(_("kind %(value)r: hot, warm or cold") % {"value": data.kind})
    m, n = _count(data.m), _count(data.n)
    if m is None or n is None or not 1 <= m <= n <= MAX_SIGNERS:
        problems.append(
            _("signers %(m)s of %(n)s: m and n whole numbers with 1 ≤ m ≤ n ≤ %(max)s")
            % {"m": data.m, "n": data.n, "max": MAX_SIGNERS}
        )
    if len(data.site) > 100 or len(data.custodian) > 100:
        problems.append(_("site and custodian: at most 100 characters each"))
    asset = Asset.objects.filter(code=data.asset).first()
    if asset is None:
        problems.append(_("unknown asset %(code)r") % {"code": data.asset})
        return problems
    try:
        address = validate_address(asset, data.address)
        if asset.contract and not _CONTRACT.match(address):  # a token lives on an EVM chain
            raise AddressRefused("malformed_address", address)
    except AddressRefused:
        problems.append(
            _("%(address)r is not a valid %(chain)s address")
            % {"address": data.address[:100], "chain": asset.chain}
        )
    else:
        if Wallet.objects.filter(asset=asset, address=address).exists():
            problems.append(
                _("address %(address)s is already registered for %(code)s")
                % {"address": address, "code": asset.code}
            )
    return problems


def _create_wallet(data: WalletIn) -> Wallet:
    asset = Asset.objects.get(code=data.asset)
    return Wallet.objects.create(
        name=data.name,
        kind=data.kind,
        asset=asset,
        address=validate_address(asset, data.address),
        multisig_m=_count(data.m) or 1,
        multisig_n=_count(data.n) or 1,
        location=data.site.strip(),
        custodian=data.custodian.strip(),
    )


def _checked_wallet(data: WalletIn) -> WalletIn:
    """Return ``data`` if it describes a wallet that can be registered; else refuse naming
    every problem."""
    problems = _wallet_problems(data, set())
    if problems:
        raise SetupRefused(
            "bad_wallet", _("Wallet refused: %(why)s") % {"why": "; ".join(problems)}
        )
    return data


def add_wallet(data: WalletIn) -> Wallet:
    """Register the wallet ``data`` describes at once, or refuse naming every problem: the
    installation's command line. A person asks with :func:`request_wallets` (two approvals)."""
    return _create_wallet(_checked_wallet(data))


#: Registering the exchange's own wallets: where its own moves may go (ISM 27, 29-1-4) —
#: never one person's decision.
WALLETS_KIND = "custody.wallets_register"
WALLETS_POLICY = "halt_lift"


class WalletsSnapshot(pydantic.BaseModel):
    """What an approval of new wallets approves: each wallet, as checked when asked."""

    model_config = pydantic.ConfigDict(extra="forbid")

    wallets: list[dict[str, str]] = pydantic.Field(min_length=1, max_length=_MAX_ROWS)


def _snapshot_of(data: WalletIn) -> dict[str, str]:
    return {
        "name": data.name,
        "asset": data.asset,
        "kind": data.kind,
        "address": data.address.strip(),
        "m": str(data.m),
        "n": str(data.n),
        "site": data.site.strip(),
        "custodian": data.custodian.strip(),
    }


def request_wallets(wallets: list[WalletIn], by: User) -> ApprovalRequest:
    """Ask for ``wallets`` (each checked) to be registered: they exist once two people other
    than ``by`` approve, and are checked again then."""
    from mamori.accounts.services import approvals

    if len(wallets) == 1:
        _checked_wallet(wallets[0])
        title = f"Register wallet {wallets[0].name} ({wallets[0].asset} {wallets[0].kind})"
    else:
        title = f"Register {len(wallets)} wallets"
    snapshot = {"wallets": [_snapshot_of(w) for w in wallets]}
    return approvals.submit(WALLETS_KIND, title, snapshot, by)


def apply_wallets(request: ApprovalRequest) -> None:
    """Register the approved wallets, all or none, checked again against the wallets now."""
    from mamori.accounts.services.approvals import ApprovalRefused

    wallets = [WalletIn(**row) for row in request.snapshot["wallets"]]
    problems: list[str] = []
    taken: set[str] = set()
    for data in wallets:
        problems += _wallet_problems(data, taken)
        taken.add(data.name)
    if problems:
        raise ApprovalRefused(
            "stale",
            _("the wallets cannot be registered as approved: %(problems)s")
            % {"problems": "; ".join(problems)},
        )
    for data in wallets:
        _create_wallet(data)


def read_table(content: bytes, filename: str) -> list[dict[str, str]]:
    """Return the rows of a CSV (UTF-8) or Excel (.xlsx, first sheet) file by lower-cased
    header; refuse a file that is neither or has no header row."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl.utils.exceptions import InvalidFileException

        from mamori.core.spreadsheets import open_workbook

        try:
            sheet = open_workbook(content).active
        except (InvalidFileException, OSError, KeyError, ValueError):
            raise SetupRefused("bad_file", _("The file is not an Excel workbook.")) from None
        if sheet is None:
            raise SetupRefused("bad_file", _("The file is not an Excel workbook."))
        rows: list[list[str]] = [
            ["" if cell is None else str(cell).strip() for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    elif filename.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SetupRefused("bad_file", _("The CSV file is not UTF-8.")) from None
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise SetupRefused("bad_file", _("Give a .csv or .xlsx file."))
    if not rows or not any(rows[0]):
        raise SetupRefused("bad_file", _("The file has no header row."))
    if len(rows) > _MAX_ROWS + 1:
        raise SetupRefused(
            "bad_file", _("At most %(max)s rows in one import.") % {"max": _MAX_ROWS}
        )
    header = [cell.lower() for cell in rows[0]]
    width = len(header)  # a short row has its missing cells empty, a long one is cut
    return [dict(zip(header, [*row, *[""] * (width - len(row))], strict=False)) for row in rows[1:]]


def import_wallets(content: bytes, filename: str) -> list[Wallet]:
    """Register every wallet of the file at once, or none (the installation's command line;
    a person asks with :func:`read_wallets` and :func:`request_wallets`)."""
    wallets = read_wallets(content, filename)
    with transaction.atomic():
        return [_create_wallet(data) for data in wallets]


def read_wallets(content: bytes, filename: str) -> list[WalletIn]:
    """Return every wallet of the file, each checked, or refuse: every bad row is reported
    with its line (the header is line 1)."""
    rows = read_table(content, filename)
    missing = [c for c in WALLET_COLUMNS[:6] if c not in rows[0]] if rows else []
    if not rows or missing:
        raise SetupRefused(
            "bad_file",
            _("The file needs the columns %(columns)s; missing: %(missing)s")
            % {"columns": ", ".join(WALLET_COLUMNS), "missing": ", ".join(missing) or "-"},
        )
    wallets: list[WalletIn] = []
    problems: list[Problem] = []
    taken: set[str] = set()
    addresses: set[tuple[str, str]] = set()
    for line, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue
        data = WalletIn(**{c: row.get(c, "") or "" for c in WALLET_COLUMNS})
        problems += [Problem(line, reason) for reason in _wallet_problems(data, taken)]
        if (data.asset, data.address.strip()) in addresses:
            problems.append(Problem(line, _("the same address is on an earlier line")))
        taken.add(data.name)
        addresses.add((data.asset, data.address.strip()))
        wallets.append(data)
    if problems:
        raise SetupRefused(
            "import_refused",
            _("Import refused, nothing registered: %(count)s problem(s).")
            % {"count": len(problems)},
            problems,
        )
    return wallets


def asset_row(asset: Asset) -> dict[str, Any]:
    """Return ``asset`` as the API shows it."""
    return {
        "code": asset.code,
        "name": asset.name,
        "chain": asset.chain,
        "decimals": asset.decimals,
        "contract": asset.contract,
        "responsible": asset.responsible.username if asset.responsible else "",
        "unknown_address": asset.unknown_address,
    }


def wallet_row(wallet: Wallet) -> dict[str, Any]:
    """Return ``wallet`` as the API shows it."""
    return {
        "name": wallet.name,
        "asset": wallet.asset.code,
        "kind": wallet.kind,
        "address": wallet.address,
        "m": wallet.multisig_m,
        "n": wallet.multisig_n,
        "site": wallet.location,
        "custodian": wallet.custodian,
    }
