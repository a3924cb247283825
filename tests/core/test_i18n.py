"""Japanese by default, English on request or by choice; every string is translated."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.test import Client

from mamori.accounts.models import User
from mamori.testing.pytest_plugin import services_required

SOURCE = Path(__file__).resolve().parents[2] / "src" / "mamori"
CATALOGUE = SOURCE / "locale" / "ja" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_pages_are_japanese_by_default(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="ja">' in page
    assert "サインイン" in page


@pytest.mark.django_db
def test_accept_language_english_gives_english(client: Client) -> None:
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en">' in page
    assert "Sign in" in page
    assert "サインイン" not in page


@pytest.mark.django_db
def test_a_persons_choice_outranks_the_browser(alice_client: Client, alice: User) -> None:
    response = alice_client.post("/accounts/language/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.language == "en"
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Dashboard" in page
    alice_client.post("/accounts/language/", {"language": "ja", "next": "/"})
    assert "ダッシュボード" in alice_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.django_db
def test_language_switch_refuses_foreign_redirects_and_unknown_languages(client: Client) -> None:
    response = client.post(
        "/accounts/language/", {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    assert "mamori_language" not in response.cookies


def test_the_japanese_catalogue_has_no_untranslated_or_fuzzy_entry() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="ja")
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        text = message.string if isinstance(message.string, str) else message.string[0]
        if not text or message.fuzzy:
            problems.append(message.id)
    assert problems == []


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        if services_required():
            pytest.fail("GNU gettext (xgettext) is not installed", pytrace=False)
        pytest.skip("GNU gettext (xgettext) is not installed")
    copy = tmp_path / "mamori"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ja", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "mamori.settings", **_env(tmp_path)},
    )
    with (copy / "locale/ja/LC_MESSAGES/django.po").open("rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with CATALOGUE.open("rb") as handle:
        ours = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert sorted(extracted - ours) == []


def _env(tmp_path: Path) -> dict[str, str]:
    import os

    return {**os.environ, "MAMORI_DATA_DIR": str(tmp_path / "data")}
