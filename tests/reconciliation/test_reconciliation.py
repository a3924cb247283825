"""Daily reconciliation against a real anvil node and a Bitcoin Core-format node: runs, book
imports, discrepancy cases with halts and approvals, the daily proof, statements, pages."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from mamori.accounts.services import approvals, tokens
from mamori.auditlog.models import Entry
from mamori.custody.models import Asset, Halt, Wallet
from mamori.custody.services import monitor
from mamori.engines import chains, threshold
from mamori.notifications.models import Notification
from mamori.reconciliation import compliance
from mamori.reconciliation.models import AssetPolicy, BookImport, Case, Run
from mamori.reconciliation.services import books, cases, history, nodes, runs, statements
from mamori.scheduler.jobs import get_job
from mamori.testing.anvil import make_addresses
from mamori.testing.bitcoin_rpc import BitcoinCoreFixture, running_bitcoin_fixture
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db
ETH, USDC = 10**18, 10**6
BTC_HOT = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
BTC_COLD = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
HEADER = "category,asset,wallet,account,amount,reference\n"


@pytest.fixture
def exchange(anvil_node, tmp_path):
    """ETH and a token on anvil, BTC on a Bitcoin Core-format node, wallets funded to match
    the book, officers with roles."""
    monitor.reset()
    operator = give(make_user("op-watanabe"), "custody_operator")
    token = anvil_node.deploy("TestToken")
    eth = Asset.objects.create(
        code="ETH", name="Ether", chain="ethereum", decimals=18, responsible=operator
    )
    usdc = Asset.objects.create(
        code="USDC",
        name="USD Coin",
        chain="ethereum",
        decimals=6,
        contract=token,
        responsible=operator,
    )
    btc = Asset.objects.create(code="BTC", name="Bitcoin", chain="bitcoin", decimals=8)
    hot, cold = make_addresses(2, "exchange")
    for asset, hot_address, cold_address in (
        (eth, hot, cold),
        (usdc, hot, cold),
        (btc, BTC_HOT, BTC_COLD),
    ):
        Wallet.objects.create(
            name=f"{asset.code}-hot", kind="hot", asset=asset, address=hot_address
        )
        Wallet.objects.create(
            name=f"{asset.code}-cold", kind="cold", asset=asset, address=cold_address
        )
    anvil_node.set_balances([hot, cold], [30 * ETH, 70 * ETH])
    anvil_node.mint(token, [hot, cold], [1_000 * USDC, 9_000 * USDC])
    bitcoin = BitcoinCoreFixture()
    bitcoin.utxos = {BTC_HOT: [Decimal("1.5")], BTC_COLD: [Decimal("8.5"), Decimal("0.00000001")]}
    with running_bitcoin_fixture(bitcoin) as (btc_url, _):
        nodes.configure("ethereum", "evm", anvil_node.url)
        nodes.configure("bitcoin", "bitcoin", btc_url)
        book = tmp_path / "book.csv"
        book.write_text(
            HEADER
            + f"customer,ETH,ETH-hot,c1,{25 * ETH},\n"
            + f"own,ETH,ETH-hot,,{5 * ETH},\n"
            + f"customer,ETH,ETH-cold,c2,{70 * ETH},\n"
            + f"customer,USDC,USDC-hot,c1,{1_000 * USDC},\n"
            + f"customer,USDC,USDC-cold,c3,{9_000 * USDC},\n"
            + "customer,BTC,,c1,1000000001,\n"
        )
        yield {
            "node": anvil_node,
            "token": token,
            "hot": hot,
            "cold": cold,
            "bitcoin": bitcoin,
            "btc_url": btc_url,
            "book": book,
            "operator": operator,
            "ciso": give(make_user("ciso-ono"), "ciso"),
            "sgm": give(make_user("sgm-abe"), "system_general_manager"),
            "auditor": give(make_user("audit-kato"), "internal_auditor"),
        }
    monitor.reset()


def steal(exchange, asset: str, amount: int) -> None:
    """Move ``amount`` out of the hot wallet without the book knowing (as a thief would)."""
    node, hot = exchange["node"], exchange["hot"]
    thief = make_addresses(1, "thief")[0]
    node.rpc("anvil_impersonateAccount", [hot])
    if asset == "ETH":
        tx = {"from": hot, "to": thief, "value": hex(amount), "gasPrice": "0x0"}
    else:
        data = "0xa9059cbb" + f"{int(thief, 16):064x}{amount:064x}"
        tx = {"from": hot, "to": exchange["token"], "data": data, "gasPrice": "0x0"}
    node.rpc("eth_sendTransaction", [tx])
    node.rpc("anvil_mine", ["0x1"])


def test_a_matching_book_matches_every_asset_at_pinned_blocks(exchange) -> None:
    call_command("reconcile", "run", "--book", str(exchange["book"]))
    run = Run.objects.get()
    assert run.status == "matched" and run.reason == "" and run.duration_ms is not None
    assert {p["chain"] for p in run.pins} == {"ethereum", "bitcoin"}
    results = {a.asset: a for a in run.assets.all()}
    assert results["ETH"].on_chain == 100 * ETH and results["ETH"].difference == 0
    assert results["USDC"].on_chain == 10_000 * USDC
    assert results["BTC"].on_chain == 1_000_000_001  # 1.5 + 8.5 + 1 satoshi
    assert [w.book for w in results["BTC"].wallets.all()] == [None, None]  # not allocated
    assert (
        results["ETH"].block_hash
        == exchange["node"].rpc("eth_getBlockByNumber", [hex(results["ETH"].block_number), False])[
            "hash"
        ]
    )
    assert Entry.objects.filter(action="reconciliation.run", object_id=str(run.pk)).exists()
    assert not Case.objects.exists()


def test_coins_missing_open_a_case_tell_the_responsible_and_halt_withdrawals(exchange) -> None:
    books.import_file(exchange["book"], "test")
    AssetPolicy.objects.create(asset=Asset.objects.get(code="USDC"), halt_above_units=100 * USDC)
    monitor.apply_thresholds()
    steal(exchange, "USDC", 250 * USDC)
    run = runs.run("manual")
    assert run.status == "difference"
    usdc = run.assets.get(asset="USDC")
    assert usdc.difference == -250 * USDC
    assert {w.wallet: w.difference for w in usdc.wallets.all()} == {
        "USDC-cold": 0,
        "USDC-hot": -250 * USDC,
    }
    case = Case.objects.get()
    assert case.asset == "USDC" and case.owner == exchange["operator"] and case.halt_ordered
    told = Notification.objects.get(topic="reconciliation.difference")
    assert told.severity == "critical" and "USDC" in told.title_en
    halt = Halt.objects.get(scope="asset", key="USDC")
    assert halt.rule == "reconciliation"
    decision = monitor.decide(threshold.WithdrawalRequest("w1", datetime.now(UTC), "c1", "USDC", 1))
    assert decision.action == "reject" and decision.codes == ("halted",)
    again = runs.run("manual")  # the next run notes the same case instead of a new one
    assert again.status == "difference" and Case.objects.count() == 1
    assert case.actions.filter(text__contains=f"run {again.pk}").exists()


def test_listed_in_flight_transfers_explain_a_difference_and_nothing_more(
    exchange, tmp_path
) -> None:
    steal(exchange, "ETH", 2 * ETH)  # broadcast withdrawal: coins left, book already debited
    pending = (
        exchange["book"]
        .read_text()
        .replace(f"customer,ETH,ETH-hot,c1,{25 * ETH},", f"customer,ETH,ETH-hot,c1,{23 * ETH},")
    )
    path = tmp_path / "pending.csv"
    path.write_text(pending + f"deposit_uncredited,ETH,ETH-hot,c9,{0},0xdeposit\n")
    assert runs.run("manual", book=books.import_file(path)).status == "matched"
    over = pending + f"withdrawal_pending,ETH,ETH-hot,c1,{1 * ETH},0xabc\n"
    path.write_text(over)
    run = runs.run("manual", book=books.import_file(path))
    assert run.status == "difference"
    assert run.assets.get(asset="ETH").difference == -1 * ETH


def test_an_unreachable_node_fails_the_run_with_the_reason_never_matched(exchange) -> None:
    books.import_file(exchange["book"])
    nodes.configure("bitcoin", "bitcoin", "http://127.0.0.1:9", retries=1, timeout_seconds=1)
    run = runs.run("manual")
    assert run.status == "failed"
    assert "BTC" in run.reason and "cannot reach the node" in run.reason
    assert run.assets.get(asset="BTC").status == "failed"
    assert run.assets.get(asset="ETH").status == "matched"
    assert Notification.objects.filter(topic="reconciliation.failed").exists()
    with pytest.raises(SystemExit) as exited:
        call_command("reconcile", "run")
    assert exited.value.code == 2


def test_a_block_that_changes_during_the_run_restarts_the_reading(exchange) -> None:
    node = exchange["node"]
    adapter = nodes.adapter_for(nodes.ChainNode.objects.get(chain="ethereum"))
    snapshot = {"id": node.rpc("evm_snapshot")}
    real_balances = adapter.balances
    calls = []

    def balances_then_reorganise(block, holdings):
        readings = real_balances(block, holdings)
        if not calls:  # once: the chain reorganises under the first reading
            node.rpc("evm_revert", [snapshot["id"]])
            node.rpc("evm_setNextBlockTimestamp", [hex(int(time.time()) + 3600)])
            node.rpc("anvil_mine", ["0x2"])
        calls.append(block)
        return readings

    node.rpc("anvil_mine", ["0x1"])
    adapter.balances = balances_then_reorganise
    wallets = list(Wallet.objects.filter(asset__chain="ethereum").select_related("asset"))
    read = runs.read_chain(adapter, wallets)
    assert read.attempts == 2 and read.error == ""
    assert calls[0] != calls[1] and read.block == calls[1]


def test_a_bad_book_is_refused_whole_over_the_api_with_every_bad_row(exchange) -> None:
    issued = tokens.issue(
        "books", ["reconciliation:book", "reconciliation:read"], 30, exchange["ciso"]
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    bad = HEADER + "customer,ETH,ETH-hot,c1,5,\ncustomer,DOGE,,c1,5,\ncustomer,ETH,,c2,-1,\n"
    response = api.post("/api/reconciliation/books", {"file": _upload("bad.csv", bad)})
    assert response.status_code == 422
    assert "line 3: unknown asset 'DOGE'" in response.json()["message"]
    assert "line 4: amount must be a whole number" in response.json()["message"]
    refused = BookImport.objects.get()
    assert refused.status == "refused" and refused.totals == [] and refused.error_count == 2
    good = api.post(
        "/api/reconciliation/books", {"file": _upload("good.csv", exchange["book"].read_text())}
    )
    assert good.status_code == 201 and good.json()["rows"] == 6
    runner = tokens.issue(
        "runner", ["reconciliation:run", "reconciliation:read"], 30, exchange["ciso"]
    )
    started = Client(HTTP_AUTHORIZATION=f"Bearer {runner.secret}").post("/api/reconciliation/runs")
    assert started.status_code == 201 and started.json()["status"] == "matched"
    assert api.post("/api/reconciliation/runs").status_code in (401, 403)


def _upload(name: str, text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_the_book_can_come_from_a_database_query(exchange, tmp_path) -> None:
    import sqlite3

    database = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("create table ledger (kind text, coin text, wallet text, units text)")
        for line in exchange["book"].read_text().splitlines()[1:]:
            category, asset, wallet, _, amount, _ = line.split(",")
            db.execute("insert into ledger values (?, ?, ?, ?)", (category, asset, wallet, amount))
    books.add_source(
        "ledger",
        f"sqlite://{database}",
        "select kind as category, coin as asset, wallet, units as amount from ledger",
    )
    run = runs.run("manual")
    assert run.status == "matched" and run.book.source == "query:ledger"
    with sqlite3.connect(database) as db:
        db.execute("insert into ledger values ('customer', 'ETH', 'ETH-hot', 'lots')")
    failed = runs.run("manual")
    assert failed.status == "failed" and "got 'lots'" in failed.reason


@pytest.mark.postgres
def test_the_book_query_runs_read_only_on_postgresql(exchange, postgres_url) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("drop table if exists mamori_test_ledger")
        db.execute(
            "create table mamori_test_ledger"
            " (category text, asset text, wallet text, amount numeric)"
        )
        for line in exchange["book"].read_text().splitlines()[1:]:
            category, asset, wallet, _, amount, _ = line.split(",")
            db.execute(
                "insert into mamori_test_ledger values (%s, %s, %s, %s)",
                (category, asset, wallet, amount),
            )
    try:
        source = books.add_source("pg", postgres_url, "select * from mamori_test_ledger")
        assert books.import_query(source).source == "query:pg"
        writer = books.add_source(
            "pg-write", postgres_url, "delete from mamori_test_ledger returning *"
        )
        with pytest.raises(books.BookRefused, match="read-only"):
            books.import_query(writer)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as db:
            assert db.execute("select count(*) from mamori_test_ledger").fetchone()[0] == 6
            db.execute("drop table mamori_test_ledger")


def test_a_case_closes_only_with_a_cause_a_fix_for_a_defect_and_two_approvals(exchange) -> None:
    books.import_file(exchange["book"])
    steal(exchange, "ETH", 1 * ETH)
    runs.run("manual")
    case = Case.objects.get()
    operator, ciso, sgm = exchange["operator"], exchange["ciso"], exchange["sgm"]
    with pytest.raises(cases.CaseRefused) as refused:
        cases.request_close(case, "fixed", operator)
    assert refused.value.code == "cause_unknown"
    cases.set_cause(case, "program_defect", operator)
    with pytest.raises(cases.CaseRefused) as refused:
        cases.request_close(case, "fixed", operator)
    assert refused.value.code == "fix_missing"
    cases.set_cause(case, "program_defect", operator, fix_reference="CHG-2026-114")
    cases.add_action(case, "froze the hot wallet key", operator)
    request = cases.request_close(case, "withdrawal batcher double-sent; patched", operator)
    case.refresh_from_db()
    assert case.status == "awaiting"
    with pytest.raises(cases.CaseRefused) as refused:
        cases.set_cause(case, "unknown", operator)
    assert (refused.value.code, refused.value.status) == ("awaiting_approval", 409)
    approvals.decide(request.pk, ciso, "approve", "fix reviewed")
    case.refresh_from_db()
    assert case.status == "awaiting"
    approvals.decide(request.pk, sgm, "approve", "agreed")
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    assert [a.text.split(":")[0] for a in case.actions.all()][-1].startswith(
        "closed after approval"
    )


def test_the_database_refuses_a_closed_program_defect_without_its_fix(exchange) -> None:
    from django.db import IntegrityError, transaction

    run = Run.objects.create(
        trigger="t", day=datetime.now(UTC).date(), started_at=datetime.now(UTC)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            asset="ETH",
            run=run,
            difference=-1,
            status="closed",
            cause="program_defect",
            opened_at=datetime.now(UTC),
        )


def test_a_rejected_closing_reopens_the_case(exchange, django_capture_on_commit_callbacks) -> None:
    books.import_file(exchange["book"])
    steal(exchange, "ETH", 1 * ETH)
    runs.run("manual")
    case = Case.objects.get()
    cases.set_cause(case, "theft", exchange["operator"], incident_reference="INC-7")
    request = cases.request_close(case, "reported to police", exchange["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decide(request.pk, exchange["ciso"], "reject", "not before the insurer")
    case.refresh_from_db()
    assert case.status == "open"


def test_every_day_must_have_a_completed_run_and_a_missing_day_shows(exchange) -> None:
    job = get_job("reconciliation.daily")
    assert job.daily_at is not None and job.daily_at.strftime("%H:%M") == "06:00"
    books.import_file(exchange["book"])
    day1 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
    with time_machine.travel(day1, tick=False):
        books.import_file(exchange["book"])
        assert runs.run("schedule").status == "matched"
    with time_machine.travel(day1 + timedelta(days=2), tick=False):
        books.import_file(exchange["book"])
        assert get_job("reconciliation.daily").func()["status"] == "matched"
        missing = history.days_without_run(7, since=day1.date())
        assert [d.isoformat() for d in missing] == ["2026-11-03"]
        result = compliance.ran_every_day()
        assert not result.passed and "2026-11-03" in result.summary_en
    with time_machine.travel(
        day1 + timedelta(days=2, hours=-20), tick=False
    ):  # 2026-11-03 13:00 JST
        books.import_file(exchange["book"])
        runs.run("manual")
    with time_machine.travel(day1 + timedelta(days=2), tick=False):
        assert compliance.ran_every_day().passed
        assert compliance.no_unexplained_difference().passed


def test_an_old_book_is_not_used(exchange) -> None:
    with time_machine.travel(datetime.now(UTC) - timedelta(days=2), tick=False):
        books.import_file(exchange["book"])
    run = runs.run("schedule")
    assert run.status == "failed" and "import today's book" in run.reason


def test_the_signed_statement_verifies_against_the_chain_and_a_changed_figure_is_named(
    exchange, tmp_path, capsys
) -> None:
    call_command("reconcile", "run", "--book", str(exchange["book"]))
    run = Run.objects.get()
    out = tmp_path / "statement.json"
    call_command(
        "reconcile",
        "statement",
        str(run.pk),
        "--output",
        str(out),
        "--pdf",
        str(tmp_path / "s.pdf"),
    )
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO((tmp_path / "s.pdf").read_bytes()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "100 ETH" in text  # in whole coins (issue 25); the base units beside them
    assert str(100 * ETH) in text
    rpc = ["--rpc", f"ethereum={exchange['node'].url}", "--rpc", f"bitcoin={exchange['btc_url']}"]
    exchange["node"].rpc("anvil_mine", ["0x1"])  # the chain moves on after the run
    exchange["node"].set_balances([exchange["hot"]], [1])
    call_command("reconcile", "verify-statement", str(out), *rpc)
    captured = capsys.readouterr()
    assert "every figure confirmed" in captured.out
    assert "NOT verified: no --key" in captured.out and "warning: no --key" in captured.err
    genuine = statements.verifier()
    call_command("reconcile", "verify-statement", str(out), *rpc, "--key", genuine)
    assert "signature valid for the key given" in capsys.readouterr().out
    document = json.loads(out.read_text())
    eth = next(a for a in document["statement"]["assets"] if a["asset"] == "ETH")
    eth["wallets"][0]["on_chain"] = str(int(eth["wallets"][0]["on_chain"]) + 1)
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    with pytest.raises(CommandError) as failed:
        call_command("reconcile", "verify-statement", str(tampered), *rpc)
    message = str(failed.value)
    assert "does not verify" in message
    assert f"ETH wallet ETH-cold ({eth['wallets'][0]['address']}): the statement says" in message
    from mamori.engines.merkle import LogKey

    foreign = LogKey.generate("someone-else")
    with pytest.raises(CommandError, match="a foreign key"):
        call_command("reconcile", "verify-statement", str(out), *rpc, "--key", foreign.verifier())
    assert compliance.statement_issued().passed


def test_the_pages_show_results_history_cases_and_book_errors(exchange) -> None:
    books.import_file(exchange["book"])
    steal(exchange, "ETH", 1 * ETH)
    run = runs.run("manual")
    case = Case.objects.get()
    ciso = client_for(exchange["ciso"])
    page = ciso.get("/reconciliation/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200 and "Last run per asset" in text and "result-difference" in text
    assert "Differences over 90 days" in text and f"/reconciliation/cases/{case.pk}/" in text
    ja = ciso.get("/reconciliation/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "資産ごとの直近の照合" in ja
    shown = ciso.get(f"/reconciliation/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert shown.status_code == 200
    html = shown.content.decode()
    assert f'title="{-1 * ETH} base units">-1 ETH</span>' in html  # coins; base units on hover
    assert f'title="{100 * ETH} base units">100 ETH</span>' in html
    assert str(100 * ETH) not in re.sub(r'title="[^"]*"', "", html)
    assert ">-1 ETH</span>" in text  # the overview's last run per asset
    told = Notification.objects.get(topic="reconciliation.difference")
    assert told.title_ja == "残高不一致: -1 ETH" and "-1 ETH" in told.body_en
    exported = ciso.get(f"/reconciliation/runs/{run.pk}/figures.csv", HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    header, eth = rows[0], next(r for r in rows if r[0] == "ETH" and not r[1])
    at = header.index("difference")
    assert header[at + 1] == "difference_base_units"
    assert eth[at : at + 2] == ["'-1 ETH", str(-1 * ETH)]  # formatted (formula-safe), raw
    case_page = ciso.get(f"/reconciliation/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="ja")
    assert f'title="{-1 * ETH} 基本単位">-1 ETH</span>' in case_page.content.decode()
    posted = ciso.post(
        f"/reconciliation/cases/{case.pk}/", {"do": "cause", "cause": "operational_error"}
    )
    assert posted.status_code == 302
    case.refresh_from_db()
    assert case.cause == "operational_error"
    refused = ciso.post(
        f"/reconciliation/cases/{case.pk}/", {"do": "close", "resolution": ""}, follow=True
    )
    assert "resolution" in refused.content.decode().lower()
    statement = ciso.get(f"/reconciliation/runs/{run.pk}/statement.json")
    assert (
        statement.status_code == 200 and json.loads(statement.content)["statement"]["run"] == run.pk
    )
    upload = ciso.post(
        "/reconciliation/books/", {"file": _upload("b.csv", HEADER + "x,ETH,,,1,\n")}, follow=True
    )
    assert "unknown category" in upload.content.decode()
    nobody = client_for(make_user("nobody"))
    assert nobody.get("/reconciliation/").status_code == 403
    assert nobody.post("/reconciliation/run/").status_code == 403


def test_the_dashboard_shows_each_asset_open_cases_and_missed_days_in_red(exchange) -> None:
    ciso = client_for(exchange["ciso"])
    never = ciso.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="reconcile-never"' in never
    day1 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
    with time_machine.travel(day1, tick=False):
        books.import_file(exchange["book"])
        steal(exchange, "ETH", 1 * ETH)
        runs.run("schedule")
    with time_machine.travel(day1 + timedelta(days=2), tick=False):
        page = ciso.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        ja = ciso.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'id="reconcile-missing"' in page and "2026-11-03" in page and "2026-11-04" in page
    assert "ETH: difference" in page and "BTC: matched" in page
    assert "1 open discrepancy case" in page
    assert "照合が完了していない日" in ja
    nobody = client_for(make_user("nobody"))
    assert "reconcile-" not in nobody.get("/").content.decode()


def test_node_urls_are_encrypted_at_rest_and_masked_when_shown(exchange) -> None:
    node = nodes.configure("bitcoin", "bitcoin", "http://rpcuser:hunter2@127.0.0.1:8332")
    assert "hunter2" not in node.url_encrypted and "hunter2" not in node.url_shown
    assert node.url_shown == "http://rpcuser:***@127.0.0.1:8332"
    with pytest.raises(ValueError, match="unknown chain family"):
        nodes.configure("doge", "dogecoin", "http://127.0.0.1:1")
    with pytest.raises(ValueError, match="http:// or https://"):
        nodes.configure("ethereum", "evm", "ftp://x")
    assert isinstance(nodes.adapter_for(node), chains.BitcoinAdapter)


def test_the_statement_pdf_is_built_by_the_worker_and_its_download_recorded(exchange) -> None:
    from mamori.scheduler.exportjobs import work_once

    call_command("reconcile", "run", "--book", str(exchange["book"]))
    run = Run.objects.get()
    ciso = client_for(exchange["ciso"])
    asked = ciso.post(f"/reconciliation/runs/{run.pk}/statement.pdf")
    assert asked.status_code == 302 and asked["Location"].startswith("/exports/")
    assert not Entry.objects.filter(object_type="reconciliation.statement").exists()
    assert work_once() is not None
    page = ciso.get(asked["Location"]).content.decode()
    assert "照合の署名付き証明書（PDF）" in page and f"statement-run{run.pk}.pdf" in page
    data = ciso.get(f"{asked['Location']}download").content
    assert data.startswith(b"%PDF-")
    entry = Entry.objects.get(object_type="reconciliation.statement", object_id=str(run.pk))
    assert json.loads(entry.body)["details"]["format"] == "pdf"
    assert Notification.objects.filter(topic="exports.done", link=asked["Location"]).exists()
    nobody = client_for(make_user("nobody"))
    assert nobody.get(f"{asked['Location']}download").status_code == 403
