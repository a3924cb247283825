"""The reconcile engine: book reading (all or nothing), comparison, signed statements."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.engines import reconcile
from mamori.engines.chains import Balance, Block
from mamori.engines.merkle import LogKey

WALLETS = {"ETH-hot": "ETH", "ETH-cold": "ETH", "BTC-hot": "BTC", "BTC-cold": "BTC"}
ASSETS = ["BTC", "ETH"]
HEADER = "category,asset,wallet,account,amount,reference\n"


def write(tmp_path: Path, text: str, name: str = "book.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_book_is_aggregated_per_asset_wallet_and_category_beyond_64_bits(tmp_path) -> None:
    big = 10**30  # a trillion ETH in wei: more than 64 bits
    path = write(
        tmp_path,
        HEADER
        + f"customer,ETH,ETH-hot,c1,{big},\n"
        + f"customer,ETH,ETH-hot,c2,{big},\n"
        + "own,ETH,ETH-cold,,5,\n"
        + "withdrawal_pending,ETH,ETH-hot,c3,3,0xabc\n"
        + "customer,BTC,,c1,7,\n",
    )
    book = reconcile.read_book(path, WALLETS, ASSETS)
    assert book.rows == 5
    assert book.totals == {
        ("ETH", "ETH-hot", "customer"): 2 * big,
        ("ETH", "ETH-cold", "own"): 5,
        ("ETH", "ETH-hot", "withdrawal_pending"): 3,
        ("BTC", "", "customer"): 7,
    }


def test_a_bad_book_is_refused_whole_with_every_bad_row_and_why(tmp_path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "customer,ETH,ETH-hot,c1,10,\n"  # line 2: good
        + "bogus,ETH,,,1,\n"
        + "customer,XRP,,,1,\n"
        + "customer,ETH,,,-4,\n"
        + "customer,ETH,,,1.5,\n"
        + "customer,ETH,BTC-cold,,4,\n"
        + "customer,ETH,nowhere,,4,\n"
        + "deposit_uncredited,ETH,ETH-hot,,4,\n"
        + "customer,ETH,,,,\n"
        + "customer,ETH,,,123456789012345678901234567890123456789,\n",
    )
    with pytest.raises(reconcile.BookRejected) as refused:
        reconcile.read_book(path, WALLETS, ASSETS)
    errors = [(e.line, e.reason) for e in refused.value.errors]
    assert errors == [
        (
            3,
            "unknown category 'bogus' "
            "(one of: customer, own, withdrawal_pending, deposit_uncredited)",
        ),
        (4, "unknown asset 'XRP'"),
        (5, "amount must be a whole number of base units, 0 or more, got '-4'"),
        (6, "amount must be a whole number of base units, 0 or more, got '1.5'"),
        (7, "wallet 'BTC-cold' holds BTC, not ETH"),
        (8, "wallet 'nowhere' is not registered"),
        (9, "an in-flight transfer needs its transaction reference"),
        (10, "amount must be a whole number of base units, 0 or more, got ''"),
        (
            11,
            "amount must be a whole number of base units, 0 or more, got "
            "'123456789012345678901234567890123456789'",
        ),
    ]
    assert refused.value.rows == 10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("asset,amount\nETH,1\n", "missing column(s): category"),
        ("category,asset,amount\ncustomer,ETH,1,extra,fields\n", "cannot read book.csv"),
    ],
)
def test_a_book_without_its_columns_or_malformed_is_refused(tmp_path, text, message) -> None:
    with pytest.raises(
        reconcile.BookRejected, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        reconcile.read_book(write(tmp_path, text), WALLETS, ASSETS)


def test_parquet_books_with_integer_or_text_amounts_read_the_same(tmp_path) -> None:
    frame = pl.DataFrame(
        {"category": ["customer", "own"], "asset": ["BTC", "BTC"], "amount": [5, 7]}
    )
    frame.write_parquet(tmp_path / "ints.parquet")
    frame.with_columns(pl.col("amount").cast(pl.Utf8)).write_parquet(tmp_path / "text.parquet")
    a = reconcile.read_book(tmp_path / "ints.parquet", WALLETS, ASSETS)
    b = reconcile.read_book(tmp_path / "text.parquet", WALLETS, ASSETS)
    assert a == b and a.totals == {("BTC", "", "customer"): 5, ("BTC", "", "own"): 7}
    with pytest.raises(reconcile.BookRejected, match=r"a \.csv or \.parquet"):
        reconcile.read_book(write(tmp_path, "x", "book.xlsx"), WALLETS, ASSETS)


rows = st.lists(
    st.tuples(
        st.sampled_from(reconcile.CATEGORIES),
        st.sampled_from(ASSETS),
        st.sampled_from(["", "ETH-hot", "ETH-cold", "BTC-hot"]),
        st.integers(0, 10**25),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows)
def test_the_aggregate_equals_brute_force_sums(tmp_path_factory, rows) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["category", "asset", "wallet", "amount", "reference"])
    expected: dict[tuple[str, str, str], int] = {}
    bad_lines = []
    for n, (category, asset, wallet, amount) in enumerate(rows, start=2):
        writer.writerow([category, asset, wallet, amount, "tx" if n % 2 else ""])
        wrong_wallet = wallet and WALLETS[wallet] != asset
        no_reference = category in reconcile.IN_FLIGHT_CATEGORIES and not n % 2
        if wrong_wallet or no_reference:
            bad_lines.append(n)
        key = (asset, wallet, category)
        expected[key] = expected.get(key, 0) + amount
    path = tmp_path_factory.mktemp("book") / "book.csv"
    path.write_text(text.getvalue())
    if bad_lines:
        with pytest.raises(reconcile.BookRejected) as refused:
            reconcile.read_book(path, WALLETS, ASSETS)
        assert [e.line for e in refused.value.errors] == bad_lines
    else:
        assert reconcile.read_book(path, WALLETS, ASSETS).totals == expected


def reading(asset: str, wallet: str, amount: int | None, error: str | None = None):
    return reconcile.ChainReading(asset, wallet, amount, error)


def test_in_flight_transfers_explain_exactly_their_amount() -> None:
    book = reconcile.BookTotals(
        3,
        {
            ("ETH", "ETH-hot", "customer"): 100,
            ("ETH", "ETH-cold", "own"): 50,
            ("ETH", "ETH-hot", "withdrawal_pending"): 7,
            ("ETH", "ETH-cold", "deposit_uncredited"): 3,
        },
    )
    matched = reconcile.compare(
        book, [reading("ETH", "ETH-hot", 107), reading("ETH", "ETH-cold", 53)], ["ETH"]
    )[0]
    assert matched.status is reconcile.Status.MATCHED
    assert (matched.book, matched.in_flight, matched.chain, matched.difference) == (150, 10, 160, 0)
    missing = reconcile.compare(
        book, [reading("ETH", "ETH-hot", 100), reading("ETH", "ETH-cold", 53)], ["ETH"]
    )[0]
    assert missing.status is reconcile.Status.DIFFERENCE and missing.difference == -7
    assert [(w.wallet, w.difference) for w in missing.wallets] == [("ETH-cold", 0), ("ETH-hot", -7)]


def test_wallet_differences_that_cancel_out_still_differ() -> None:
    book = reconcile.BookTotals(2, {("ETH", "A", "own"): 10, ("ETH", "B", "own"): 10})
    outcome = reconcile.compare(book, [reading("ETH", "A", 15), reading("ETH", "B", 5)], ["ETH"])[0]
    assert outcome.difference == 0 and outcome.status is reconcile.Status.DIFFERENCE


def test_an_unallocated_book_is_compared_per_asset_only() -> None:
    book = reconcile.BookTotals(2, {("BTC", "", "customer"): 10, ("BTC", "BTC-hot", "own"): 5})
    outcome = reconcile.compare(
        book, [reading("BTC", "BTC-hot", 9), reading("BTC", "BTC-cold", 6)], ["BTC"]
    )[0]
    assert outcome.status is reconcile.Status.MATCHED
    assert all(w.book is None and w.difference is None for w in outcome.wallets)


def test_a_failed_read_or_a_missing_wallet_fails_the_asset_never_matches() -> None:
    book = reconcile.BookTotals(1, {("ETH", "ETH-hot", "customer"): 0})
    failed = reconcile.compare(book, [reading("ETH", "ETH-hot", None, "node down")], ["ETH"])[0]
    assert failed.status is reconcile.Status.FAILED and "node down" in failed.errors[0]
    nothing = reconcile.compare(book, [], ["ETH"])[0]
    assert nothing.status is reconcile.Status.FAILED
    assert any("no wallet of ETH is registered" in e for e in nothing.errors)
    stray = reconcile.BookTotals(1, {("ETH", "ETH-old", "own"): 1})
    assert (
        "ETH-old" in reconcile.compare(stray, [reading("ETH", "ETH-hot", 1)], ["ETH"])[0].errors[0]
    )


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["W1", "W2", "W3"]), st.sampled_from(reconcile.CATEGORIES)),
        st.integers(0, 10**20),
        max_size=12,
    ),
    st.dictionaries(st.sampled_from(["W1", "W2", "W3"]), st.integers(0, 10**20), min_size=3),
)
def test_the_difference_is_chain_minus_book_minus_in_flight(entries, chain) -> None:
    book = reconcile.BookTotals(len(entries), {("X", w, c): v for (w, c), v in entries.items()})
    outcome = reconcile.compare(book, [reading("X", w, v) for w, v in chain.items()], ["X"])[0]
    held = sum(v for (w, c), v in entries.items() if c in reconcile.BOOK_CATEGORIES)
    moving = sum(v for (w, c), v in entries.items() if c in reconcile.IN_FLIGHT_CATEGORIES)
    assert outcome.difference == sum(chain.values()) - held - moving
    per_wallet = {w: chain[w] - sum(v for (ww, _), v in entries.items() if ww == w) for w in chain}
    assert {w.wallet: w.difference for w in outcome.wallets} == per_wallet
    expected = all(v == 0 for v in per_wallet.values()) and outcome.difference == 0
    assert (outcome.status is reconcile.Status.MATCHED) == expected


class FixedChain:
    """A chain adapter over a fixed table, for checking ``recheck``'s arithmetic only."""

    family = "evm"

    def __init__(self, balances, canonical=True):
        self.table, self.canonical = balances, canonical

    def address_error(self, address):
        return None

    def pin(self, height=None):
        return Block(1, "0xaa")

    def still_canonical(self, block):
        return self.canonical

    def balances(self, block, holdings):
        return [Balance(h, self.table[h.address]) for h in holdings]


def statement() -> dict:
    return {
        "run": 1,
        "assets": [
            {
                "asset": "ETH",
                "chain": "ethereum",
                "family": "evm",
                "contract": "",
                "block": {"number": 1, "hash": "0xaa"},
                "book": "90",
                "in_flight": "10",
                "on_chain": "100",
                "difference": "0",
                "wallets": [
                    {"wallet": "hot", "address": "0x01", "on_chain": "60"},
                    {"wallet": "cold", "address": "0x02", "on_chain": "40"},
                ],
            }
        ],
    }


def test_a_signed_statement_verifies_and_any_change_or_foreign_key_is_named() -> None:
    key, other = LogKey.generate("exchange/mamori-reconciliation"), LogKey.generate("evil")
    document = reconcile.sign_statement(statement(), key)
    assert reconcile.check_signature(document, key.verifier())["run"] == 1
    changed = {**document, "statement": {**document["statement"], "run": 2}}
    with pytest.raises(reconcile.StatementError, match="does not verify"):
        reconcile.check_signature(changed, key.verifier())
    forged = reconcile.sign_statement(statement(), other)
    with pytest.raises(reconcile.StatementError, match="a foreign key"):
        reconcile.check_signature(forged, key.verifier())
    with pytest.raises(reconcile.StatementError, match="not a mamori"):
        reconcile.check_signature({"statement": {}}, key.verifier())


def test_recheck_names_each_figure_the_chain_does_not_confirm() -> None:
    good = FixedChain({"0x01": 60, "0x02": 40})
    assert reconcile.recheck(statement(), lambda c, f: good) == []
    off = FixedChain({"0x01": 60, "0x02": 39})
    problems = reconcile.recheck(statement(), lambda c, f: off)
    assert any(
        "wallet cold (0x02): the statement says 40, the chain says 39" in p for p in problems
    )
    assert any("the wallets hold 99" in p for p in problems)
    moved = FixedChain({"0x01": 60, "0x02": 40}, canonical=False)
    assert "is not on the chain" in reconcile.recheck(statement(), lambda c, f: moved)[0]
    bad_sum = statement()
    bad_sum["assets"][0]["difference"] = "5"
    assert "is not on-chain 100" in reconcile.recheck(bad_sum, lambda c, f: good)[0]
    assert "no node given" in reconcile.recheck(statement(), lambda c, f: None)[0]
