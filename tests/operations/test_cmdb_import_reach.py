"""A configuration import is reachable from the page, the API and the command line, each
checking who may import (SRM 12-4)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from mamori.accounts.models import User
from mamori.accounts.services import tokens
from mamori.operations.models import ConfigurationItem, ImportRun
from tests.conftest import client_for, give, make_user

SAMPLES = Path(__file__).parents[1] / "engines" / "cmdb_samples"

pytestmark = pytest.mark.django_db


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def manager(db: None) -> User:
    return give(make_user("sysmgr-mori"), "system_general_manager")


def test_a_system_manager_uploads_a_state_file_from_the_page_and_sees_the_run(
    manager: User,
) -> None:
    client = client_for(manager)
    page = client.get("/operations/cmdb/imports/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "構成情報の取込" in page and 'id="cmdb-import"' in page
    upload = SimpleUploadedFile("state.json", _read("terraform.json"))
    answer = client.post(
        "/operations/cmdb/imports/upload/", {"source": "terraform", "file": upload}, follow=True
    )
    shown = answer.content.decode()
    assert "state.json" in shown
    assert ConfigurationItem.objects.filter(source="terraform").count() == 4
    assert ImportRun.objects.get().by == manager


def test_a_refused_upload_shows_the_rows_and_stores_nothing(manager: User) -> None:
    client = client_for(manager)
    upload = SimpleUploadedFile("bad.csv", _read("bad.csv"))
    answer = client.post(
        "/operations/cmdb/imports/upload/", {"source": "csv", "file": upload}, follow=True
    )
    assert "row 3" in answer.content.decode()
    assert not ConfigurationItem.objects.exists()


def test_someone_without_the_permission_sees_no_form_and_cannot_upload() -> None:
    auditor = give(make_user("audit-kato"), "internal_auditor")
    client = client_for(auditor)
    page = client.get("/operations/cmdb/imports/").content.decode()
    assert 'id="cmdb-import"' not in page
    upload = SimpleUploadedFile("state.json", _read("terraform.json"))
    answer = client.post(
        "/operations/cmdb/imports/upload/", {"source": "terraform", "file": upload}
    )
    assert answer.status_code == 403
    assert not ConfigurationItem.objects.exists()


def test_the_api_imports_a_raw_body_with_a_token_of_the_import_scope(manager: User) -> None:
    secret = tokens.issue("ci", ["cmdb:import"], 30, manager).secret
    answer = _post(secret, "/api/operations/cmdb/imports?source=kubernetes&name=k.json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["added"], body["outcome"], body["by"]) == (5, "imported", manager.username)
    again = _post(secret, "/api/operations/cmdb/imports?source=kubernetes&name=k.json")
    assert (again.json()["added"], again.json()["unchanged"]) == (0, 5)


def test_a_multipart_post_without_its_file_field_is_refused_not_a_server_error(manager) -> None:
    secret = tokens.issue("ci", ["cmdb:import"], 30, manager).secret
    answer = Client().post(
        "/api/operations/cmdb/imports?source=terraform",
        {"other": "x"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 422 and answer.json()["code"] == "cmdb_file_missing"


def test_the_api_refuses_a_bad_file_naming_the_path_and_a_token_without_the_scope() -> None:
    secret = tokens.issue("ci", ["cmdb:import"], 30, None).secret
    answer = _post(secret, "/api/operations/cmdb/imports?source=aws_config", b"{}")
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["field"] == "$.configurationItems"
    other = tokens.issue("ci", ["systems:read"], 30, None).secret
    assert _post(other, "/api/operations/cmdb/imports?source=terraform").status_code == 403


def _post(secret: str, url: str, body: bytes | None = None) -> Any:
    from django.test import Client

    return Client().post(
        url,
        data=_read("kubernetes.json") if body is None else body,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION="Bearer " + secret,
    )


def test_the_command_imports_a_file_and_exits_1_naming_the_rows_of_a_bad_one(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    call_command(
        "cmdb", "import", "--source", "netbox", str(SAMPLES / "netbox.json"), "--json", stdout=out
    )
    assert json.loads(out.getvalue())["added"] == 5
    err = io.StringIO()
    with pytest.raises(SystemExit) as ended:
        call_command("cmdb", "import", "--source", "csv", str(SAMPLES / "bad.csv"), stderr=err)
    assert ended.value.code == 1
    assert "row 3" in err.getvalue()
    assert ConfigurationItem.objects.filter(source="csv").count() == 0
