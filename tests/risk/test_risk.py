"""Risk management (ISM ch.4, 21): criteria versions, analysis, treatment, the plan through
committee and board, owners' sign-off, monitoring signals, Excel, PDF, API, pages, checks."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from mamori.accounts.services import approvals, tokens
from mamori.accounts.services.approvals import ApprovalRefused
from mamori.auditlog.models import Entry
from mamori.core.compliance import get_check
from mamori.engines.risk import Rating
from mamori.events.bus import publish
from mamori.risk.models import (
    InformationAsset,
    LevelChange,
    MonitoringLink,
    RiskMatrix,
    RiskScenario,
    SecurityPlan,
    Signal,
    Threat,
)
from mamori.risk.services import RiskRefused, criteria, monitoring, plans, scenarios, workbook
from mamori.rulebook.models import Control
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    """The people the cycle needs, in their roles."""
    return {
        "sec": give(make_user("sec-ito"), "dept_information_manager"),
        "ciso": give(make_user("ciso-taka"), "ciso"),
        "sgm": give(make_user("sgm-mori"), "system_general_manager"),
        "owner": give(make_user("owner-tanaka"), "risk_owner"),
        "owner2": give(make_user("owner-yama"), "risk_owner"),
        "board1": give(make_user("board-sato"), "board_member"),
        "board2": give(make_user("board-suzu"), "board_member"),
        "dev": give(make_user("dev-naka"), "developer"),
    }


def _asset(code: str, owner, place: str = "system", categories=()) -> InformationAsset:
    return InformationAsset.objects.create(
        code=code,
        name_ja=code,
        name_en=code,
        kind="information",
        classification="confidential",
        value=4,
        owner=owner,
        location_kind=place,
        categories=list(categories),
    )


def _draft(code: str, owner, assets, inherent=(4, 5), current=(3, 5), **extra):
    values = {
        "code": code,
        "name_ja": f"{code} のリスク",
        "name_en": f"risk {code}",
        "threat": Threat.objects.get(code="hot-wallet-key-theft"),
        "assets": assets,
        "owner": owner,
        "approach": "informal",
        "approach_note": "CSIRT の判断",
        "inherent": Rating(*inherent),
        "current": Rating(*current),
        **extra,
    }
    return scenarios.ScenarioInput(**values)


@pytest.fixture
def world(org):
    """An assessment with two risks (one per owner) and the assets they touch."""
    keys = _asset("hot-keys", org["owner"], categories=["keys"])
    db = _asset("customer-db", org["owner"], categories=["customer_personal"])
    assessment = criteria.start_assessment("2026", criteria.default_matrix(), org["ciso"])
    first = scenarios.create(assessment, _draft("R-1", org["owner"], [keys]), org["sec"])
    second = scenarios.create(
        assessment, _draft("R-2", org["owner2"], [db], (3, 3), (2, 3)), org["sec"]
    )
    return {"assessment": assessment, "r1": first, "r2": second, **org}


def _treat(world, scenario, option="reduce", residual=(1, 4), owner=None):
    control = Control.objects.order_by("code").first()
    scenarios.recommend(scenario, option, "add multisig", [control], "", world["sec"])
    scenario.refresh_from_db()
    return scenarios.decide(scenario, option, Rating(*residual), "because", owner or scenario.owner)


def _approve(plan, *people):
    for person in people:
        approvals.decide(plan.approval_id, person, "approve", "ok")
    plan.refresh_from_db()
    return plan


def _approved_plan(world):
    _treat(world, world["r1"])
    _treat(world, world["r2"], "accept", (2, 3))
    plan = plans.submit(world["assessment"], world["sec"])
    return _approve(plan, world["ciso"], world["sgm"], world["board1"], world["board2"])


# --- criteria (ISM 13) ---------------------------------------------------------------------


def test_the_starter_criteria_and_catalogues_are_installed_in_both_languages(db) -> None:
    matrix = RiskMatrix.objects.get(code="default", version=1).matrix()
    assert matrix.acceptance == "medium"
    assert len(matrix.likelihood) == len(matrix.impact) == 5
    theft = Threat.objects.get(code="blind-signing")
    assert "Bybit" in theft.description_en and "Bybit" in theft.description_ja
    assert Threat.objects.count() >= 10


def test_criteria_an_assessment_uses_cannot_be_edited_and_the_refusal_names_moved_cells(
    world,
) -> None:
    row = world["assessment"].matrix
    data = json.loads(json.dumps(row.data))
    data["grid"][4][0] = "high"  # likelihood 5 × impact 1
    with pytest.raises(RiskRefused) as refused:
        criteria.edit_matrix(row, data, world["sec"])
    assert refused.value.code == "matrix_in_use"
    assert "L5×I1 medium→high" in refused.value.message
    assert "version 2" in refused.value.message
    row.refresh_from_db()
    assert row.data["grid"][4][0] == "medium"  # nothing changed
    saved = criteria.new_version("default", data, world["sec"])
    assert saved.version == 2
    assert world["r1"].assessment.matrix.version == 1  # the assessment stays fixed


def test_inconsistent_criteria_are_refused_with_every_problem(world) -> None:
    data = json.loads(json.dumps(world["assessment"].matrix.data))
    data["acceptance"] = "nope"
    data["grid"] = data["grid"][:3]
    with pytest.raises(RiskRefused) as refused:
        criteria.new_version("default", data, world["sec"])
    assert "nope" in refused.value.message and "row per likelihood" in refused.value.message
    assert RiskMatrix.objects.filter(code="default").count() == 1


# --- analysis (ISM 14–16) -------------------------------------------------------------------


def test_a_scenario_with_a_rating_outside_the_scale_or_a_non_owner_is_refused(world) -> None:
    keys = InformationAsset.objects.get(code="hot-keys")
    with pytest.raises(RiskRefused) as refused:
        scenarios.create(
            world["assessment"], _draft("R-9", world["dev"], [keys], (6, 1)), world["sec"]
        )
    message = refused.value.message
    assert "inherent" in message and "6" in message
    assert "dev-naka holds no role that may own a risk" in message
    with pytest.raises(RiskRefused, match="informal approach needs its rationale"):
        scenarios.create(
            world["assessment"],
            _draft("R-9", world["owner"], [keys], approach_note=""),
            world["sec"],
        )
    with pytest.raises(RiskRefused, match="baseline approach names the rulebook controls"):
        scenarios.create(
            world["assessment"],
            _draft("R-9", world["owner"], [keys], approach="baseline"),
            world["sec"],
        )
    assert not RiskScenario.objects.filter(code="R-9").exists()


def test_every_rating_change_is_kept_with_its_reason(world) -> None:
    r1 = world["r1"]
    assert scenarios.rate(r1, "current", Rating(4, 5), "phishing wave", world["sec"])
    assert not scenarios.rate(r1, "current", Rating(4, 5), "same again", world["sec"])
    change = LevelChange.objects.filter(scenario=r1, stage="current").first()
    assert (change.old_likelihood, change.new_likelihood) == (3, 4)
    assert (change.old_level, change.new_level) == ("high", "critical")
    assert change.reason == "phishing wave" and change.actor == world["sec"]
    with pytest.raises(RiskRefused, match="says why"):
        scenarios.rate(r1, "current", Rating(1, 1), " ", world["sec"])


def test_the_register_ranks_and_the_heat_map_counts_by_stage(world) -> None:
    ranked = scenarios.ranking(world["assessment"], "current")
    assert [s.code for s, _ in ranked] == ["R-1", "R-2"]
    assert ranked[0][1].within_acceptance is False
    assert ranked[1][1].within_acceptance is True
    maps = {m["stage"]: m for m in scenarios.heat_maps(world["assessment"])}
    top_row = maps["inherent"]["rows"][1]  # likelihood 4
    assert top_row["cells"][4]["codes"] == ["R-1"]


# --- treatment (ISM 17, 18) ------------------------------------------------------------------


def test_only_the_owner_decides_and_nothing_above_acceptance_is_accepted(world) -> None:
    r1 = world["r1"]
    scenarios.recommend(r1, "accept", "leave it", [], "", world["sec"])
    with pytest.raises(RiskRefused) as refused:
        scenarios.decide(r1, "accept", Rating(3, 5), "fine", world["owner2"])
    assert refused.value.code == "not_owner"
    with pytest.raises(RiskRefused) as refused:
        scenarios.decide(r1, "accept", Rating(3, 5), "fine", world["owner"])
    assert "above the acceptance level medium" in refused.value.message
    with pytest.raises(RiskRefused, match="still be high, above the acceptance level medium"):
        scenarios.decide(r1, "reduce", Rating(3, 5), "fine", world["owner"])
    with pytest.raises(RiskRefused, match="name the controls"):
        scenarios.decide(r1, "reduce", Rating(1, 4), "fine", world["owner"])
    r1.refresh_from_db()
    assert r1.rating("residual") == Rating(3, 5) and not r1.treatment.decided_option


def test_a_decision_keeps_the_recommendation_apart_and_versions_the_rationale(world) -> None:
    treatment = _treat(world, world["r1"])
    assert treatment.recommended_by == world["sec"] and treatment.decided_by == world["owner"]
    scenarios.add_rationale(treatment, "second thoughts", world["sec"])
    assert list(treatment.rationales.values_list("number", flat=True)) == [2, 1]
    world["r1"].refresh_from_db()
    assert world["r1"].rating("residual") == Rating(1, 4)
    with pytest.raises(RiskRefused, match="whole yen"):
        scenarios.add_action(treatment, "buy HSM", world["owner"], date(2027, 1, 1), "1.5", None)


def test_a_budget_beyond_what_the_column_holds_is_refused_on_every_way_in_with_the_limit(
    world,
) -> None:
    treatment = _treat(world, world["r1"])
    huge, due = "9" * 100, date(2027, 1, 1)
    with pytest.raises(RiskRefused, match="at most 999,999,999,999,999 yen") as refused:
        scenarios.add_action(treatment, "buy HSM", world["owner"], due, huge, None)
    assert refused.value.code == "budget_too_large"
    for bad in ("NaN", "Infinity"):
        with pytest.raises(RiskRefused, match="whole yen"):
            scenarios.add_action(treatment, "buy HSM", world["owner"], due, bad, None)
    sec, pk = client_for(world["sec"]), world["r1"].pk
    form = {"text": "buy HSM", "owner": world["owner"].pk, "due": "2027-01-01", "budget": huge}
    page = sec.post(f"/risk/scenarios/{pk}/action/", form, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "no more than 15 digits" in page.content.decode()
    body = {"text": "buy HSM", "owner": "owner-tanaka", "due": "2027-01-01", "budget_jpy": huge}
    api = sec.post(
        f"/api/risk/scenarios/{pk}/actions", body, "application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert api.status_code == 422, api.content
    [field] = api.json()["fields"]
    assert field["field"].endswith("budget_jpy") and "at most 15 digits" in field["message"]
    assert not treatment.actions.exists()
    for digits in ("9" * 16, "1" + "0" * 15):  # would come back rounded from SQLite
        with pytest.raises(RiskRefused, match="this one has 16 digits"):
            scenarios.add_action(treatment, "buy HSM", world["owner"], due, digits, None)
    scenarios.add_action(treatment, "buy HSM", world["owner"], due, "9" * 15, None)
    shown = sec.get(f"/risk/scenarios/{pk}/")
    assert shown.status_code == 200 and "9" * 15 in shown.content.decode()
    assert treatment.actions.get().budget_jpy == Decimal("9" * 15)


# --- plan (ISM 19) and sign-off (ISM 20) ---------------------------------------------------


def test_a_plan_cannot_be_compiled_while_a_treatment_is_undecided(world) -> None:
    _treat(world, world["r1"])
    with pytest.raises(RiskRefused, match="still undecided: R-2"):
        plans.submit(world["assessment"], world["sec"])
    assert not SecurityPlan.objects.exists()


def test_the_plan_passes_the_committee_then_the_board_and_never_its_author(world) -> None:
    _treat(world, world["r1"])
    _treat(world, world["r2"], "accept", (2, 3))
    treatment = world["r1"].treatment
    scenarios.add_action(
        treatment, "2-of-3 multisig", world["owner"], date(2027, 3, 31), 3_000_000, None
    )
    plan = plans.submit(world["assessment"], world["sec"])
    assert plan.snapshot["budget_jpy"] == "3000000"
    with pytest.raises(ApprovalRefused):
        approvals.decide(plan.approval_id, world["sec"], "approve", "mine")
    with pytest.raises(ApprovalRefused):
        approvals.decide(plan.approval_id, world["board1"], "approve", "board first")
    _approve(plan, world["ciso"], world["sgm"])
    assert plan.status == SecurityPlan.Status.SUBMITTED
    _approve(plan, world["board1"], world["board2"])
    assert plan.status == SecurityPlan.Status.APPROVED
    assert get_check("risk.plan_approved").run().passed
    with pytest.raises(RiskRefused, match="nothing changed since version 1"):
        plans.submit(world["assessment"], world["sec"])


def test_a_change_after_approval_needs_a_new_version(world) -> None:
    plan = _approved_plan(world)
    scenarios.add_rationale(world["r1"].treatment, "new reasoning", world["sec"])
    assert plans.out_of_date(plan, plans.live_snapshot(plan.assessment))
    result = get_check("risk.plan_approved").run()
    assert not result.passed and "new version" in result.summary_en
    second = plans.submit(world["assessment"], world["sec"])
    assert second.version == 2 and second.status == SecurityPlan.Status.SUBMITTED
    page = client_for(world["sec"]).get("/risk/plans/").content.decode()
    assert 'id="waiting"' in page and 'id="submit-plan"' not in page
    assert "低減" in page  # options in the reader's language
    with pytest.raises(RiskRefused, match="still waiting"):
        plans.submit(world["assessment"], world["sec"])


def test_owners_sign_off_what_they_saw_and_the_control_lapses_when_a_risk_changes(
    world,
) -> None:
    plan = _approved_plan(world)
    check = get_check("risk.signed_off")
    assert "owner-tanaka (missing)" in check.run().summary_en
    with pytest.raises(RiskRefused, match="owns no risk"):
        plans.sign(plan, world["dev"], world["sec"])
    with pytest.raises(RiskRefused, match="explained by someone else"):
        plans.sign(plan, world["owner"], world["owner"])
    signed = plans.sign(plan, world["owner"], world["sec"], "understood")
    assert [s["code"] for s in signed.snapshot["scenarios"]] == ["R-1"]
    assert signed.snapshot["scenarios"][0]["levels"]["residual"]["level"] == "medium"
    plans.sign(plan, world["owner2"], world["sec"])
    assert check.run().passed

    # a risk changes after sign-off: the plan is out of date and the sign-off no longer holds
    scenarios.rate(world["r2"], "current", Rating(1, 3), "patched", world["sec"])
    states = {
        s.owner: s.state for s in plans.owner_states(plan, plans.live_snapshot(plan.assessment))
    }
    assert states == {"owner-tanaka": "valid", "owner-yama": "changed"}
    assert not check.run().passed
    with pytest.raises(RiskRefused, match="new version must be approved"):
        plans.sign(plan, world["owner2"], world["sec"])


def test_a_sign_off_expires_after_its_cycle(world) -> None:
    plan = _approved_plan(world)
    plans.sign(plan, world["owner"], world["sec"])
    plans.sign(plan, world["owner2"], world["sec"])
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        states = {
            s.owner: s.state for s in plans.owner_states(plan, plans.live_snapshot(plan.assessment))
        }
        assert set(states.values()) == {"expired"}
        assert not get_check("risk.signed_off").run().passed


def test_a_rejected_plan_is_recorded_as_rejected(world, django_capture_on_commit_callbacks) -> None:
    _treat(world, world["r1"])
    _treat(world, world["r2"], "accept", (2, 3))
    plan = plans.submit(world["assessment"], world["sec"])
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decide(plan.approval_id, world["ciso"], "reject", "budget too small")
    plan.refresh_from_db()
    assert plan.status == SecurityPlan.Status.REJECTED
    assert plans.submit(world["assessment"], world["sec"]).version == 2


# --- monitoring (ISM 12-3) -----------------------------------------------------------------


def test_a_custody_halt_on_the_bus_raises_the_linked_risk_once(
    world, django_capture_on_commit_callbacks
) -> None:
    r1 = world["r1"]
    MonitoringLink.objects.create(scenario=r1, kind="custody_halt", effect="raise", steps=1)
    MonitoringLink.objects.create(scenario=world["r2"], kind="reconciliation", effect="flag")
    data = {"halt": "h1", "scope": "asset", "key": "BTC", "rule": "btc-hourly"}
    with django_capture_on_commit_callbacks(execute=True):
        publish("mamori.custody.halt_started", data, event_id="halt-started-h1")
    r1.refresh_from_db()
    assert r1.rating("current") == Rating(4, 5) and r1.needs_review
    assert "btc-hourly" in r1.review_reason
    change = r1.changes.filter(stage="current").first()
    assert change.source == "signal" and change.actor is None
    assert monitoring.take("halt-started-h1", "custody_halt", "again", {}) is None
    r1.refresh_from_db()
    assert r1.rating("current") == Rating(4, 5)  # not raised twice
    with django_capture_on_commit_callbacks(execute=True):
        publish("mamori.reconciliation.run_finished", {"run": 1, "status": "matched"}, "rec-1")
    world["r2"].refresh_from_db()
    assert not world["r2"].needs_review
    with django_capture_on_commit_callbacks(execute=True):
        publish("mamori.reconciliation.run_finished", {"run": 2, "status": "difference"}, "rec-2")
    world["r2"].refresh_from_db()
    assert world["r2"].needs_review and world["r2"].rating("current") == Rating(2, 3)
    assert Signal.objects.count() == 2


def test_a_flag_left_unreviewed_for_a_week_fails_the_control(world) -> None:
    MonitoringLink.objects.create(scenario=world["r1"], kind="incident", effect="flag")
    monitoring.take("inc-1", "incident", "phishing reported", {})
    check = get_check("risk.flags_reviewed")
    assert check.run().passed
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert not check.run().passed
        world["r1"].refresh_from_db()
        scenarios.review(world["r1"], world["owner"], "controls held")
        assert check.run().passed


# --- Excel (ISM 14, 21) ----------------------------------------------------------------------


def _book(assets: list[list], risks: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "assets"
    sheet.append(workbook.ASSET_COLUMNS)
    for row in assets:
        sheet.append(row)
    second = book.create_sheet("scenarios")
    second.append(workbook.SCENARIO_COLUMNS)
    for row in risks:
        second.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ASSET = [
    "dumps",
    "ダンプ",
    "Dumps",
    "information",
    "confidential",
    4,
    "owner-tanaka",
    "",
    "diagnostic",
    "/var/crash",
    "customer_personal",
]
RISK = [
    "R-5",
    "ダンプ漏えい",
    "Dump leak",
    "leaked-backup",
    "dumps",
    "unencrypted-dumps",
    "",
    "owner-tanaka",
    "informal",
    "judgement",
    "",
    3,
    4,
    3,
    4,
]


def test_an_import_with_bad_rows_is_refused_whole_and_names_every_bad_row(world) -> None:
    bad_asset = [*ASSET[:6], "ghost", *ASSET[7:]]
    bad_asset[0] = "dumps-2"
    bad_risk = [*RISK[:11], 9, 4, 3, 4]
    content = _book([ASSET, bad_asset], [RISK, bad_risk])
    with pytest.raises(workbook.ImportRefused) as refused:
        workbook.import_workbook(content, world["assessment"], world["sec"])
    problems = [(p.sheet, p.row, p.reason) for p in refused.value.problems]
    assert ("assets", 3, "unknown asset owner 'ghost'") in problems
    assert any(s == "scenarios" and r == 3 and "inherent" in why for s, r, why in problems)
    assert any(s == "scenarios" and r == 3 and "repeats row 2" in why for s, r, why in problems)
    assert not InformationAsset.objects.filter(code="dumps").exists()
    assert not RiskScenario.objects.filter(code="R-5").exists()


def test_an_import_creates_assets_and_risks_and_the_export_reads_back(world) -> None:
    content = _book([ASSET], [RISK])
    counts = workbook.import_workbook(content, world["assessment"], world["sec"])
    assert counts == {"assets": 1, "scenarios": 1, "ratings_changed": 0}
    risk = RiskScenario.objects.get(code="R-5")
    assert [a.code for a in risk.assets.all()] == ["dumps"]
    changed = [*RISK[:13], 2, 4]
    counts = workbook.import_workbook(_book([], [changed]), world["assessment"], world["sec"])
    assert counts["ratings_changed"] == 1
    assert risk.changes.filter(source="import").exists()
    exported = load_workbook(io.BytesIO(workbook.export(world["assessment"])))
    codes = [row[0].value for row in exported["scenarios"].iter_rows(min_row=2)]
    assert codes == ["R-1", "R-2", "R-5"]


def test_an_exported_name_or_code_that_looks_like_a_formula_is_text_and_imports_back_as_is(
    world,
) -> None:
    link = '=HYPERLINK("https://evil.example/","open")'
    command = "=cmd|' /C calc'!A0"
    asset = _asset(command, world["owner"])
    InformationAsset.objects.filter(pk=asset.pk).update(name_ja=link, name_en="@SUM(1)")
    scenarios.create(
        world["assessment"],
        _draft("R-9", world["owner"], [asset], approach_note="-2+3"),
        world["sec"],
    )
    content = workbook.export(world["assessment"])
    book = load_workbook(io.BytesIO(content))
    row = next(r for r in book["assets"].iter_rows(min_row=2) if r[0].value == "'" + command)
    assert [cell.data_type for cell in row[:3]] == ["s", "s", "s"]
    assert [cell.value for cell in row[:3]] == ["'" + command, "'" + link, "'@SUM(1)"]
    assert row[5].value == 4 and row[5].data_type == "n"
    risk = next(r for r in book["scenarios"].iter_rows(min_row=2) if r[0].value == "R-9")
    assert risk[4].value == "'" + command and risk[9].value == "'-2+3"
    InformationAsset.objects.filter(pk=asset.pk).update(name_ja="changed", name_en="changed")
    workbook.import_workbook(content, world["assessment"], world["sec"])
    asset.refresh_from_db()
    assert (asset.name_ja, asset.name_en) == (link, "@SUM(1)")


def test_a_file_that_is_not_a_workbook_is_refused(world) -> None:
    with pytest.raises(workbook.ImportRefused) as refused:
        workbook.import_workbook(b"not excel", world["assessment"], world["sec"])
    assert refused.value.code == "import_refused" and len(refused.value.fields) == 1


# --- rulebook --------------------------------------------------------------------------------


def test_the_inventory_control_needs_customer_data_and_the_three_ism_21_places(world) -> None:
    check = get_check("risk.inventory")
    result = check.run()
    assert not result.passed and "unused_area" in result.summary_en
    for place in ("unused_area", "diagnostic", "archive"):
        _asset(f"a-{place}", world["owner"], place)
    assert check.run().passed


def test_the_rulebook_maps_ism_chapter_4_and_21_to_the_risk_controls(db) -> None:
    from mamori.rulebook.models import Requirement

    for urn, control in (
        ("urn:mamori:jvcea:ism:art13:p1:i1", "RSK-01"),
        ("urn:mamori:jvcea:ism:art21:p2:i2", "RSK-02"),
        ("urn:mamori:jvcea:ism:art19:p2", "RSK-05"),
        ("urn:mamori:jvcea:ism:art20:p1", "RSK-06"),
    ):
        requirement = Requirement.objects.get(urn=urn)
        assert control in set(requirement.controls.values_list("code", flat=True))
    assert not Control.objects.filter(code__in=["DOC-RSK-01", "DOC-RSK-02"]).exists()


# --- interfaces ------------------------------------------------------------------------------


def test_the_api_reads_writes_with_scoped_tokens_and_leaves_decisions_to_people(world) -> None:
    from django.test import Client

    reader = tokens.issue("reader", ["risk:read"], 30, world["sec"])
    writer = tokens.issue("writer", ["risk:write"], 30, world["sec"])
    read = Client(HTTP_AUTHORIZATION=f"Bearer {reader.secret}")
    write = Client(HTTP_AUTHORIZATION=f"Bearer {writer.secret}")
    body = read.get("/api/risk/scenarios").json()
    assert [s["code"] for s in body["scenarios"]] == ["R-1", "R-2"]
    assert body["scenarios"][0]["levels"]["current"]["level"] == "high"
    assert read.post("/api/risk/signals", {}, content_type="application/json").status_code == 403
    signal = {"event_id": "e1", "kind": "incident", "summary": "phish"}
    assert write.post("/api/risk/signals", signal, "application/json").status_code == 201
    assert write.post("/api/risk/signals", signal, "application/json").status_code == 200
    bad = write.post(
        "/api/risk/assets",
        {
            "code": "x",
            "name_ja": "x",
            "kind": "?",
            "classification": "public",
            "value": 9,
            "owner": "ghost",
            "location_kind": "system",
        },
        "application/json",
    )
    assert bad.status_code == 422
    assert "kind must be one of" in bad.json()["message"]
    assert "unknown asset owner 'ghost'" in bad.json()["message"]
    scenario = {
        "code": "R-7",
        "name_ja": "x",
        "threat": "ddos",
        "assets": ["hot-keys"],
        "owner": "owner-tanaka",
        "approach": "informal",
        "approach_note": "n",
        "inherent": {"likelihood": 3, "impact": 3},
        "current": {"likelihood": 7, "impact": 3},
    }
    url = f"/api/risk/assessments/{world['assessment'].pk}/scenarios"
    refused = write.post(url, scenario, "application/json")
    assert refused.status_code == 422 and "current" in refused.json()["message"]
    scenario["current"]["likelihood"] = 2
    assert write.post(url, scenario, "application/json").status_code == 201
    # a token cannot decide a treatment; the owner's own session can
    decision = {"option": "accept", "residual": {"likelihood": 2, "impact": 3}, "rationale": "ok"}
    r2 = f"/api/risk/scenarios/{world['r2'].pk}"
    assert write.post(f"{r2}/decision", decision, "application/json").status_code == 401
    sec = client_for(world["sec"])
    recommendation = {"option": "accept", "recommendation": "within appetite"}
    assert sec.post(f"{r2}/recommendation", recommendation, "application/json").status_code == 200
    assert sec.post(f"{r2}/decision", decision, "application/json").status_code == 422
    owner = client_for(world["owner2"])
    decided = owner.post(f"{r2}/decision", decision, "application/json")
    assert decided.status_code == 200 and decided.json()["decided"] == "accept"


def test_the_pages_walk_the_cycle_in_japanese_and_english(world) -> None:
    _treat(world, world["r1"])
    sec = client_for(world["sec"])
    page = sec.get("/risk/")
    text = page.content.decode()
    assert page.status_code == 200 and "R-1" in text and 'id="heatmap-residual"' in text
    english = sec.get("/risk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Heat maps" in english
    assert 'href="/risk/scenarios/' not in sec.get("/risk/?flagged=1").content.decode()
    assert sec.get(f"/risk/scenarios/{world['r1'].pk}/").status_code == 200
    assert sec.get("/risk/assets/?place=system").status_code == 200
    assert sec.get("/risk/criteria/").status_code == 200
    assert sec.get("/risk/plans/").status_code == 200
    # someone who is not the owner is told so and nothing changes
    r2 = world["r2"]
    sec.post(f"/risk/scenarios/{r2.pk}/recommend/", {"option": "accept", "recommendation": "x"})
    refused = sec.post(
        f"/risk/scenarios/{r2.pk}/decide/",
        {"option": "accept", "residual_likelihood": 2, "residual_impact": 3, "rationale": "x"},
        follow=True,
    )
    assert "owner-yama" in refused.content.decode()
    r2.refresh_from_db()
    assert not r2.treatment.decided_option
    owner = client_for(world["owner2"])
    owner.post(
        f"/risk/scenarios/{r2.pk}/decide/",
        {"option": "accept", "residual_likelihood": 2, "residual_impact": 3, "rationale": "ok"},
    )
    r2.refresh_from_db()
    assert r2.treatment.decided_option == "accept"
    assert client_for(world["dev"]).get("/risk/").status_code == 403


def test_the_plan_pdf_and_the_excel_export_are_downloads_recorded_in_the_audit_log(
    world,
) -> None:
    plan = _approved_plan(world)
    plans.sign(plan, world["owner"], world["sec"])
    sec = client_for(world["sec"])
    pdf = sec.get(f"/risk/plans/{plan.pk}/plan.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "R-1" in text and "owner-tanaka" in text
    xlsx = sec.get(f"/risk/assessments/{world['assessment'].pk}/export.xlsx")
    assert xlsx.status_code == 200
    kinds = set(Entry.objects.filter(action="export").values_list("object_type", flat=True))
    assert {"risk.security_plan", "risk.register"} <= kinds


def test_an_import_through_the_page_lists_every_bad_row(world) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = [*ASSET[:6], "ghost", *ASSET[7:]]
    upload = SimpleUploadedFile("risks.xlsx", _book([bad], []))
    response = client_for(world["sec"]).post(
        f"/risk/assessments/{world['assessment'].pk}/import/", {"file": upload}
    )
    assert response.status_code == 422
    assert "unknown asset owner &#x27;ghost&#x27;" in response.content.decode()


def test_ism_20_goes_non_compliant_until_the_sign_offs_are_renewed(world) -> None:
    from mamori.rulebook.services.controls import run_control
    from mamori.rulebook.services.status import compute

    urn = "urn:mamori:jvcea:ism:art20:p1"
    control = Control.objects.get(code="RSK-06")
    plan = _approved_plan(world)
    run_control(control)
    assert compute().of(urn).value == "non_compliant"
    plans.sign(plan, world["owner"], world["sec"])
    plans.sign(plan, world["owner2"], world["sec"])
    run_control(control)
    assert compute().of(urn).value == "compliant"
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        run_control(control)
        assert compute().of(urn).value == "non_compliant"


def test_the_plan_is_sent_and_signed_off_through_the_api_by_people_only(world) -> None:
    _treat(world, world["r1"])
    _treat(world, world["r2"], "accept", (2, 3))
    writer = tokens.issue("writer", ["risk:write", "risk:read"], 30, world["sec"])
    token = Client(HTTP_AUTHORIZATION=f"Bearer {writer.secret}")
    url = f"/api/risk/assessments/{world['assessment'].pk}/plans"
    assert token.post(url).status_code == 401  # a token does not send a plan to the board
    owner = client_for(world["owner"])
    assert owner.post(url).status_code == 403  # a risk owner has no risk.manage
    sent = client_for(world["sec"]).post(url)
    assert sent.status_code == 201 and sent.json()["status"] == "submitted"
    plan = SecurityPlan.objects.get()
    _approve(plan, world["ciso"], world["sgm"], world["board1"], world["board2"])
    listed = token.get("/api/risk/plans").json()
    assert listed[0]["status"] == "approved"
    assert listed[0]["signoffs"] == {"owner-tanaka": "missing", "owner-yama": "missing"}
    sign = f"/api/risk/plans/{plan.pk}/signoff"
    body = {"explained_by": "sec-ito"}
    assert token.post(sign, body, "application/json").status_code == 401
    refused = client_for(world["dev"]).post(sign, body, "application/json")
    assert refused.status_code == 403 and "risk.own" in refused.json()["message"]
    signed = owner.post(sign, body, "application/json")
    assert signed.status_code == 201 and len(signed.json()["sha256"]) == 64
    states = token.get("/api/risk/plans").json()[0]["signoffs"]
    assert states == {"owner-tanaka": "valid", "owner-yama": "missing"}


def test_catalogues_grow_from_the_page_and_an_assessment_completes_when_all_is_decided(
    world,
) -> None:
    sec = client_for(world["sec"])
    sec.post(
        "/risk/catalogue/incident/",
        {"code": "x-2026", "name_ja": "X社流出", "name_en": "X theft", "firm": "X", "year": 2026},
    )
    sec.post("/risk/catalogue/threat/", {"code": "sim-swap", "name_ja": "SIM", "name_en": "SIM"})
    page = sec.post("/risk/catalogue/incident/", {"code": "y", "name_ja": "y", "name_en": "y"})
    assert page.status_code == 302
    from mamori.risk.models import ExternalIncident

    assert ExternalIncident.objects.filter(code="x-2026", year=2026).exists()
    assert not ExternalIncident.objects.filter(code="y").exists()  # firm and year missing
    assert Threat.objects.filter(code="sim-swap").exists()
    assessment = world["assessment"]
    with pytest.raises(RiskRefused, match="still open: R-1, R-2"):
        criteria.complete(assessment)
    _treat(world, world["r1"])
    _treat(world, world["r2"], "accept", (2, 3))
    sec.post(f"/risk/assessments/{assessment.pk}/complete/")
    assessment.refresh_from_db()
    assert assessment.status == "completed"
    keys = InformationAsset.objects.get(code="hot-keys")
    with pytest.raises(RiskRefused, match="is completed"):
        scenarios.create(assessment, _draft("R-3", world["owner"], [keys]), world["sec"])


def test_the_sign_off_cycle_is_the_configured_number_of_days(world, settings) -> None:
    import dataclasses

    settings.CONFIG = dataclasses.replace(settings.CONFIG, signoff_days=30)
    plan = _approved_plan(world)
    signed = plans.sign(plan, world["owner"], world["sec"])
    assert (signed.expires_at - signed.signed_at).days == 30


def test_the_detailed_approach_rates_the_threat_and_states_the_requirement(world) -> None:
    keys = InformationAsset.objects.get(code="hot-keys")
    with pytest.raises(RiskRefused) as refused:
        scenarios.create(
            world["assessment"], _draft("R-8", world["owner"], [keys], approach="detailed"), None
        )
    assert "rates the threat 1–5" in refused.value.message
    assert "states the security requirement" in refused.value.message
    detailed = scenarios.create(
        world["assessment"],
        _draft(
            "R-8",
            world["owner"],
            [keys],
            approach="detailed",
            threat_level=4,
            requirement="2-of-3 signatures, keys in an HSM",
        ),
        None,
    )
    assert detailed.threat_level == 4
    page = client_for(world["sec"]).get(f"/risk/scenarios/{detailed.pk}/").content.decode()
    assert "2-of-3 signatures, keys in an HSM" in page
    exported = load_workbook(io.BytesIO(workbook.export(world["assessment"])))
    header = [c.value for c in exported["scenarios"][1]]
    row = [c.value for c in exported["scenarios"][4]]
    assert row[header.index("threat_level")] == 4


def test_monitoring_goes_on_after_the_assessment_is_completed(world) -> None:
    MonitoringLink.objects.create(scenario=world["r2"], kind="incident", effect="raise")
    _treat(world, world["r1"])
    _treat(world, world["r2"], "accept", (2, 3))
    criteria.complete(world["assessment"])
    assert monitoring.take("inc-9", "incident", "malware on a desk", {}).scenarios == ["R-2"]
    world["r2"].refresh_from_db()
    assert world["r2"].rating("current") == Rating(3, 3) and world["r2"].needs_review


def test_the_dashboard_panel_counts_what_needs_attention(world) -> None:
    page = client_for(world["sec"]).get("/").content.decode()
    assert "受容水準を超える残留リスク 1件" in page  # R-1 is untreated
    assert "承認済みの計画なし" in page
    assert "受容水準を超える" not in client_for(world["dev"]).get("/").content.decode()


def test_customers_confidential_data_names_the_kinds_ism_24_lists(world) -> None:
    writer = tokens.issue("writer", ["risk:write", "risk:read"], 30, world["sec"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {writer.secret}")
    body = {
        "code": "wallet-db",
        "name_ja": "出金DB",
        "kind": "information",
        "classification": "secret",
        "value": 5,
        "owner": "owner-tanaka",
        "location_kind": "system",
        "categories": ["customer_confidential"],
    }
    refused = api.post("/api/risk/assets", body, "application/json")
    assert refused.status_code == 422 and "which kinds ISM 24-1 lists" in refused.json()["message"]
    body["confidential_kinds"] = ["passwords", "pins"]
    created = api.post("/api/risk/assets", body, "application/json")
    assert created.status_code == 201 and created.json()["confidential_kinds"] == [
        "passwords",
        "pins",
    ]
    bad = [*ASSET[:10], "customer_confidential"]
    with pytest.raises(workbook.ImportRefused) as import_refused:
        workbook.import_workbook(_book([bad], []), world["assessment"], world["sec"])
    assert "which kinds ISM 24-1 lists" in import_refused.value.problems[0].reason
    page = client_for(world["sec"]).post(
        "/risk/assets/",
        {
            "code": "x",
            "name_ja": "x",
            "name_en": "x",
            "kind": "information",
            "classification": "public",
            "value": 1,
            "owner": world["owner"].pk,
            "location_kind": "system",
            "confidential_kinds": ["cards"],
        },
    )
    assert "only for customers" in page.content.decode()
    assert not InformationAsset.objects.filter(code="x").exists()
    exported = load_workbook(io.BytesIO(workbook.export(world["assessment"])))
    header = [c.value for c in exported["assets"][1]]
    assert "confidential_kinds" in header


def test_the_command_line_exports_imports_all_or_nothing_and_prints_the_register(
    world, tmp_path, capsys
) -> None:
    from django.core.management import CommandError, call_command

    out = tmp_path / "risks.xlsx"
    call_command("risk", "export", "--output", str(out))
    assert load_workbook(out)["scenarios"].max_row == 3
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_book([[*ASSET[:6], "ghost", *ASSET[7:]]], []))
    with pytest.raises(CommandError, match="何も取り込んでいません"):
        call_command("risk", "import", str(bad), "--as", "sec-ito")
    assert "assets row 2: unknown asset owner 'ghost'" in capsys.readouterr().err
    with pytest.raises(CommandError, match="may manage risks"):
        call_command("risk", "import", str(out), "--as", "owner-tanaka")
    good = tmp_path / "good.xlsx"
    good.write_bytes(_book([ASSET], [RISK]))
    call_command("risk", "import", str(good), "--as", "sec-ito")
    assert "1 new risks" in capsys.readouterr().out
    call_command("risk", "register", "--json", "--stage", "current")
    codes = [r["code"] for r in json.loads(capsys.readouterr().out)["risks"]]
    assert codes == ["R-1", "R-5", "R-2"]
