"""Chain adapters against a real anvil node and a Bitcoin Core-format JSON-RPC server."""

from __future__ import annotations

import socket
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mamori.engines import chains
from mamori.testing.anvil import make_addresses
from mamori.testing.bitcoin_rpc import BitcoinCoreFixture, running_bitcoin_fixture

BTC_HOT = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
BTC_COLD = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"


def evm(url: str, **settings) -> chains.EvmAdapter:
    return chains.EvmAdapter(chains.JsonRpc(chains.RpcSettings(url, **settings)))


def test_native_and_token_balances_are_read_at_the_pinned_block_in_batches(anvil_node) -> None:
    token = anvil_node.deploy("TestToken")
    addresses = make_addresses(25)
    anvil_node.set_balances(addresses, [10**18 * n + n for n in range(25)])
    anvil_node.mint(token, addresses, [7 * n for n in range(25)])
    adapter = evm(anvil_node.url, batch_size=10)
    block = adapter.pin()
    holdings = [chains.Holding(a, "ETH") for a in addresses]
    holdings += [chains.Holding(a, "TT", token) for a in addresses]
    before = adapter.rpc.requests
    # the chain moves on after the pin: the figures stay those of the pinned block
    anvil_node.rpc("anvil_mine", ["0x1"])
    anvil_node.set_balances(addresses[:1], [5])
    anvil_node.mint(token, addresses[:1], [10**6])
    readings = adapter.balances(block, holdings)
    assert adapter.rpc.requests - before == 1  # two balance-reader calls in one batch
    one_by_one = chains.EvmAdapter(adapter.rpc, reader_chunk=0)
    before = adapter.rpc.requests
    assert one_by_one.balances(block, holdings) == readings
    assert adapter.rpc.requests - before == 5  # 50 calls in batches of 10
    assert [r.amount for r in readings[:25]] == [10**18 * n + n for n in range(25)]
    assert [r.amount for r in readings[25:]] == [7 * n for n in range(25)]
    assert adapter.still_canonical(block)
    assert adapter.balances(adapter.pin(), holdings[:1] + holdings[25:26])[1].amount == 10**6


def test_bad_addresses_and_broken_tokens_are_per_item_errors(anvil_node) -> None:
    token = anvil_node.deploy("TestToken")
    broken = anvil_node.deploy("RevertingToken")
    good = make_addresses(1)[0]
    adapter = evm(anvil_node.url)
    block = adapter.pin()
    readings = adapter.balances(
        block,
        [
            chains.Holding(good, "ETH"),
            chains.Holding("0x1234", "ETH"),
            chains.Holding(good[:-1] + ("A" if good[-1] != "A" else "B"), "ETH"),
            chains.Holding(good, "BAD", broken),
            chains.Holding(good, "NONE", "0x" + "11" * 20),
            chains.Holding(good, "TT", token),
        ],
    )
    assert readings[0].amount == 0 and readings[0].error is None
    assert "not an Ethereum address" in readings[1].error
    assert readings[2].amount is None and readings[2].error  # wrong case or checksum
    assert "reverted balanceOf" in readings[3].error and "frozen" in readings[3].error
    assert "no contract answered" in readings[4].error
    assert readings[5].amount == 0


def test_the_committed_balance_reader_is_its_source_compiled(anvil_node) -> None:
    import subprocess
    from pathlib import Path

    from mamori.engines.chains import reader
    from mamori.testing.anvil import ROOT

    source = Path(chains.__file__).parent / "BalanceReader.sol"
    script = ROOT / "src/mamori/testing/contracts/runtime.js"
    compiled = subprocess.run(
        ["node", str(script), str(source), "BalanceReader"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "0x" + compiled == reader.RUNTIME


def test_a_node_without_state_overrides_is_read_one_call_at_a_time() -> None:
    class NoOverride(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            import json

            calls = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            answers = []
            for call in calls:
                if call["method"] == "eth_call" and len(call["params"]) > 2:
                    answers.append(
                        {
                            "jsonrpc": "2.0",
                            "id": call["id"],
                            "error": {"code": -32602, "message": "too many arguments"},
                        }
                    )
                else:
                    answers.append({"jsonrpc": "2.0", "id": call["id"], "result": "0x2a"})
            body = json.dumps(answers).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), NoOverride)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        adapter = evm(f"http://127.0.0.1:{server.server_address[1]}")
        holders = [chains.Holding(a, "ETH") for a in make_addresses(3)]
        readings = adapter.balances(chains.Block(1, "0x" + "ab" * 32), holders)
        assert [r.amount for r in readings] == [42, 42, 42]
    finally:
        server.shutdown()
        server.server_close()


def test_a_reorganised_block_is_noticed(anvil_node) -> None:
    addresses = make_addresses(2)
    snapshot = anvil_node.rpc("evm_snapshot")
    anvil_node.set_balances(addresses, [1, 2])
    anvil_node.rpc("anvil_mine", ["0x1"])
    adapter = evm(anvil_node.url, retries=0)
    block = adapter.pin()
    anvil_node.rpc("evm_revert", [snapshot])
    anvil_node.rpc("anvil_mine", ["0x3"])
    assert not adapter.still_canonical(block)
    with pytest.raises(chains.BlockChanged, match="no longer knows block"):
        adapter.balances(block, [chains.Holding(a, "ETH") for a in addresses])


def _free_closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_node_is_retried_then_fails_with_the_reason() -> None:
    adapter = evm(f"http://127.0.0.1:{_free_closed_port()}", retries=2, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(chains.NodeError, match=r"cannot reach the node .*after 3 attempts"):
        adapter.pin()
    assert adapter.rpc.requests == 3
    assert time.monotonic() - started >= 0.2 + 0.4  # backoff between attempts


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("garbage", "not JSON"),
        ("slow", "no answer within 0.5 s"),
        ("http500", "not JSON"),
    ],
)
def test_a_node_answering_nonsense_or_nothing_fails_after_retries(fault, message) -> None:
    node = BitcoinCoreFixture()
    node.fault = fault
    with running_bitcoin_fixture(node) as (url, _):
        rpc = chains.JsonRpc(chains.RpcSettings(url, retries=1, timeout=0.5, backoff=0.01))
        with pytest.raises(chains.NodeError, match=message):
            chains.BitcoinAdapter(rpc).pin()
        assert rpc.requests == 2


def test_a_node_url_with_a_password_never_shows_it() -> None:
    adapter = evm(f"http://user:s3cret@127.0.0.1:{_free_closed_port()}", retries=0)
    with pytest.raises(chains.NodeError) as raised:
        adapter.pin()
    assert "s3cret" not in str(raised.value) and "user:***@" in str(raised.value)


def test_bitcoin_balances_are_exact_satoshi_per_address() -> None:
    node = BitcoinCoreFixture()
    node.utxos = {
        BTC_HOT: [Decimal("0.5"), Decimal("0.00000001")],
        BTC_COLD: [Decimal("20999999.99999999")],
    }
    node.credentials = ("mamori", "rpc-pass")
    with running_bitcoin_fixture(node) as (url, _):
        url = url.replace("http://", "http://mamori:rpc-pass@")
        adapter = chains.BitcoinAdapter(chains.JsonRpc(chains.RpcSettings(url)))
        block = adapter.pin()
        assert block.number == node.height and block.hash == node.block_hash(node.height)
        readings = adapter.balances(
            block,
            [
                chains.Holding(BTC_HOT, "BTC"),
                chains.Holding(BTC_COLD, "BTC"),
                chains.Holding("bc1qnotvalidbecauseofb", "BTC"),
                chains.Holding("wpkh(xpub6Cat/0/*)#abcdefgh", "BTC"),
            ],
        )
        assert readings[0].amount == 50_000_001
        assert readings[1].amount == 2_099_999_999_999_999
        assert "not a valid address" in readings[2].error
        assert readings[3].amount == 0
        assert adapter.still_canonical(block)


def test_bitcoin_refuses_wrong_credentials_at_once() -> None:
    node = BitcoinCoreFixture()
    node.credentials = ("mamori", "right")
    with running_bitcoin_fixture(node) as (url, _):
        rpc = chains.JsonRpc(chains.RpcSettings(url.replace("//", "//mamori:wrong@"), retries=3))
        with pytest.raises(chains.NodeError, match="refused the credentials"):
            chains.BitcoinAdapter(rpc).pin()
        assert rpc.requests == 1


def test_a_block_arriving_during_the_bitcoin_scan_asks_for_a_new_pin() -> None:
    node = BitcoinCoreFixture()
    node.utxos = {BTC_HOT: [Decimal(1)]}
    with running_bitcoin_fixture(node) as (url, _):
        adapter = chains.BitcoinAdapter(chains.JsonRpc(chains.RpcSettings(url)))
        block = adapter.pin()
        node.before_scan = node.mine
        with pytest.raises(chains.BlockChanged, match="a new block arrived"):
            adapter.balances(block, [chains.Holding(BTC_HOT, "BTC")])


def test_a_fraction_of_a_satoshi_is_refused() -> None:
    with pytest.raises(chains.NodeError, match="not a whole number of satoshi"):
        chains.satoshi(Decimal("0.000000001"))


def test_a_batch_answer_missing_an_item_is_a_node_error() -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b'[{"jsonrpc":"2.0","id":0,"result":"0x1"}]'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rpc = chains.JsonRpc(chains.RpcSettings(f"http://127.0.0.1:{server.server_address[1]}"))
        with pytest.raises(chains.NodeError, match="left 1 of 2 calls unanswered"):
            rpc.batch([("eth_blockNumber", []), ("eth_chainId", [])])
    finally:
        server.shutdown()
        server.server_close()
