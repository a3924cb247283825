"""Reconciliation records say only what happened (issue 24): a case records a halt only when
the custody monitor confirms it, and a refused book opens a case, tells the responsible people
and stops every later run from using an older book until a newer one is accepted."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from mamori.accounts.services import tokens
from mamori.custody.models import Asset, Halt
from mamori.custody.services import monitor
from mamori.notifications.models import Delivery, Notification
from mamori.reconciliation import compliance
from mamori.reconciliation.models import AssetPolicy, BookImport, Case, Run
from mamori.reconciliation.services import books, runs
from tests.conftest import client_for
from tests.reconciliation.test_reconciliation import BTC_HOT, ETH, HEADER, exchange, steal

__all__ = ["exchange"]  # the fixture, shared with test_reconciliation

pytestmark = pytest.mark.django_db


def _told(notification: Notification) -> set[str]:
    return set(
        Delivery.objects.filter(notification=notification, level=0).values_list(
            "user__username", flat=True
        )
    )


def test_a_halt_the_monitor_refuses_is_not_recorded_and_the_responsible_person_is_told(
    exchange,
) -> None:
    books.import_file(exchange["book"], "test")
    AssetPolicy.objects.create(asset=Asset.objects.get(code="ETH"), halt_above_units=10 * ETH)
    steal(exchange, "ETH", 20 * ETH)  # ETH was never added to the custody monitor
    run = runs.run("manual")
    assert run.status == "difference"
    case = Case.objects.get(asset="ETH")
    assert not case.halt_ordered and case.halt_refused == "unknown_asset"
    notes = [a.text for a in case.actions.all()]
    assert not any("halted" in n and "NOT halted" not in n for n in notes), notes
    assert any(
        n.startswith("halt could not be made: ETH is not configured in custody monitoring")
        for n in notes
    ), notes
    assert not Halt.objects.filter(key="ETH").exists()
    told = Notification.objects.get(topic="reconciliation.halt_refused")
    assert told.title_en == "Halt could not be made: ETH withdrawals are not halted"
    assert told.title_ja == "停止できませんでした: ETH の出金は停止されていません"
    assert "ETH is not configured in custody monitoring" in told.body_en
    assert "ETH はカストディの監視に設定されていません" in told.body_ja
    assert told.requires_ack and _told(told) == {"op-watanabe"}  # the asset's responsible

    ciso = client_for(exchange["ciso"])
    en = ciso.get(f"/reconciliation/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Halt could not be made: ETH is not configured in custody monitoring" in en
    assert "withdrawals halted" not in en
    ja = ciso.get(f"/reconciliation/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "停止できませんでした: ETH はカストディの監視に設定されていません" in ja
    issued = tokens.issue("reader", ["reconciliation:read"], 30, exchange["ciso"])
    listed = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}").get("/api/reconciliation/cases")
    assert listed.json()["items"][0]["halt"] == "not_made"
    assert listed.json()["items"][0]["halt_refused"] == "unknown_asset"

    monitor.apply_thresholds()  # ETH is now monitored: the next run makes the halt
    again = runs.run("manual")
    case.refresh_from_db()
    assert again.status == "difference" and case.halt_ordered and case.halt_refused == ""
    assert Halt.objects.filter(scope="asset", key="ETH", lifted_at__isnull=True).exists()
    assert case.actions.last().text.startswith("withdrawals of ETH halted by the custody monitor")
    en = ciso.get(f"/reconciliation/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "withdrawals halted" in en and "Halt could not be made" not in en


def test_a_halt_refused_for_an_asset_without_a_responsible_person_goes_to_the_ciso(
    exchange,
) -> None:
    books.import_file(exchange["book"], "test")
    AssetPolicy.objects.create(asset=Asset.objects.get(code="BTC"), halt_above_units=100)
    exchange["bitcoin"].utxos[BTC_HOT] = [Decimal("1.4")]  # 0.1 BTC left the hot wallet
    run = runs.run("manual")
    assert run.status == "difference"
    case = Case.objects.get(asset="BTC")
    assert not case.halt_ordered and case.halt_refused == "unknown_asset"
    told = Notification.objects.get(topic="reconciliation.halt_refused")
    assert told.levels[0] == [{"role": "ciso", "department": None}]
    assert _told(told) == {"ciso-ono"}


def test_a_refused_book_opens_a_case_and_no_run_uses_an_older_book_until_a_good_one(
    exchange, tmp_path, capsys
) -> None:
    call_command("reconcile", "import", str(exchange["book"]))
    call_command("reconcile", "run")  # matched: exit 0
    good = BookImport.objects.get()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        exchange["book"].read_text().replace("ETH-cold,c2", "ETH-warm,c2")
    )  # line 4 names a wallet that is not registered
    with pytest.raises(CommandError) as refused_cli:
        call_command("reconcile", "import", str(bad))
    refused = BookImport.objects.get(status="refused")
    case = Case.objects.get(kind="book_refused")
    assert f"case {case.pk} opened" in str(refused_cli.value)
    assert f"{bad}:4: wallet 'ETH-warm' is not registered" in str(refused_cli.value)
    assert case.book == refused and case.status == "open"
    assert "line 4: wallet 'ETH-warm' is not registered" in case.actions.get().text
    told = Notification.objects.get(topic="reconciliation.book_refused")
    assert told.title_en == f"Book refused: book {refused.pk} (bad.csv)"
    assert told.title_ja == f"帳簿の取込拒否: 帳簿 {refused.pk}（bad.csv）"
    assert "line 4: wallet 'ETH-warm' is not registered" in told.body_en
    assert _told(told) == {"op-watanabe", "ciso-ono"}  # the assets' responsible, the CISO

    with pytest.raises(SystemExit) as given_bad:
        call_command("reconcile", "run", "--book", str(bad))
    assert given_bad.value.code == 2 and "bad row(s), nothing imported" in capsys.readouterr().err
    assert Case.objects.filter(kind="book_refused").count() == 1  # noted on the open case
    refused = BookImport.objects.filter(status="refused").first()
    with pytest.raises(SystemExit) as exited:
        call_command("reconcile", "run")
    assert exited.value.code == 2
    said = capsys.readouterr().out
    named = f"book {refused.pk} (bad.csv, imported {refused.imported_at:%Y-%m-%d %H:%M} UTC)"
    assert f"{named} was refused" in said
    assert f"book {good.pk} (book.csv," in said and "is older and is not used" in said
    failed = Run.objects.first()
    assert failed.status == "failed" and failed.book is None and not failed.assets.exists()
    assert Notification.objects.filter(topic="reconciliation.failed").exists()
    control = compliance.no_unexplained_difference()  # the older matched run proves nothing
    assert not control.passed and f"book {refused.pk} (bad.csv) was refused" in control.summary_en

    runner = tokens.issue(
        "runner", ["reconciliation:run", "reconciliation:read"], 30, exchange["ciso"]
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {runner.secret}")
    answer = api.post("/api/reconciliation/runs").json()
    assert answer["status"] == "failed" and f"{named} was refused" in answer["reason"]
    cases = api.get("/api/reconciliation/cases").json()["items"]
    assert [(c["kind"], c["book"], c["run"]) for c in cases] == [
        ("book_refused", case.book_id, None)
    ]

    ciso = client_for(exchange["ciso"])
    page = ciso.get("/reconciliation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="book-refused-in-force"' in page
    assert f"Book #{refused.pk} (bad.csv, imported" in page
    ja = ciso.get("/reconciliation/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert f"帳簿 #{refused.pk}（bad.csv" in ja
    shown = ciso.get(f"/reconciliation/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert f"Book #{case.book_id} (bad.csv, imported" in shown.content.decode()

    call_command("reconcile", "import", str(exchange["book"]))  # a newer good book
    call_command("reconcile", "run")  # matched again: exit 0
    assert Run.objects.first().status == "matched" and compliance.no_unexplained_difference().passed
    assert "book.csv" in case.actions.last().text and "accepted" in case.actions.last().text
    page = ciso.get("/reconciliation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="book-refused-in-force"' not in page


def test_a_run_given_a_book_older_than_a_refused_one_is_refused(exchange, tmp_path) -> None:
    older = books.import_file(exchange["book"])
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "customer,ETH,ETH-warm,c1,1,\n")
    with pytest.raises(books.BookRefused):
        books.import_file(bad)
    run = runs.run("manual", book=older)
    assert run.status == "failed" and "bad.csv" in run.reason and "is older" in run.reason


def test_the_demo_monitors_usdc_and_says_only_the_halt_its_case_made(anvil_node) -> None:
    from mamori.accounts import demo as accounts_demo
    from mamori.core.demo import DemoReport
    from mamori.custody import demo as custody_demo
    from mamori.engines import threshold
    from mamori.reconciliation import demo

    monitor.reset()
    report = DemoReport()
    try:
        accounts_demo.load(report)
        custody_demo.load(report)
        demo.load(report)
    finally:
        demo._NODES.close()  # the demo's own nodes
        monitor.reset()
    case = Case.objects.get(asset="ETH")
    line = next(x for x in report.lines if x.startswith("Reconciliation:"))
    assert case.halt_ordered and f"opened case {case.pk} and halted ETH withdrawals" in line
    assert Halt.objects.filter(scope="asset", key="ETH", lifted_at__isnull=True).exists()
    usdc = monitor.decide(
        threshold.HaltOrder(
            "usdc-check", datetime.now(UTC), threshold.HaltScope.ASSET, "USDC", "test", "check"
        )
    )
    assert usdc.action == "halt", usdc  # USDC is in custody monitoring, so it can be halted
