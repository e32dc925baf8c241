"""Password-protect a finished workbook (for files that leave the office).

Excel and WPS open the result after asking for the password (ECMA-376 agile
encryption, via msoffcrypto-tool).  The encrypted copy is written next to the
workbook and renamed over it, so an interruption never leaves a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from canxie_tui.domain.errors import InputError
from canxie_tui.excel.errors import ExportError

MIN_PASSWORD = 6


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"密码至少{MIN_PASSWORD}位", "password")


def encrypt_workbook(path: Path, password: str) -> None:
    """Replace the workbook at `path` by its password-protected version."""
    from msoffcrypto.format.ooxml import OOXMLFile

    check_password(password)
    fd, temp = tempfile.mkstemp(prefix=".加密中_", suffix=".xlsx", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as plain:
            OOXMLFile(plain).encrypt(password, out)
        os.replace(temp, path)
    except Exception as error:
        Path(temp).unlink(missing_ok=True)
        raise ExportError(
            f"加密“{path.name}”失败：{error}。未加密的文件仍在原处，请删除后重试。"
        ) from error
