"""Excel files: where exports go, atomic saves, and telling a real .xlsx from what people send.

Used by the monthly return (`excel.monthly_return`) and its reader
(`excel.return_reader`), and by every other workbook the product writes or
reads.  openpyxl is imported inside functions only: importing this module does
not load it.

Saving
------
`atomic_save(writer, path)` writes a temporary file in the program's private
folder (encrypted there too, with a password), and gives it the final name only
when complete.  On any failure no file is left under the final name and no
temporary file anywhere.

Reading
-------
`load_workbook(path)` first tells a real .xlsx from everything people send
instead (a CSV renamed .xlsx, an old .xls, an encrypted workbook, an ODS, a
damaged or truncated file) and raises one `WorkbookError` with a Chinese
message for each; `reading(path)` maps errors met while reading rows the same way.
`read_or_refuse(read, path)` gives a refused file's reason instead of raising, for
the screens and merges that list each file and go on with the others.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from canxie_tui import config
from canxie_tui.excel.errors import (
    CorruptWorkbookError,
    EncryptedWorkbookError,
    ExportError,
    NotAWorkbookError,
    WorkbookError,
)
from canxie_tui.excel.limits import check_expansion, corrupt_error
from canxie_tui.store import scratch
from canxie_tui.store.backup import fsync_dir
from canxie_tui.store.errors import DISK_FULL, is_disk_full

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

__all__ = [
    "Progress",
    "atomic_save",
    "check_xlsx",
    "exports_dir",
    "load_workbook",
    "read_or_refuse",
    "reading",
    "safe_filename",
]

Progress = Callable[[str, int, int], None]  # (label in Chinese, done, total)
T = TypeVar("T")


_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


# -- where exports go --------------------------------------------------------------
def exports_dir() -> Path:
    """The exports folder: $CANXIE_EXPORTS, else `exports/` in the working folder."""
    return config.exports_dir()


def safe_filename(text: str, fallback: str = "未命名") -> str:
    """`text` made usable as (part of) a file name on Windows, macOS and Linux."""
    cleaned = _UNSAFE_NAME.sub("_", text).strip(" .")
    return cleaned or fallback


# -- saving ------------------------------------------------------------------------------
def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def exists_message(target: Path) -> str:
    return f"“{target}”已存在。为免覆盖，没有写入；请换一个文件名，或加 --force 覆盖它。"


def _link_into_place(source: Path, target: Path, overwrite: bool) -> None:
    """Give `source` the name `target` in one step; an existing `target` is replaced
    only when `overwrite` (a hard link fails rather than replace, where links work)."""
    try:
        if overwrite:
            os.replace(source, target)
            return
        try:
            os.link(source, target)
        except FileExistsError:
            raise ExportError(exists_message(target)) from None
        except OSError:  # no hard links here (FAT on a USB stick): check, then rename
            if target.exists():
                raise ExportError(exists_message(target)) from None
            os.replace(source, target)
            return
        source.unlink()
    except PermissionError as err:
        raise ExportError(
            f"无法写入“{target}”：该文件可能正在 Excel 或 WPS 中打开，请关闭后重试。"
        ) from err


def _install(work: Path, target: Path, overwrite: bool) -> None:
    """Move the finished `work` file (in our private folder) to `target`.

    On the same disk that is one rename.  Elsewhere (a USB stick) the file is
    copied to a hidden `.part` beside `target` first, then renamed: the final name
    only ever holds a complete file.
    """
    folder = target.parent
    if os.stat(work.parent).st_dev == os.stat(folder).st_dev:
        _link_into_place(work, target, overwrite)
        return
    part = folder / f".{target.name}.{os.getpid()}.part"
    with scratch.in_flight(part):
        try:
            shutil.copyfile(work, part)
            os.chmod(part, 0o600)
            _fsync(part)
            _link_into_place(part, target, overwrite)
        finally:
            with suppress(OSError):
                part.unlink()


def atomic_save(
    workbook_writer: Callable[[Path], object],
    path: Path | str,
    *,
    password: str | None = None,
    overwrite: bool = True,
) -> Path:
    """Write a file through `workbook_writer(temporary path)`, then give it the name `path`.

    The file is written in the program's private folder (`store.scratch`, 0700,
    never the system's shared temporary folder) and, with a `password`, encrypted
    there too: nothing unencrypted ever comes near `path`.  Only the finished file
    is renamed to `path`.  If anything fails — the writer, the encryption, the
    rename — the temporary files are removed and nothing appears under `path` (an
    older file there stays as it was).  An existing `path` is refused (ExportError)
    unless `overwrite`.  Returns `path`.
    """
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise ExportError(f"“{target}”是一个文件夹，请指定要写入的文件名（.xlsx）。")
    if target.exists() and not target.is_file():  # /dev/null, a pipe: never renamed over
        raise ExportError(f"“{target}”不是普通文件（可能是设备或管道），请指定要写入的文件名。")
    if not overwrite and target.exists():
        raise ExportError(exists_message(target))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"无法建立文件夹“{folder}”：{err.strerror or err}") from err
    work = scratch.new_file(".workbook-", target.suffix)
    try:
        _write_and_install(workbook_writer, work, target, password, overwrite)
    except OSError as err:
        if is_disk_full(err):
            raise ExportError(DISK_FULL.format(where=f"“{target}”")) from err
        raise
    fsync_dir(folder)  # the rename survives a power cut
    return target


def _write_and_install(
    workbook_writer: Callable[[Path], object],
    work: Path,
    target: Path,
    password: str | None,
    overwrite: bool,
) -> None:
    sealed: Path | None = None
    try:
        workbook_writer(work)
        if password is not None:
            from canxie_tui.excel.encrypt import encrypt_file

            sealed = scratch.new_file(".encrypted-", target.suffix)
            encrypt_file(work, sealed, password)
            scratch.release(work)  # the plaintext goes as soon as it is not needed
            work = sealed
        _fsync(work)
        _install(work, target, overwrite)
    finally:
        scratch.release(work)
        if sealed is not None:
            scratch.release(sealed)


# -- reading ------------------------------------------------------------------------------
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_CONTENT_TYPES = "[Content_Types].xml"
# The main part of a workbook, as [Content_Types].xml names it (.xlsx, .xlsm, templates).
_XLSX_MAINS = (
    b"spreadsheetml.sheet.main+xml",
    b"spreadsheetml.template.main+xml",
    b"ms-excel.sheet.macroEnabled.main+xml",
    b"ms-excel.template.macroEnabled.main+xml",
)
_XLSB_MAIN = b"ms-excel.sheet.binary.macroEnabled.main"


def _is_encrypted_ole(path: Path) -> bool:
    """An OLE file holding an EncryptionInfo stream: an .xlsx with an opening password."""
    overlap = len(_ENCRYPTION_INFO)
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if _ENCRYPTION_INFO in tail + chunk:
                return True
            tail = chunk[-overlap:]
    return False


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a byte-order mark (Excel's "Unicode text")
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as err:
            if err.start >= len(head) - 4:  # cut in the middle of a character
                return True
    return False


def check_xlsx(path: Path | str, what: str = "") -> Path:
    """Refuse, with one Chinese message, anything that is not a readable .xlsx file.

    `what` names the file in messages (default: its name).  Returns the path.
    """
    file = Path(path)
    name = what or f"“{file.name}”"
    if not file.exists():
        raise NotAWorkbookError(f"找不到文件“{file}”。", str(file))
    if file.is_dir():
        raise NotAWorkbookError(f"“{file}”是一个文件夹，不是 Excel 文件。", str(file))
    with file.open("rb") as handle:
        head = handle.read(4096)
    if not head:
        raise NotAWorkbookError(f"{name}是空文件，不是 Excel 工作簿。", str(file))
    if head.startswith(_OLE_MAGIC):
        if _is_encrypted_ole(file):
            raise EncryptedWorkbookError(
                f"{name}设置了打开密码（已加密），无法读取。请在 Excel 中取消密码"
                "（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后保存，再试。",
                str(file),
            )
        raise NotAWorkbookError(
            f"{name}是旧版 Excel 97-2003 工作簿（.xls），本程序只读 .xlsx。"
            "请在 Excel 中“另存为 → Excel 工作簿（*.xlsx）”后再试。",
            str(file),
        )
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if _looks_like_text(head):
            raise NotAWorkbookError(
                f"{name}不是 Excel 工作簿（.xlsx），而是文本文件（可能是改了扩展名的 CSV）。"
                "请在 Excel 中打开后“另存为 → Excel 工作簿（*.xlsx）”再试。",
                str(file),
            )
        raise NotAWorkbookError(f"{name}不是 Excel 工作簿（.xlsx）文件。", str(file))
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
            types = archive.read(_CONTENT_TYPES) if _CONTENT_TYPES in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as err:
        if isinstance(err, PermissionError):
            raise
        raise _corrupt(file, what) from err
    if mimetype.startswith(_ODS_MIME):
        raise NotAWorkbookError(
            f"{name}是 ODS 表格（WPS/LibreOffice 格式），不是 .xlsx。"
            "请另存为“Excel 工作簿（*.xlsx）”后再试。",
            str(file),
        )
    if _XLSB_MAIN in types:
        raise NotAWorkbookError(
            f"{name}是 Excel 二进制工作簿（.xlsb），请另存为“Excel 工作簿（*.xlsx）”后再试。",
            str(file),
        )
    if not any(main in types for main in _XLSX_MAINS):
        raise NotAWorkbookError(
            f"{name}是压缩包或其他 Office 文件，不是 Excel 工作簿（.xlsx）。", str(file)
        )
    return file


def _corrupt(file: Path, what: str) -> CorruptWorkbookError:
    return corrupt_error(file, what)


def _read_errors() -> tuple[type[BaseException], ...]:
    import xml.etree.ElementTree as ET

    from openpyxl.utils.exceptions import InvalidFileException

    return (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        AttributeError,
        ET.ParseError,
        InvalidFileException,
    )


@contextmanager
def reading(path: Path | str, what: str = "") -> Iterator[None]:
    """Turn the errors a damaged workbook raises while it is read into CorruptWorkbookError."""
    try:
        yield
    except WorkbookError:
        raise
    except _read_errors() as err:
        raise _corrupt(Path(path), what) from err


def load_workbook(path: Path | str, *, read_only: bool = True, what: str = "") -> Workbook:
    """Open an .xlsx for reading after `check_xlsx` (values as stored, no formulas run)."""
    import warnings

    from openpyxl import load_workbook as openpyxl_load

    file = check_xlsx(path, what)
    check_expansion(file, what)  # a zip bomb is refused before openpyxl loads a part
    with reading(file, what), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about unknown extensions etc.
        return openpyxl_load(file, read_only=read_only, data_only=False)


def read_or_refuse(read: Callable[[Path], T], path: Path) -> tuple[T | None, str]:
    """`read(path)`, or None and why the file is refused (a Chinese message)."""
    try:
        return read(path), ""
    except WorkbookError as err:
        return None, err.message
    except OSError as err:
        return None, f"无法读取文件：{err.strerror or err}"
