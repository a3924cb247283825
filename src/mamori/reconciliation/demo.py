"""Demo step of reconciliation: a real local Ethereum node (anvil, installed from npm on first
use) and a Bitcoin node answering in Bitcoin Core's RPC format, funded to match a book of
2,000 customers; one run matches, then 40 ETH leave the hot wallet behind the book's back
(as in the DMM Bitcoin and Bybit thefts) and the next run opens a case and halts ETH.

Both nodes live as long as the demo process; on a restart they are started again and funded
to match the stored book, so "Reconcile now" keeps working.
"""

from __future__ import annotations

import atexit
import random
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from mamori.core.demo import DemoReport
from mamori.custody.demo import BTC_COLD, BTC_HOT, ETH, ETH_COLD, ETH_HOT
from mamori.custody.models import Asset, Wallet

if TYPE_CHECKING:
    from mamori.reconciliation.models import Run

USDC = 10**6
CUSTOMERS = 2_000
_NODES = ExitStack()
atexit.register(_NODES.close)


def _book(path: Path) -> dict[str, int]:
    """Write the demo book; return what each wallet must hold."""
    rng = random.Random(34)  # noqa: S311 - reproducible demo data
    held = {"ETH-hot": 0, "ETH-cold": 0, "USDC-hot": 0, "USDC-cold": 0}
    lines = ["category,asset,wallet,account,amount,reference"]
    for n in range(CUSTOMERS):
        for asset, unit in (("ETH", ETH // 1000), ("USDC", USDC)):
            amount = rng.randrange(1, 5_000) * unit
            wallet = f"{asset}-hot" if n % 10 == 0 else f"{asset}-cold"
            held[wallet] += amount
            lines.append(f"customer,{asset},{wallet},cust-{n:04d},{amount},")
        btc = rng.randrange(1, 10_000_000)
        lines.append(f"customer,BTC,,cust-{n:04d},{btc},")
    lines.append(f"own,ETH,ETH-hot,,{50 * ETH},")
    held["ETH-hot"] += 50 * ETH
    lines.append(f"withdrawal_pending,ETH,ETH-hot,cust-0007,{ETH // 2},0xdemo-broadcast")
    held["ETH-hot"] += ETH // 2
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    held["BTC"] = sum(int(x.split(",")[4]) for x in lines[1:] if ",BTC," in x)
    return held


def _start_nodes(held: dict[str, int]) -> tuple[str, str, str]:
    """Start anvil and the Bitcoin node, fund them to ``held``; return their URLs and the
    token contract."""
    from mamori.testing.anvil import running_anvil
    from mamori.testing.bitcoin_rpc import BitcoinCoreFixture, running_bitcoin_fixture

    anvil = _NODES.enter_context(running_anvil())
    contract = anvil.deploy("TestToken")
    anvil.set_balances([ETH_HOT, ETH_COLD], [held["ETH-hot"], held["ETH-cold"]])
    anvil.mint(contract, [ETH_HOT, ETH_COLD], [held["USDC-hot"], held["USDC-cold"]])
    bitcoin = BitcoinCoreFixture()
    hot_share = held["BTC"] // 8
    bitcoin.utxos = {
        BTC_HOT: [Decimal(hot_share) / 10**8],
        BTC_COLD: [Decimal(held["BTC"] - hot_share) / 10**8],
    }
    btc_url, _ = _NODES.enter_context(running_bitcoin_fixture(bitcoin))
    return anvil.url, btc_url, contract


def _steal(anvil_url: str, amount: int) -> None:
    import httpx

    thief = "0x000000000000000000000000000000000000dEaD"
    with httpx.Client() as client:
        for method, params in (
            ("anvil_impersonateAccount", [ETH_HOT]),
            ("eth_sendTransaction", [{"from": ETH_HOT, "to": thief, "value": hex(amount)}]),
            ("anvil_mine", ["0x1"]),
        ):
            client.post(
                anvil_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            )


def load(report: DemoReport) -> None:
    """Start the nodes, import the book, run twice (idempotent: restarts only the nodes)."""
    from mamori.custody.services import monitor
    from mamori.reconciliation.models import AssetPolicy, Run
    from mamori.reconciliation.services import books, nodes, runs
    from mamori.testing.anvil import ToolsMissing

    path = settings.CONFIG.data_dir / "demo-book.csv"
    held = _book(path)
    try:
        anvil_url, btc_url, token = _start_nodes(held)
    except (ToolsMissing, OSError, RuntimeError) as exc:
        report.lines.append(f"Reconciliation: demo nodes not started ({exc}); see the README")
        return
    nodes.configure("ethereum", "evm", anvil_url)
    nodes.configure("bitcoin", "bitcoin", btc_url)
    if Run.objects.exists():
        Asset.objects.filter(code="USDC").update(contract=token)
        report.lines.append("Reconciliation: nodes restarted and funded — see /reconciliation/")
        return
    eth = Asset.objects.get(code="ETH")
    usdc = Asset.objects.create(
        code="USDC",
        name="USD Coin (test token)",
        chain="ethereum",
        decimals=6,
        contract=token,
        responsible=eth.responsible,
    )
    Wallet.objects.create(
        name="USDC-hot", kind="hot", asset=usdc, address=ETH_HOT, multisig_m=2, multisig_n=3
    )
    Wallet.objects.create(
        name="USDC-cold", kind="cold", asset=usdc, address=ETH_COLD, multisig_m=3, multisig_n=5
    )
    monitor.apply_thresholds()  # USDC joins custody monitoring, so it can be halted too
    AssetPolicy.objects.create(asset=eth, halt_above_units=10 * ETH)
    AssetPolicy.objects.create(asset=usdc, halt_above_units=10_000 * USDC)
    book = books.import_file(path, "demo")
    first = runs.run("demo", book=book)
    _steal(anvil_url, 40 * ETH)
    second = runs.run("demo", book=book)
    report.lines.append(
        f"Reconciliation: {book.rows} book rows; run {first.pk} {first.status}; 40 ETH then "
        f"left the hot wallet and run {second.pk} found it ({second.status})"
        f"{_what_the_case_did(second)} — see /reconciliation/"
    )


def _what_the_case_did(run: Run) -> str:
    """Say what the run's ETH case did, as recorded: the halt only if the monitor made it."""
    case = run.cases.filter(asset="ETH").first()
    if case is None:
        return ", no case was opened"
    if case.halt_ordered:
        return f", opened case {case.pk} and halted ETH withdrawals"
    if case.halt_refused:
        return (
            f", opened case {case.pk}; the halt of ETH withdrawals could not be made "
            f"({case.halt_refused})"
        )
    return f", opened case {case.pk}"
