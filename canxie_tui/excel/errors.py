"""Errors of the Excel sync layer; each carries one complete Chinese message.

The readers tell the kinds apart (a district merge reports per file why it was
refused and goes on with the others); the CLI and the TUI show `message`.
"""

from __future__ import annotations

from canxie_tui.domain.errors import CanxieError

__all__ = [
    "ChecksumError",
    "CorruptWorkbookError",
    "EncryptedWorkbookError",
    "ExportError",
    "FormatVersionError",
    "NotAWorkbookError",
    "NotMonthlyReturnError",
    "SchemaMismatchError",
    "SyncError",
    "WorkbookError",
]


class SyncError(CanxieError):
    """Base of every error raised while writing or reading a workbook."""


class ExportError(SyncError):
    """A workbook could not be written; nothing was left under the final name."""


class WorkbookError(SyncError):
    """A file could not be read as a workbook of ours; `path` names it."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class NotAWorkbookError(WorkbookError):
    """Not an .xlsx file at all: a CSV or text file, an old .xls, an ODS, a zip ..."""


class EncryptedWorkbookError(WorkbookError):
    """An .xlsx protected by an opening password (stored as an encrypted OLE file)."""


class CorruptWorkbookError(WorkbookError):
    """An .xlsx that cannot be read: truncated, damaged zip or XML."""


class NotMonthlyReturnError(WorkbookError):
    """A readable workbook that is not a monthly return (or misses parts of one)."""


class FormatVersionError(WorkbookError):
    """A monthly return written in a newer (or unknown) format version."""


class SchemaMismatchError(WorkbookError):
    """A monthly return from a program whose database schema differs from ours."""


class ChecksumError(WorkbookError):
    """The data differs from what was exported (edited by hand, or damaged)."""

    def __init__(self, message: str, path: str = "", sheet: str = "") -> None:
        super().__init__(message, path)
        self.sheet = sheet
