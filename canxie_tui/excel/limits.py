"""Refusing a workbook whose parts expand beyond sane limits, before anything reads it.

An .xlsx is a zip of XML parts.  A 2.6 MB roster whose shared strings expand to
1.2 GB took 2.7 GB of memory to read (every reader loads all shared strings at
open); a bigger one ends in MemoryError.  `check_expansion` decompresses each
part once, counting bytes and stopping at the first limit passed (the sizes a zip
declares can lie; Python's zip reader holds a part to its declared size and then
checks its CRC, so a lie shows as damage), and refuses the workbook with one
Chinese line.  A district roster of 40,000 people is ~40 MB of XML: the limits
leave several times that room.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from canxie_tui.excel.errors import CorruptWorkbookError, NotAWorkbookError

MAX_PART_BYTES = 160 * 2**20  # one sheet's XML
MAX_SHARED_STRINGS_BYTES = 64 * 2**20  # every reader holds them all in memory
MAX_TOTAL_BYTES = 256 * 2**20  # all parts together
MAX_PARTS = 10_000
SHARED_STRINGS = "xl/sharedStrings.xml"
_CHUNK = 1 << 20


class OversizedWorkbookError(NotAWorkbookError):
    """A workbook whose parts expand beyond the limits (a zip bomb, or not a roster)."""


def check_expansion(path: Path, what: str = "") -> None:
    """Refuse `path` (an .xlsx that `files.check_xlsx` accepted) if its parts expand
    beyond the limits above; a part that does not decompress is damage."""
    name = what or f"“{path.name}”"
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS:
                raise _refused(path, name, f"含 {len(parts):,} 个部件")
            for part in parts:
                limit = (
                    MAX_SHARED_STRINGS_BYTES if part.filename == SHARED_STRINGS else MAX_PART_BYTES
                )
                size = 0
                with archive.open(part) as stream:
                    while chunk := stream.read(_CHUNK):
                        size += len(chunk)
                        if size > limit or total + size > MAX_TOTAL_BYTES:
                            raise _refused(path, name, "解压后远大于正常的花名册或报表")
                total += size
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as err:
        raise corrupt_error(path, what) from err


def corrupt_error(file: Path, what: str = "") -> CorruptWorkbookError:
    """The one message for a workbook that cannot be read (damaged zip or XML)."""
    name = what or f"“{file.name}”"
    return CorruptWorkbookError(
        f"{name}已损坏（文件不完整或内容有误），无法读取。请重新获取该文件。", str(file)
    )


def _refused(path: Path, name: str, why: str) -> OversizedWorkbookError:
    return OversizedWorkbookError(
        f"{name}{why}（超过 {MAX_TOTAL_BYTES // 2**20} MB 等安全上限），可能是损坏或恶意构造的文件，"
        "为安全起见没有读取。请在 Excel 中打开检查，删去多余的内容后另存再试。",
        str(path),
    )
