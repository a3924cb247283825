"""Opening an uploaded Excel workbook safely: its unpacked size is bounded before any sheet is
read, so a small file that unpacks to gigabytes (a zip bomb) is refused, not loaded."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

__all__ = ["MAX_UNPACKED_BYTES", "open_workbook"]

#: The most an uploaded workbook may unpack to (its parts' declared sizes, which zipfile
#: enforces while reading).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


def open_workbook(content: bytes) -> Workbook:
    """Return the workbook in ``content`` (read-only, values); raise ValueError naming why
    it is refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        raise ValueError(f"not a zip container: {error}") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValueError(
            f"it unpacks to {unpacked // (1024 * 1024)} MiB, more than the "
            f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MiB a workbook may"
        )
    return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
