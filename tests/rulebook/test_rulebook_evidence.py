"""Evidence uploads: kept by hash; too large, wrong type or wrong hash refused with reason."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mamori.accounts.services import tokens
from mamori.rulebook.models import Control, Evidence
from mamori.rulebook.services.controls import states
from mamori.rulebook.services.evidence import (
    EvidenceRefused,
    accept_evidence,
    evidence_path,
    store_evidence,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n% mamori test\n"


def control() -> Control:
    return Control.objects.get(code="DOC-CYB-03")


def test_a_pdf_is_kept_by_its_hash_and_the_control_holds_once_its_owner_accepts_it(
    people,
) -> None:
    assert not states()[control().pk].ok
    item = store_evidence(control(), io.BytesIO(PDF), "pentest.pdf", "Pentest", people["sgm"])
    assert item.sha256 == hashlib.sha256(PDF).hexdigest()
    assert evidence_path(item.sha256).read_bytes() == PDF
    assert not states()[control().pk].ok
    accept_evidence(item, people["ciso"], "read it", item.claimed.all())
    assert states()[control().pk].ok


@pytest.mark.parametrize(
    ("name", "data", "declared", "code"),
    [
        ("report.exe", b"MZ...", "", "type_not_allowed"),
        ("report.pdf", b"<html>not a pdf</html>", "", "content_mismatch"),
        ("notes.txt", b"\xff\xfe\x00bad", "", "content_mismatch"),
        ("report.pdf", PDF, "0" * 64, "hash_mismatch"),
        ("empty.pdf", b"", "", "empty"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_kept(people, name, data, declared, code) -> None:
    with pytest.raises(EvidenceRefused) as refused:
        store_evidence(control(), io.BytesIO(data), name, "x", people["ciso"], None, declared)
    assert refused.value.code == code
    assert not Evidence.objects.exists()


def test_a_file_over_the_limit_is_refused(people, settings) -> None:
    from dataclasses import replace

    settings.CONFIG = replace(settings.CONFIG, evidence_max_bytes=1024)
    with pytest.raises(EvidenceRefused, match="1,024"):
        store_evidence(control(), io.BytesIO(PDF + b"x" * 2000), "big.pdf", "x", people["ciso"])


def test_expired_evidence_makes_the_control_fail_saying_when(people) -> None:
    from datetime import timedelta

    from django.utils import timezone

    item = store_evidence(control(), io.BytesIO(PDF), "p.pdf", "P", people["sgm"])
    accept_evidence(item, people["ciso"], "read it", item.claimed.all())
    Evidence.objects.update(valid_until=timezone.localdate() - timedelta(days=1))
    state = states()[control().pk]
    assert not state.ok and "review due" in state.reason_en


def test_the_page_uploads_and_shows_a_refusal_in_words(people) -> None:
    client = client_for(people["ciso"])
    good = client.post(
        "/rulebook/controls/DOC-CYB-03/evidence/",
        {"title": "Pentest 2026", "file": SimpleUploadedFile("pentest.pdf", PDF)},
        follow=True,
    )
    assert "SHA-256" in good.content.decode()
    bad = client.post(
        "/rulebook/controls/DOC-CYB-03/evidence/",
        {"title": "x", "file": SimpleUploadedFile("x.exe", b"MZ")},
        follow=True,
    )
    assert "x.exe" not in "".join(Evidence.objects.values_list("filename", flat=True))
    assert "exe" in bad.content.decode()
    item = Evidence.objects.get()
    download = client.get(f"/rulebook/evidence/{item.pk}/")
    assert b"".join(download.streaming_content) == PDF
    from mamori.auditlog.models import Entry

    assert Entry.objects.filter(action="export", object_type="rulebook.evidence").exists()


def test_the_api_uploads_with_a_declared_hash(people) -> None:
    issued = tokens.issue("ci", ["rulebook:write"], 30, people["ciso"])
    api_client = client_for(people["nobody"])  # session irrelevant: the token authenticates
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    ok = api_client.post(
        "/api/rulebook/controls/DOC-CYB-03/evidence",
        {
            "file": SimpleUploadedFile("p.pdf", PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "title": "CI upload",
        },
        **headers,
    )
    assert ok.status_code == 201, ok.content
    wrong = api_client.post(
        "/api/rulebook/controls/DOC-CYB-03/evidence",
        {"file": SimpleUploadedFile("p.pdf", PDF), "sha256": "a" * 64},
        **headers,
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "hash_mismatch"
