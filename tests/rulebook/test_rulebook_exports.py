"""Statement of Compliance as PDF and Excel, evidence pack with hashes, each recorded."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from mamori.auditlog.models import Entry
from mamori.rulebook.models import Control
from mamori.rulebook.services import exports
from mamori.rulebook.services.evidence import accept_evidence, store_evidence
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_excel_statement_lists_every_requirement_with_status(people) -> None:
    response = client_for(people["board"]).get("/rulebook/export/statement.xlsx?lang=en")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "SRM", "ISM"] or set(book.sheetnames) == {
        "Summary",
        "SRM",
        "ISM",
    }
    ism = book["ISM"]
    assert ism["A1"].value == "Rule" and ism["F1"].value == "Status"
    urns = [row[2].value for row in ism.iter_rows(min_row=2)]
    assert len(urns) == 146 and "urn:mamori:jvcea:ism:art34:p1" in urns
    digest = hashlib.sha256(response.content).hexdigest()
    entry = Entry.objects.get(action="export", object_type="rulebook.statement.xlsx")
    assert json.loads(entry.body)["details"]["sha256"] == digest


def test_the_pdf_statement_renders_japanese(people) -> None:
    data = exports.statement_pdf("ja")
    assert data.startswith(b"%PDF-") and len(data) > 10_000
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "適合状況報告書" in text


def test_the_evidence_pack_holds_files_a_manifest_and_the_checkpoint(people) -> None:
    control = Control.objects.get(code="DOC-CUS-07")
    store_evidence(control, io.BytesIO(b"%PDF-1.4 audit"), "audit.pdf", "Audit", people["ciso"])
    response = client_for(people["auditor"]).get("/rulebook/export/evidence-pack.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    names = {f["path"] for f in manifest["files"]}
    assert {"statement-ja.pdf", "statement-ja.xlsx", "checkpoint.txt"} <= names
    assert any(n.startswith("evidence/DOC-CUS-07/") for n in names)
    for item in manifest["files"]:
        assert hashlib.sha256(archive.read(item["path"])).hexdigest() == item["sha256"]
    assert manifest["checkpoint"]["size"] > 0
    assert archive.read("checkpoint.txt").decode().splitlines()[1] == str(
        manifest["checkpoint"]["size"]
    )
    entry = Entry.objects.get(action="export", object_type="rulebook.evidence_pack")
    assert (
        json.loads(entry.body)["details"]["sha256"] == hashlib.sha256(response.content).hexdigest()
    )


def test_an_evidence_name_that_looks_like_a_formula_is_written_as_text(people) -> None:
    control = Control.objects.get(code="DOC-CUS-07")
    item = store_evidence(
        control, io.BytesIO(b"%PDF-1.4 audit"), "-2-cmd.pdf", "Audit", people["sgm"]
    )
    accept_evidence(item, people["ciso"], "audit report", item.claimed.all())
    book = load_workbook(io.BytesIO(exports.statement_xlsx("en")))
    cells = [c for row in book["ISM"].iter_rows(min_row=2) for c in row if c.value]
    mine = [c for c in cells if "-2-cmd.pdf" in str(c.value)]
    assert mine and all(c.value.startswith("'-2-cmd.pdf") for c in mine)
    assert all(c.data_type == "s" for c in mine)
