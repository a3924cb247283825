"""Amounts are exact on every database (issue 24): the two amount fields, their encoding on
SQLite, every model's amount columns, the migrations, and the exports that carry amounts."""

from __future__ import annotations

import decimal
import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import FieldError, ValidationError
from django.db import connection, models, transaction
from django.db.models import Max, Min
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mamori.accounts.models import User
from mamori.core.amounts import (
    MAX_DIGITS,
    BaseUnitsField,
    FiatField,
    Total,
    in_coins,
    sortable,
    unsortable,
)
from mamori.custody.models import Asset, CapPolicy, ThresholdRule
from mamori.reconciliation.models import AssetPolicy, AssetResult, Case, Run, WalletResult
from mamori.reconciliation.services import statements
from tests.conftest import make_user

TOP = 2**256 - 1  # the largest balance an EVM account or ERC-20 token can hold
FOUND = 123456789012345678901  # the auditor's wallet (21 digits)
DB = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

units = st.integers(min_value=0, max_value=TOP)
differences = st.integers(min_value=-TOP, max_value=TOP)


def fiat(field: FiatField) -> st.SearchStrategy[Decimal]:
    """Return amounts ``field`` holds: up to its digits, with up to its decimal places."""
    assert field.max_digits is not None and field.decimal_places is not None
    places = field.decimal_places
    top = 10**field.max_digits - 1
    return st.integers(min_value=0, max_value=top).map(lambda n: Decimal(f"{n}E-{places}"))


# --- the encoding --------------------------------------------------------------------------

numbers = st.one_of(
    st.integers(min_value=-(10**MAX_DIGITS) + 1, max_value=10**MAX_DIGITS - 1),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**30), max_value=10**30),
)


@settings(max_examples=300, deadline=None)
@given(a=numbers, b=numbers)
@example(a=0, b=Decimal("-0.000"))
@example(a=Decimal("-1.5"), b=Decimal("-1.55"))
@example(a=Decimal("-0.5"), b=Decimal("-0.05"))
@example(a=-10, b=-9)
def test_the_encoded_text_sorts_and_compares_as_the_numbers_do(a, b) -> None:
    assert unsortable(sortable(a)) == a
    assert (sortable(a) < sortable(b)) == (a < b)
    assert (sortable(a) == sortable(b)) == (a == b)


def test_the_encoding_refuses_what_is_not_an_encoded_amount() -> None:
    for text in (
        "",
        "123",
        "1.5e+20",
        "P0x1",
        "N98",
        "P0312",
        "P0150",
        "P0201",
        "X01",
        "P01-1",
        "N989~",
    ):
        with pytest.raises(ValueError):
            unsortable(text)


# --- the fields ----------------------------------------------------------------------------


def test_a_base_unit_amount_is_a_whole_number_never_a_float_nor_rounded() -> None:
    field = BaseUnitsField()
    assert field.to_python("123456789012345678901") == FOUND
    assert field.to_python(Decimal("1E+21")) == 10**21
    assert type(field.to_python(Decimal(FOUND))) is int
    for bad in (1.0, True, Decimal("1.5"), "1.5", "x", Decimal("NaN")):
        with pytest.raises(ValidationError):
            field.to_python(bad)
    with pytest.raises(ValueError, match="at most 80 digits"):
        field.get_db_prep_value(10**MAX_DIGITS, connection)
    with pytest.raises(ValidationError):
        field.clean(-1, None)  # unsigned: a balance is never negative
    assert BaseUnitsField(signed=True).clean(-TOP, None) == -TOP


def test_a_fiat_amount_with_more_places_or_digits_than_the_field_is_refused_not_rounded() -> None:
    field = ThresholdRule._meta.get_field("limit_jpy")
    assert isinstance(field, FiatField)
    assert field.get_db_prep_value(Decimal("1.5"), connection) is not None
    with pytest.raises(ValueError, match="6 decimal places"):
        field.get_db_prep_value(Decimal("1.0000001"), connection)
    with pytest.raises(ValueError, match="at most 30 digits"):
        field.get_db_prep_value(Decimal(10**24), connection)
    with pytest.raises(ValidationError):
        field.to_python(0.1)


def test_text_lookups_and_transforms_on_an_amount_are_refused() -> None:
    for lookup in ("book__contains", "book__startswith", "difference__regex", "book__year"):
        with pytest.raises(FieldError):
            AssetResult.objects.filter(**{lookup: "1"})


# --- every model ---------------------------------------------------------------------------

AMOUNT_NAME = re.compile(
    r"(^|_)(units|amount|amounts|balance|balances|limit|book|on_chain|difference|in_flight"
    r"|jpy|yen|value|budget|threshold|total|totals|fee|price|cost)(_|$)"
)

#: Fields that look like amounts (by name or type) but are not, and why.
NOT_AMOUNTS = {
    "custody.CapPolicy.k": "a ratio (hot balance ÷ expected outflow), 6 digits, 3 places",
    "custody.CapPolicy.max_share": "a share of the asset (0–1), 4 digits, 3 places",
    "risk.InformationAsset.value": "the asset's value rating (1–5), not money",
    "reconciliation.BookImport.totals": "JSON list whose amounts are written as digit strings",
    "keys.SigningPolicy.max_fee_rate": "a rate (satoshi per vbyte, wei per gas), not an amount",
    "operations.ObligationRule.due_amount": "how many hours or days a report is due after",
    "operations.QualityCriterion.threshold": "a quality threshold (count, percent, ms), not money",
    "operations.MonitoredService.availability_target": "an availability target in percent",
}


def _concrete_fields() -> list[tuple[str, models.Field[Any, Any]]]:
    return [
        (f"{model._meta.label}.{field.name}", field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if not field.is_relation
    ]


def test_every_field_that_looks_like_an_amount_is_one_of_the_two_amount_types() -> None:
    wrong = []
    for label, field in _concrete_fields():
        if isinstance(field, BaseUnitsField | FiatField) or label in NOT_AMOUNTS:
            continue
        if isinstance(field, models.DecimalField | models.FloatField) or AMOUNT_NAME.search(
            field.name
        ):
            wrong.append(f"{label} ({type(field).__name__})")
    assert not wrong, (
        "amounts must use mamori.core.amounts.BaseUnitsField or FiatField "
        f"(or be justified in NOT_AMOUNTS): {wrong}"
    )
    labels = {label for label, _ in _concrete_fields()}
    assert set(NOT_AMOUNTS) <= labels, "an allowance names a field that no longer exists"


def test_the_decimals_allowed_as_non_amounts_survive_a_float_round_trip() -> None:
    for label, field in _concrete_fields():
        if label in NOT_AMOUNTS and isinstance(field, models.DecimalField):
            assert field.max_digits is not None and field.max_digits <= 15, label


# --- every store ---------------------------------------------------------------------------


def _rows() -> dict[type[models.Model], models.Model]:
    """Return one row of every model that holds an amount."""
    now = timezone.now()
    asset = Asset.objects.create(code="ETH", name="Ether", chain="ethereum", decimals=18)
    run = Run.objects.create(trigger="test", day=date(2026, 12, 6), started_at=now)
    result = AssetResult.objects.create(run=run, asset="ETH", status="matched", book=0, in_flight=0)
    rows: dict[type[models.Model], models.Model] = {
        ThresholdRule: ThresholdRule.objects.create(
            code="t", direction="withdrawal", scope="single", level="halt", limit_units=1
        ),
        CapPolicy: CapPolicy.objects.create(asset=asset),
        AssetPolicy: AssetPolicy.objects.create(asset=asset),
        AssetResult: result,
        WalletResult: WalletResult.objects.create(
            asset_result=result, wallet="hot", address="0x0", status="matched"
        ),
        Case: Case.objects.create(asset="ETH", run=run, difference=0, opened_at=now),
    }
    rows.update(_treatment_action())
    rows.update(_signing(now))
    rows.update(_incident(now))
    rows.update(_devplan_project(now))
    return rows


def _devplan_project(now: Any) -> dict[type[models.Model], models.Model]:
    """Return a project of a development plan version (its budget, yen; SRM 4-6)."""
    from mamori.operations.models import DevelopmentPlan, DevPlanProject, DevPlanVersion

    person = make_user("devplan-amounts")
    plan = DevelopmentPlan.objects.create(code="p", title="p")
    version = DevPlanVersion.objects.create(
        plan=plan,
        number=1,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        strategy="s",
        created_by=person,
        created_at=now,
    )
    project = DevPlanProject.objects.create(
        version=version,
        name="p",
        responsible=person,
        budget_jpy=0,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    return {DevPlanProject: project}


def _incident(now: Any) -> dict[type[models.Model], models.Model]:
    """Return an incident (assets at risk, yen) and a severity rule (its threshold)."""
    from mamori.operations.models import Incident, SeverityRule

    return {
        Incident: Incident.objects.create(reference="INC-T-001", title="t", detected_at=now),
        SeverityRule: SeverityRule.objects.create(
            severity="S1", fact="assets_at_risk_jpy", at_least=1
        ),
    }


def _signing(now: Any) -> dict[type[models.Model], models.Model]:
    """Return a wallet's signing policy, an intent and a pre-sign answer (ISM 29-1-4)."""
    from mamori.keys.models import PresignAnswer, SigningPolicy, WithdrawalIntent
    from mamori.keys.models import Wallet as KeyWallet

    wallet = KeyWallet.objects.create(name="eth-safe", chain="ethereum", asset="ETH")
    return {
        SigningPolicy: SigningPolicy.objects.create(wallet=wallet, max_fee=0),
        WithdrawalIntent: WithdrawalIntent.objects.create(
            event_id="w-1",
            customer="c",
            asset="ETH",
            chain="ethereum",
            amount=0,
            destination="0x0",
            state="approved",
            decided_at=now,
        ),
        PresignAnswer: PresignAnswer.objects.create(
            wallet_name="eth-safe",
            caller="token:t",
            channel="http",
            kind="evm",
            request_sha256="0" * 64,
            decision="refuse",
            fee=0,
            at=now,
        ),
    }


def _treatment_action() -> dict[type[models.Model], models.Model]:
    """Return a treatment action of a decided risk (the risk tests' world, smaller)."""
    from mamori.risk.models import TreatmentAction
    from mamori.risk.services import criteria, scenarios
    from tests.conftest import give
    from tests.risk.test_risk import _asset, _draft, _treat

    owner = give(make_user("owner-amounts"), "risk_owner")
    sec = give(make_user("sec-amounts"), "dept_information_manager")
    assessment = criteria.start_assessment("2026", criteria.default_matrix(), sec)
    scenario = scenarios.create(assessment, _draft("R-1", owner, [_asset("keys", owner)]), sec)
    _treat({"sec": sec}, scenario)
    action = scenarios.add_action(scenario.treatment, "multisig", owner, date(2027, 1, 1), 1, sec)
    return {TreatmentAction: action}


def _amount_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BaseUnitsField | FiatField)]


@pytest.fixture
def stores(db):
    return _rows()


def test_every_model_with_an_amount_has_a_row_in_the_store_test(stores) -> None:
    holders = {m for m in apps.get_models() if _amount_fields(m)}
    assert holders == set(stores), "add a row of the new model to _rows()"


@DB
@given(data=st.data())
def test_every_amount_field_saves_and_reads_back_exactly(stores, data) -> None:
    for model, row in stores.items():
        for field in _amount_fields(model):
            if isinstance(field, FiatField):
                value: Any = data.draw(fiat(field), label=field.name)
            else:
                value = data.draw(differences if field.signed else units, label=field.name)
            with transaction.atomic():
                setattr(row, field.attname, value)
                row.save(update_fields=[field.attname])
                again = model._base_manager.get(pk=row.pk)
                stored = getattr(again, field.attname)
                assert stored == value and type(stored) is type(value), (field, stored, value)
                assert model._base_manager.filter(**{field.name: value}, pk=row.pk).exists()
                listed = model._base_manager.filter(pk=row.pk).values_list(field.name, flat=True)
                assert list(listed) == [value]
                model._base_manager.filter(pk=row.pk).update(**{field.name: value})
                assert getattr(model._base_manager.get(pk=row.pk), field.attname) == value
                transaction.set_rollback(True)


def _check_order(queryset: Any, name: str, values: list[Any], pivot: Any) -> None:
    got = list(queryset.order_by(name, "pk").values_list(name, flat=True))
    assert got == sorted(values)
    got = list(queryset.order_by(f"-{name}", "-pk").values_list(name, flat=True))
    assert got == sorted(values, reverse=True)
    for lookup, test in (
        ("lt", lambda v: v < pivot),
        ("lte", lambda v: v <= pivot),
        ("gt", lambda v: v > pivot),
        ("gte", lambda v: v >= pivot),
        ("exact", lambda v: v == pivot),
    ):
        found = sorted(queryset.filter(**{f"{name}__{lookup}": pivot}).values_list(name, flat=True))
        assert found == sorted(v for v in values if test(v)), lookup
    low, high = min(pivot, values[0]), max(pivot, values[0])
    found = sorted(queryset.filter(**{f"{name}__range": (low, high)}).values_list(name, flat=True))
    assert found == sorted(v for v in values if low <= v <= high)
    found = sorted(queryset.filter(**{f"{name}__in": values[:2]}).values_list(name, flat=True))
    assert found == sorted(v for v in values if v in values[:2])
    extremes = queryset.aggregate(top=Max(name), bottom=Min(name), total=Total(name))
    with decimal.localcontext(decimal.Context(prec=400)):  # Python's own sum, exactly
        total = sum(values)
    assert extremes == {"top": max(values), "bottom": min(values), "total": total}
    assert queryset.none().aggregate(total=Total(name), zero=Total(name, default=0)) == {
        "total": None,
        "zero": 0,
    }
    assert queryset.filter(**{f"{name}__in": []}).aggregate(zero=Total(name, default=0)) == {
        "zero": 0
    }


@DB
@given(
    values=st.lists(differences, min_size=1, max_size=6),
    pivot=differences,
    near=st.sampled_from([0, 1, -1, 9, -9, 10, -10, FOUND, -FOUND, TOP, -TOP]),
)
def test_base_unit_amounts_order_and_filter_in_the_database_as_numbers_do(
    stores, values, pivot, near
) -> None:
    values = [*values, near, near + 1, near - 1]
    run = stores[Case].run
    with transaction.atomic():
        AssetResult.objects.bulk_create(
            AssetResult(
                run=run, asset=f"A{n}", status="difference", book=0, in_flight=0, difference=v
            )
            for n, v in enumerate(values)
        )
        rows = AssetResult.objects.filter(asset__startswith="A")
        _check_order(rows, "difference", values, pivot)
        _check_order(rows, "difference", values, near)
        transaction.set_rollback(True)


@DB
@given(data=st.data())
def test_fiat_amounts_order_and_filter_in_the_database_as_numbers_do(stores, data) -> None:
    field = ThresholdRule._meta.get_field("limit_jpy")
    values = data.draw(st.lists(fiat(field), min_size=1, max_size=6))
    pivot = data.draw(st.one_of(fiat(field), st.sampled_from(values)))
    with transaction.atomic():
        ThresholdRule.objects.bulk_create(
            ThresholdRule(
                code=f"j{n}", direction="withdrawal", scope="single", level="halt", limit_jpy=v
            )
            for n, v in enumerate(values)
        )
        _check_order(ThresholdRule.objects.filter(code__startswith="j"), "limit_jpy", values, pivot)
        transaction.set_rollback(True)


# --- the exports ---------------------------------------------------------------------------


def _run_with(stores: dict[Any, Any], chain: int, book: int) -> Run:
    run = stores[Case].run
    run.status, run.finished_at = "difference", timezone.now()
    run.save()
    AssetResult.objects.filter(run=run).delete()
    result = AssetResult.objects.create(
        run=run,
        asset="ETH",
        chain="ethereum",
        block_number=7,
        block_hash="0xabc",
        status="difference" if chain != book else "matched",
        book=book,
        in_flight=0,
        on_chain=chain,
        difference=chain - book,
    )
    WalletResult.objects.create(
        asset_result=result,
        wallet="ETH-hot",
        address="0x1",
        status=result.status,
        book=book,
        in_flight=0,
        on_chain=chain,
        difference=chain - book,
    )
    return run


@DB
@given(chain=units, book=units)
@example(chain=FOUND, book=FOUND + 1)
def test_the_statement_json_and_the_html_of_its_pdf_carry_every_digit(stores, chain, book) -> None:
    with transaction.atomic():
        document = statements.build(_run_with(stores, chain, book))
        (entry,) = document["assets"]
        assert (entry["on_chain"], entry["book"], entry["difference"]) == (
            str(chain),
            str(book),
            str(chain - book),
        )
        assert entry["wallets"][0]["difference"] == str(chain - book)
        html = statements.pdf_html({"statement": document, "signature": {}, "verifier": ""}, "en")
        for figure in (chain, book, chain - book):
            assert str(figure) in html
        transaction.set_rollback(True)


def test_the_api_the_pages_and_the_monitors_thresholds_show_every_digit(stores) -> None:
    from mamori.custody.services import monitor
    from tests.conftest import client_for, give

    run = _run_with(stores, FOUND - 1, FOUND)  # one wei missing
    Case.objects.filter(pk=stores[Case].pk).update(difference=-1)
    reader = client_for(give(make_user("audit-amounts"), "internal_auditor"))
    (entry,) = reader.get(f"/api/reconciliation/runs/{run.pk}").json()["assets"]
    assert (entry["on_chain"], entry["book"], entry["difference"]) == (
        str(FOUND - 1),
        str(FOUND),
        "-1",
    )
    assert [c["difference"] for c in reader.get("/api/reconciliation/cases").json()["items"]] == [
        "-1"
    ]
    page = reader.get(f"/reconciliation/runs/{run.pk}/").content.decode()
    assert str(FOUND - 1) in page and str(FOUND) in page
    rule = stores[ThresholdRule]
    ThresholdRule.objects.filter(pk=rule.pk).update(limit_units=TOP, limit_jpy=None)
    rule.refresh_from_db()
    assert monitor.rule_data(rule)["limit_units"] == str(TOP)


def test_a_run_whose_wallets_offset_does_not_read_difference_0_alone(stores) -> None:
    """Issue 25: an asset can differ between wallets while its total matches; the page says
    so instead of "差異あり 0"."""
    from tests.conftest import client_for, give

    run = _run_with(stores, 5 * 10**18, 5 * 10**18)
    AssetResult.objects.filter(run=run).update(status="difference")
    reader = client_for(give(make_user("audit-offset"), "internal_auditor"))
    page = reader.get(f"/reconciliation/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE="ja")
    html = page.content.decode()
    assert (
        ">0 ETH</span></strong> <small" in html and "ウォレット間に差異あり（合計は一致）" in html
    )
    assert f'title="{5 * 10**18} 基本単位">5 ETH</span>' in html


def test_a_difference_shown_in_coins_is_exact_in_the_history_chart(stores) -> None:
    from datetime import UTC, datetime

    from mamori.reconciliation.services import history

    assert str(in_coins(-40 * 10**18, 18)) == "-40" and in_coins(1, 18) == Decimal("1E-18")
    assert in_coins(FOUND, 0) == FOUND
    _run_with(stores, 0, TOP)  # every wei missing
    (chart,) = [
        c for c in history.charts(now=datetime(2026, 12, 6, 3, tzinfo=UTC)) if c.asset == "ETH"
    ]
    exact = "115792089237316195423570985008687907853269984665640564039457.584007913129639935"
    assert str(chart.largest) == exact
    grouped = "115,792,089,237,316,195,423,570,985,008,687,907,853,269,984,665,640,564,039,457"
    assert chart.bars[-1].label == f"2026-12-06: -{grouped}.584007913129639935 ETH"


def test_a_budget_of_sixteen_digits_reaches_the_plan_and_its_pdf(stores) -> None:
    from pypdf import PdfReader

    from mamori.risk.models import SecurityPlan, TreatmentAction
    from mamori.risk.services import documents, plans

    action = stores[TreatmentAction]
    TreatmentAction.objects.filter(pk=action.pk).update(budget_jpy=Decimal("9999999999999999"))
    assert TreatmentAction.objects.get(pk=action.pk).budget_jpy == 9999999999999999
    assessment = action.treatment.scenario.assessment
    plan = plans.submit(assessment, User.objects.get(username="sec-amounts"))
    assert plan.snapshot["budget_jpy"] == "9999999999999999"
    body = documents.plan_pdf(SecurityPlan.objects.get(pk=plan.pk), "en")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert "9999999999999999" in text.replace(",", "")


# --- the book against the chain, and the signed statement -----------------------------------

BOOK_TOP = 10**38 - 1  # the widest book row (mamori.engines.reconcile.book.MAX_DIGITS)


@pytest.fixture
def ether(anvil_node, db, tmp_path):
    """ETH on anvil in a hot and a cold wallet, the node configured for reconciliation."""
    from mamori.custody.models import Wallet
    from mamori.custody.services import monitor
    from mamori.reconciliation.services import nodes
    from mamori.testing.anvil import make_addresses

    monitor.reset()
    eth = Asset.objects.create(code="ETH", name="Ether", chain="ethereum", decimals=18)
    hot, cold = make_addresses(2, "amounts")
    Wallet.objects.create(name="ETH-hot", kind="hot", asset=eth, address=hot)
    Wallet.objects.create(name="ETH-cold", kind="cold", asset=eth, address=cold)
    nodes.configure("ethereum", "evm", anvil_node.url)
    yield {"node": anvil_node, "addresses": (hot, cold), "dir": tmp_path}
    monitor.reset()


def _reconcile(ether, chain: tuple[int, int], book: tuple[int, int]) -> Run:
    """Give the wallets ``chain`` wei, import a book saying ``book``, run reconciliation."""
    from mamori.reconciliation.services import books, runs

    ether["node"].set_balances(list(ether["addresses"]), list(chain))
    ether["node"].rpc("anvil_mine", ["0x1"])
    path = ether["dir"] / f"book-{Run.objects.count()}.csv"
    path.write_text(
        "category,asset,wallet,account,amount,reference\n"
        f"customer,ETH,ETH-hot,c1,{book[0]},\n"
        f"customer,ETH,ETH-cold,c2,{book[1]},\n"
    )
    books.import_file(path, "test")
    return runs.run("manual")


def _statement(ether, run: Run, capsys, pdf: bool = False) -> dict[str, Any]:
    """Return the signed statement of ``run`` after ``verify-statement`` accepted it."""
    import json

    from django.core.management import call_command

    out = ether["dir"] / f"statement-{run.pk}.json"
    extra = ["--pdf", str(ether["dir"] / f"statement-{run.pk}.pdf")] if pdf else []
    call_command("reconcile", "statement", str(run.pk), "--output", str(out), *extra)
    capsys.readouterr()
    call_command(
        "reconcile", "verify-statement", str(out), "--rpc", f"ethereum={ether['node'].url}"
    )
    assert "every figure confirmed" in capsys.readouterr().out
    return json.loads(out.read_text())["statement"]


def test_the_auditors_wallet_of_21_digits_is_exact_and_a_1_wei_shortfall_is_minus_1(
    ether, capsys
) -> None:
    from pypdf import PdfReader

    run = _reconcile(ether, (FOUND, 0), (FOUND, 0))
    result = run.assets.get()
    assert run.status == "matched"
    assert (result.book, result.on_chain, result.difference) == (FOUND, FOUND, 0)
    assert result.wallets.get(wallet="ETH-hot").on_chain == FOUND
    assert AssetResult.objects.filter(on_chain=FOUND).count() == 1
    assert not AssetResult.objects.filter(on_chain__in=[FOUND - 1, FOUND + 1]).exists()
    statement = _statement(ether, run, capsys, pdf=True)
    (entry,) = statement["assets"]
    assert (entry["on_chain"], entry["book"], entry["difference"]) == (str(FOUND), str(FOUND), "0")
    pdf = ether["dir"] / f"statement-{run.pk}.pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert str(FOUND) in text

    short = _reconcile(ether, (FOUND - 1, 0), (FOUND, 0))  # one wei missing
    result = short.assets.get()
    assert short.status == "difference"
    assert (result.book, result.on_chain, result.difference) == (FOUND, FOUND - 1, -1)
    assert result.wallets.get(wallet="ETH-hot").difference == -1
    assert Case.objects.get(asset="ETH").difference == -1
    (entry,) = _statement(ether, short, capsys)["assets"]
    assert entry["difference"] == "-1"
    assert entry["on_chain"] == "123456789012345678900"


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    chain=st.tuples(units, units),
    book=st.tuples(
        st.integers(min_value=0, max_value=BOOK_TOP), st.integers(min_value=0, max_value=BOOK_TOP)
    ),
)
@example(chain=(TOP, TOP), book=(BOOK_TOP, 0))
def test_any_balance_up_to_2_256_reconciles_exactly_and_its_statement_verifies(
    ether, capsys, chain, book
) -> None:
    run = _reconcile(ether, chain, book)
    result = run.assets.get()
    difference = sum(chain) - sum(book)
    assert (result.on_chain, result.book, result.difference) == (sum(chain), sum(book), difference)
    assert run.status == ("matched" if chain == book else "difference")
    hot = result.wallets.get(wallet="ETH-hot")
    assert (hot.on_chain, hot.book, hot.difference) == (chain[0], book[0], chain[0] - book[0])
    (entry,) = _statement(ether, run, capsys)["assets"]
    assert entry["difference"] == str(difference)
    assert [w["on_chain"] for w in entry["wallets"]] == [str(chain[1]), str(chain[0])]


# --- the migration -------------------------------------------------------------------------


def _migrate(target: list[tuple[str, str]] | None = None) -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(target or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_amounts_stored_before_the_migration_are_kept_and_ordered_after_it(caplog) -> None:
    old = {"m1": (2**63 - 1, "1234567.5"), "m2": (FOUND, None), "m3": (5, "0.000001")}
    _migrate([("custody", "0007_threshold_halt_scope")])
    try:
        with connection.cursor() as cursor:
            for code, (units_, jpy) in old.items():
                cursor.execute(
                    "INSERT INTO custody_thresholdrule (code, direction, scope, level,"
                    " limit_units, limit_jpy, halt_scope, active)"
                    " VALUES (%s, 'withdrawal', 'single', 'halt', %s, %s, '', %s)",
                    [code, Decimal(units_), None if jpy is None else Decimal(jpy), True],
                )
        _migrate([("custody", "0008_exact_amounts")])
        # the columns of 0008 only: a later migration may add others
        kept_columns = ThresholdRule.objects.only("code", "limit_units", "limit_jpy")
        rows = {r.code: r for r in kept_columns.filter(code__in=old)}
        assert rows["m1"].limit_units == 2**63 - 1
        assert rows["m1"].limit_jpy == Decimal("1234567.5")
        assert rows["m3"].limit_jpy == Decimal("0.000001")
        # what the old column kept: exact on PostgreSQL, 15 digits on SQLite (the bug)
        kept = FOUND if connection.vendor == "postgresql" else 123456789012346000000
        assert rows["m2"].limit_units == kept
        if connection.vendor == "sqlite":  # the row whose digits were lost is named
            (warning,) = [r.getMessage() for r in caplog.records if "SQLite had kept" in r.msg]
            assert "custody.ThresholdRule.limit_units of row" in warning
            assert "1.23456789012346e+20" in warning
        above = ThresholdRule.objects.filter(code__in=old, limit_units__gt=2**63 - 2)
        assert list(above.order_by("limit_units").values_list("code", flat=True)) == ["m1", "m2"]
        _migrate([("custody", "0007_threshold_halt_scope")])  # and back
        with connection.cursor() as cursor:
            cursor.execute("SELECT limit_units FROM custody_thresholdrule WHERE code = 'm1'")
            assert int(cursor.fetchone()[0]) == 2**63 - 1
    finally:
        _migrate()
