"""Which backups are kept: by count, then by weight (the policy is in the package's docstring)."""

from __future__ import annotations

import glob
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from canxie_tui.store.backup.folder import (
    DAILY,
    MANUAL,
    BackupInfo,
    _describe,
    _pattern,
    _remove_with_side_files,
    backup_dir,
)

log = logging.getLogger(__name__)


KEEP_DAILY = 30
KEEP_BEFORE_OPERATION = 30
# Disk budget of the automatic backups.  A community database is a few MB, so 60
# copies cost little; a district database (`canxie district merge`) is ~1 GB, and 60
# copies of it (~60 GB) would fill the disk silently.  The floor keeps a month of
# small databases whole; the multiple keeps about ten copies of a big one.
AUTO_BUDGET_MIN_BYTES = 2 * 1024**3
AUTO_BUDGET_DB_MULTIPLE = 10
# Kept whatever they weigh: a week of days, and the copies from before the last
# few operations (the ones a restore after a bad import or merge needs).
KEEP_DAILY_OVER_BUDGET = 7
KEEP_BEFORE_OPERATION_OVER_BUDGET = 3


def list_backups(db_path: Path) -> list[BackupInfo]:
    """Backups of the database at `db_path`, newest first."""
    folder = backup_dir(db_path)
    if not folder.is_dir():
        return []
    pattern = _pattern(db_path)
    found: list[tuple[int, BackupInfo]] = []
    for entry in os.scandir(folder):
        match = pattern.fullmatch(entry.name)
        if not match or not entry.is_file():
            continue
        try:
            taken = datetime.strptime(match[1], "%Y%m%d-%H%M%S")
            size = entry.stat().st_size
        except (ValueError, OSError):
            continue
        found.append((int(match[2] or 1), BackupInfo(Path(entry.path), taken, match[3], size)))
    found.sort(key=lambda item: (item[1].taken_at, item[0]), reverse=True)
    return [info for _, info in found]


def newest_backup(db_path: Path) -> BackupInfo | None:
    backups = list_backups(db_path)
    return backups[0] if backups else None


def _db_size(db_path: Path) -> int:
    try:
        return db_path.stat().st_size
    except OSError:
        return 0


def automatic_budget(db_path: Path) -> int:
    """Bytes the automatic backups of the database at `db_path` may take together."""
    return max(AUTO_BUDGET_MIN_BYTES, AUTO_BUDGET_DB_MULTIPLE * _db_size(db_path))


def _is_automatic(info: BackupInfo) -> bool:
    return info.kind != MANUAL


@dataclass(frozen=True)
class BackupUsage:
    """How much room the backups of one database take (`canxie doctor`)."""

    folder: Path
    automatic: int  # number of daily and before-operation backups
    automatic_bytes: int
    manual: int
    manual_bytes: int
    budget: int  # automatic_budget()
    db_size: int
    free: int | None  # free bytes in the backups folder's filesystem; None: unreadable


def usage(db_path: Path) -> BackupUsage:
    """Count and weigh the backups of `db_path`, and read the free space where they go."""
    backups = list_backups(db_path)
    automatic = [b for b in backups if _is_automatic(b)]
    manual = [b for b in backups if not _is_automatic(b)]
    folder = backup_dir(db_path)
    try:  # before the first backup the folder is not there yet: it will be made here
        free: int | None = shutil.disk_usage(folder if folder.is_dir() else db_path.parent).free
    except OSError:
        free = None
    return BackupUsage(
        folder=folder,
        automatic=len(automatic),
        automatic_bytes=sum(b.size for b in automatic),
        manual=len(manual),
        manual_bytes=sum(b.size for b in manual),
        budget=automatic_budget(db_path),
        db_size=_db_size(db_path),
        free=free,
    )


def _remove_backup(info: BackupInfo) -> bool:
    try:
        _remove_with_side_files(info.path)
    except OSError as err:  # kept until next time; the backup just made still counts
        log.warning("无法删除旧备份“%s”：%s", info.path, _describe(err))
        return False
    return True


def _protected(automatic: list[BackupInfo]) -> set[Path]:
    """The newest daily and before-operation backups kept whatever they weigh."""
    daily = [b.path for b in automatic if b.kind == DAILY]
    operation = [b.path for b in automatic if b.kind != DAILY]
    return {*daily[:KEEP_DAILY_OVER_BUDGET], *operation[:KEEP_BEFORE_OPERATION_OVER_BUDGET]}


def prune(db_path: Path) -> list[Path]:
    """Delete old automatic backups: by count, then by weight (see the package docstring).

    Daily backups beyond the newest 30 and pre-operation ones beyond 30 go first;
    then the oldest automatic ones while they outweigh `automatic_budget`, keeping
    the newest 7 daily and 3 pre-operation.  Manual backups are never deleted.
    Leftovers of interrupted copies (`.part`) older than a day go too.  Returns the
    files removed.
    """
    removed: list[Path] = []
    tried: set[Path] = set()  # a file that would not go is tried once, but still weighs
    backups = list_backups(db_path)
    for kind, keep in ((DAILY, KEEP_DAILY), ("operation", KEEP_BEFORE_OPERATION)):
        for old in [b for b in backups if b.kind == kind][keep:]:
            tried.add(old.path)
            if _remove_backup(old):
                removed.append(old.path)
    gone = set(removed)
    automatic = [b for b in backups if _is_automatic(b) and b.path not in gone]
    protected = _protected(automatic)
    budget = automatic_budget(db_path)
    total = sum(b.size for b in automatic)
    for old in reversed(automatic):  # oldest first, both kinds together
        if total <= budget:
            break
        if old.path not in protected and old.path not in tried and _remove_backup(old):
            removed.append(old.path)
            total -= old.size
    folder = backup_dir(db_path)
    if folder.is_dir():
        cutoff = datetime.now().timestamp() - 86_400
        for part in folder.glob(f"{glob.escape(db_path.stem)}-*.part"):
            try:
                if part.stat().st_mtime < cutoff:
                    part.unlink()
                    removed.append(part)
            except OSError:
                pass
    return removed
