"""Password-protect a workbook (for files that leave the office).

Excel and WPS open the result after asking for the password (ECMA-376 agile
encryption, via msoffcrypto-tool).  `excel.files.atomic_save(..., password=...)`
encrypts in the program's private folder before the file gets its final name:
the unencrypted workbook is never under that name, not even for a moment.
"""

from __future__ import annotations

from pathlib import Path

from canxie_tui.domain.errors import InputError
from canxie_tui.excel.errors import ExportError

MIN_PASSWORD = 6


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"密码至少{MIN_PASSWORD}位", "password")


def encrypt_file(plain: Path, out: Path, password: str) -> None:
    """Write the password-protected version of the workbook `plain` to `out`."""
    from msoffcrypto.format.ooxml import OOXMLFile

    check_password(password)
    try:
        with out.open("wb") as sealed, plain.open("rb") as source:
            OOXMLFile(source).encrypt(password, sealed)
    except OSError:
        raise
    except Exception as error:  # the library's own words are English: named, not quoted
        out.unlink(missing_ok=True)  # half a sealed file is no file
        raise ExportError(
            f"加密工作簿失败（{type(error).__name__}）。没有写入任何文件，请重试；"
            "再次失败请把这条信息告诉维护人员。"
        ) from error
