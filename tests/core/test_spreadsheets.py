"""An uploaded workbook that unpacks to more than 64 MiB (a zip bomb) is refused before any
sheet is read — people, wallets and risk imports alike (review finding)."""

from __future__ import annotations

import io
import zipfile

import pytest

from mamori.core.spreadsheets import MAX_UNPACKED_BYTES, open_workbook

pytestmark = pytest.mark.django_db


def bomb() -> bytes:
    """A small .xlsx-shaped zip whose one sheet unpacks past the limit."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        chunk = b"<row/>" * (1024 * 1024 // 6)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 2):
                sheet.write(chunk)
    data = out.getvalue()
    assert len(data) < 1024 * 1024  # small on the wire
    return data


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    with pytest.raises(ValueError, match=r"unpacks to 6\d MiB, more than the 64 MiB"):
        open_workbook(bomb())
    with pytest.raises(ValueError, match="not a zip container"):
        open_workbook(b"name,asset\n")


def test_each_import_refuses_the_bomb_with_its_reason(admin_user) -> None:
    from mamori.accounts.services import roster
    from mamori.custody.services import setup

    with pytest.raises(roster.ImportRefused) as people:
        roster.import_file(bomb(), "people.xlsx", admin_user)
    assert "unpacks to" in str(people.value.problems[0].reason)
    with pytest.raises(setup.SetupRefused):
        setup.read_table(bomb(), "wallets.xlsx")
