"""Truthful compliance: each status says how it is known, and mamori's own health never counts."""

from __future__ import annotations

import pytest

from mamori.rulebook.models import Control, Requirement
from mamori.rulebook.services.controls import run_due
from mamori.rulebook.services.status import compute

pytestmark = pytest.mark.django_db
P = "urn:mamori:jvcea:"

#: Each requirement the issue found mis-mapped, with the controls that now count for it and
#: the checks of mamori itself shown beside it.
REMAPPED = {
    "srm:art12:p1": ({"OPS-STS-03"}, set()),
    "srm:art21:p1": ({"OPS-STS-01"}, set()),
    "srm:art21:p2": ({"OPS-STS-02"}, set()),
    "srm:art6:p1:i3": ({"BCP-04", "OPS-INC-02"}, {"NTF-01"}),
    "srm:art7:p3": ({"OPS-INC-02"}, {"NTF-01"}),
    "ism:art8:p1:i3": ({"BCP-04", "OPS-INC-02"}, {"NTF-01"}),
    "ism:art9:p3": ({"OPS-INC-02"}, {"NTF-01"}),
    "srm:art4:p6": ({"DOC-GOV-03", "CHG-01"}, set()),
    "srm:art11:p2": ({"DOC-GOV-03", "CHG-01"}, set()),
    "ism:art19:p2": ({"RSK-05"}, {"APR-01"}),
    "srm:art11:p6": ({"DOC-SYS-01", "CHG-02"}, set()),
    "srm:art20:p3": ({"CHG-03"}, set()),
    "ism:art33:p2": ({"DOC-CUS-06"}, set()),
    "srm:art7:p2": ({"DOC-GOV-07", "CMDB-04"}, set()),
    "ism:art9:p2": ({"DOC-GOV-07"}, set()),
    "ism:art23:p1:i2": (set(), {"AUD-01", "AUD-02"}),
    "ism:art29:p1:i1": ({"DOC-CUS-03"}, set()),
    "ism:art31:p6": ({"DOC-SYS-07", "DOC-CUS-05"}, set()),
    "ism:art34:p3": ({"DOC-CUS-07"}, set()),
    "ism:art27:p2": ({"DOC-CUS-02"}, set()),
    "ism:art27:p2:i1": ({"DOC-CUS-02"}, set()),
    "ism:art27:p3": ({"DOC-CUS-02"}, {"NTF-01"}),
}


@pytest.mark.parametrize("urn", sorted(REMAPPED))
def test_each_mis_mapped_requirement_counts_only_the_controls_that_show_it(urn: str) -> None:
    counted, shown = REMAPPED[urn]
    controls = Requirement.objects.get(urn=P + urn).controls.all()
    assert {c.code for c in controls if c.kind != "self"} == counted
    assert {c.code for c in controls if c.kind == "self"} == shown


def test_checks_of_mamori_itself_are_self_and_never_count() -> None:
    mine = set(Control.objects.filter(kind="self").values_list("code", flat=True))
    assert {"SCH-01", "NTF-01", "APR-01", "AUD-01", "AUD-02", "ACC-01"} <= mine


def test_on_an_empty_install_nothing_reads_compliant_after_every_control_ran_once() -> None:
    runs = run_due()
    assert {r.control.code for r in runs} == set(
        Control.objects.exclude(kind="document").values_list("code", flat=True)
    )
    compliance = compute()
    requirements = Requirement.objects.filter(is_requirement=True, removed_in__isnull=True)
    compliant = sorted(
        r.label for r in requirements if compliance.of(r.urn).value in ("compliant", "partial")
    )
    assert compliant == []
    for framework in ("srm", "ism"):
        urns = [r.urn for r in requirements if r.framework.ref_id == framework]
        known = compliance.how_known(urns)
        assert known == {
            "measured": 0,
            "workflow": 0,
            "document_only": 0,
            "none": len(urns),
        }


def test_the_dashboard_shows_per_rule_how_requirements_are_met_beside_the_status(people) -> None:
    from tests.conftest import client_for

    page = client_for(people["ciso"]).get("/rulebook/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "How it is known" in text
    assert "met by measurement 0" in text and "not met 102" in text and "not met 146" in text


def test_a_requirement_page_shows_mamoris_own_health_apart_and_not_counted(people) -> None:
    from tests.conftest import client_for

    run_due()
    ciso = client_for(people["ciso"])
    page = ciso.get(f"/rulebook/node/{P}ism:art23:p1:i2/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "<h2>mamori's own health</h2>" in text and "AUD-01" in text
    assert "never count toward its status" in text
    assert compute().of(P + "ism:art23:p1:i2").value != "compliant"
    # operating status is the exchange's monitoring alone: mamori's jobs no longer show there
    watch = ciso.get(f"/rulebook/node/{P}srm:art21:p1/", HTTP_ACCEPT_LANGUAGE="en")
    assert "OPS-STS-01" in watch.content.decode() and "SCH-01" not in watch.content.decode()


def test_the_statement_counts_requirements_met_by_reviewed_documents_only(people) -> None:
    import io

    from openpyxl import load_workbook

    from mamori.rulebook.services import exports
    from mamori.rulebook.services.evidence import accept_evidence, store_evidence

    pentest = Control.objects.get(code="DOC-CYB-03")  # ISM 32 (3 requirements), SRM 10-3, 10-4
    item = store_evidence(pentest, io.BytesIO(b"%PDF-1.7 x"), "p.pdf", "Pentest", people["sgm"])
    accept_evidence(item, people["ciso"], "the pentest report", item.claimed.all())
    book = load_workbook(io.BytesIO(exports.statement_xlsx("en")))
    rows = [[c.value for c in row] for row in book["Summary"].iter_rows()]
    header = rows[3]
    assert header[-4:] == [
        "Met by measurement",
        "Met by workflow",
        "Met by reviewed documents only",
        "Not met",
    ]
    by_rule = {row[0]: dict(zip(header, row, strict=True)) for row in rows[4:]}
    srm = next(v for k, v in by_rule.items() if "System" in k)
    assert srm["Met by reviewed documents only"] == 2 and srm["Met by measurement"] == 0
    sheet = book["ISM"]
    assert sheet["G1"].value == "How it is known"
    known = {row[2].value: row[6].value for row in sheet.iter_rows(min_row=2)}
    assert known[P + "ism:art32:p1"] == "Met by reviewed documents only"
    assert known[P + "ism:art34:p1"] == "Not met"
    shown = {row[2].value: row[10].value for row in sheet.iter_rows(min_row=2)}
    assert (
        "p.pdf" in shown[P + "ism:art32:p1"] and "accepted by ciso-kim" in shown[P + "ism:art32:p1"]
    )


def test_the_statement_lists_no_evidence_its_owner_has_not_accepted(people) -> None:
    import io

    from openpyxl import load_workbook

    from mamori.rulebook.services import exports
    from mamori.rulebook.services.evidence import reject_evidence, store_evidence

    pentest = Control.objects.get(code="DOC-CYB-03")
    pending = store_evidence(pentest, io.BytesIO(b"%PDF-1.7 a"), "draft.pdf", "D", people["sgm"])
    rejected = store_evidence(pentest, io.BytesIO(b"%PDF-1.7 b"), "old.pdf", "O", people["sgm"])
    reject_evidence(rejected, people["ciso"], "from 2019")
    sheet = load_workbook(io.BytesIO(exports.statement_xlsx("en")))["ISM"]
    shown = {row[2].value: row[10].value for row in sheet.iter_rows(min_row=2)}
    assert not shown[P + "ism:art32:p1"], pending


def test_the_api_says_how_each_requirement_is_known_and_which_checks_are_mamoris_own(
    people,
) -> None:
    from mamori.accounts.services import tokens
    from tests.conftest import client_for

    issued = tokens.issue("grc", ["rulebook:read"], 30, people["ciso"])
    rows = (
        client_for(people["nobody"])
        .get("/api/rulebook/requirements?rule=srm", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        .json()
    )
    by_urn = {r["urn"]: r for r in rows}
    watch = by_urn[P + "srm:art21:p1"]
    assert watch["kinds"] == {"OPS-STS-01": "measured"}
    assert watch["known_by"] == "none"  # nothing monitored yet: OPS-STS-01 is not measured
    plan = by_urn[P + "srm:art4:p6"]
    # the development plan is read from its approved versions (CHG-01), not only from a document
    assert plan["kinds"] == {"CHG-01": "workflow", "DOC-GOV-03": "document"}
    assert plan["only_documents"] is False


def test_a_role_held_on_paper_or_alone_is_not_a_measured_pass() -> None:
    """A CISO who never accepted the invitation does not make "a CISO is appointed" pass, and
    one person holding one role is no evidence that duties are segregated (review finding)."""
    from mamori.accounts.compliance import role_held, segregation_clean
    from tests.conftest import give, make_user

    give(make_user("ghost", enrolled=False), "ciso")
    assert not role_held("ciso").passed
    assert not segregation_clean().passed  # one holder: nothing could conflict
    give(make_user("sato"), "ciso")
    assert role_held("ciso").passed and role_held("ciso").evidence["holders"] == ["sato"]
    assert segregation_clean().passed
