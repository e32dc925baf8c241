"""Where backups go and how they are named; files made private, removed with their side files."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from canxie_tui.store import anchors

DAILY = "daily"
MANUAL = "manual"
SQLITE_HEADER = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm", "-journal")
REASON_LABELS = {
    DAILY: "每日自动",
    MANUAL: "手动",
    "before-migration": "升级前",
    "before-import": "导入前",
    "before-merge": "合并前",
    "before-restore": "恢复前",
}


@dataclass(frozen=True)
class BackupInfo:
    """One backup file in the backups folder."""

    path: Path
    taken_at: datetime
    reason: str  # daily / manual / before-migration / before-import ...
    size: int

    @property
    def kind(self) -> str:
        """daily, manual, or operation (taken before a risky operation)."""
        return self.reason if self.reason in (DAILY, MANUAL) else "operation"

    @property
    def label(self) -> str:
        return REASON_LABELS.get(self.reason, self.reason)


def backup_dir(db_path: Path) -> Path:
    return db_path.parent / "backups"


def _pattern(db_path: Path) -> re.Pattern[str]:
    return re.compile(re.escape(db_path.stem) + r"-(\d{8}-\d{6})(?:-(\d+))?-([a-z][a-z0-9-]*)\.db")


def _new_backup_path(db_path: Path, reason: str, when: datetime) -> Path:
    """A name in the backups folder that is not taken yet (same second: -2, -3 ...)."""
    folder = backup_dir(db_path)
    stamp = when.strftime("%Y%m%d-%H%M%S")
    out = folder / f"{db_path.stem}-{stamp}-{reason}.db"
    n = 1
    while out.exists():
        n += 1
        out = folder / f"{db_path.stem}-{stamp}-{n}-{reason}.db"
    return out


def _make_folder(folder: Path) -> None:
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no directory handles to sync."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _private_empty_file(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.close(fd)
    if sys.platform != "win32":
        os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file that existed


def _remove_with_side_files(path: Path) -> None:
    for suffix in ("", *_SIDE_FILES, anchors.HEAD_SUFFIX):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _describe(err: BaseException) -> str:
    if isinstance(err, OSError):
        return f"{err.strerror or err}：{err.filename}" if err.filename else str(err)
    return str(err)


def _header(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_HEADER))
