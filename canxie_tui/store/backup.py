"""Backups with SQLite's online backup API (consistent even while others write).

Where: `backups/` next to the database (`data/backups/` for `data/canxie.db`), one
file per backup named `<stem>-<YYYYMMDD-HHMMSS>[-n]-<reason>.db`, readable by its
owner only, in rollback-journal mode so it can be read from a read-only folder.

When: before a migration (`backup_before_migration`, called by `Store.open`), before
an import or a merge (`backup_before`), on the first open of each day
(`daily_backup`, after the first paint or the command's answer), and on request (`canxie backup`).

Kept: the newest 30 daily backups and the newest 30 taken before an operation;
then, while the automatic ones (daily and before an operation) together weigh more
than the budget (`automatic_budget`: 2 GiB, or 10 times the database when that is
more), the oldest automatic one goes, whichever its kind, except that the newest 7
daily and the newest 3 before-operation backups always stay.  Manual backups are
never deleted and do not count against the budget: they stay until the user deletes
them (`canxie doctor` warns when they alone outweigh the budget).  Pruning runs after
each backup is made.

Restoring (`restore`) checks the backup first (integrity, that it is ours, that this
version knows its schema), backs up the current database, then swaps the files
atomically.  Every connection to the database must be closed before: the swap is
refused while another program still has the file open.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import shutil
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from canxie_tui.store import anchors, integrity, records, schema, scratch
from canxie_tui.store.connection import BUSY_TIMEOUT_MS, Store
from canxie_tui.store.errors import StoreError
from canxie_tui.store.register_sql import in_register

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
DAILY = "daily"
MANUAL = "manual"
SQLITE_HEADER = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm", "-journal")
_REASON = re.compile(r"[a-z][a-z0-9-]*")
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


@dataclass(frozen=True)
class BackupCheck:
    """What a checked backup file holds (shown before a restore is confirmed)."""

    path: Path
    schema_version: int
    households: int
    persons: int
    last_change: str  # time of the newest audit entry, "" when none


@dataclass(frozen=True)
class RestoreResult:
    restored: BackupCheck
    safety_backup: Path | None  # the database as it was before the restore


# -- names and folders ----------------------------------------------------------------
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


# -- copying ----------------------------------------------------------------------------
def _copy(source: sqlite3.Connection, out: Path, pages: int = -1) -> Path:
    """Copy what `source` sees into `out` (0600) through a temporary file and a rename.

    `pages` > 0 copies in steps of that many pages, holding no read transaction
    between them (the daily backup, running beside the user's work)."""
    partial = out.with_name(f"{out.name}.{os.getpid()}.part")
    _private_empty_file(partial)
    try:
        with scratch.in_flight(partial):
            target = sqlite3.connect(str(partial), isolation_level=None)
            try:
                source.backup(target, pages=pages)
                # A backup needs no -wal/-shm beside it: readable from a read-only folder.
                target.execute("PRAGMA journal_mode = DELETE")
            finally:
                target.close()
            os.replace(partial, out)
    except BaseException:
        _remove_with_side_files(partial)
        raise
    fsync_dir(out.parent)
    return out


def _reader(db_path: Path) -> sqlite3.Connection:
    """A connection of its own: it sees committed data only, never a half-done write."""
    return sqlite3.connect(
        f"{db_path.absolute().as_uri()}?mode=rw",  # never creates a missing file
        uri=True,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
    )


def backup_database(
    conn: sqlite3.Connection,
    db_path: Path,
    *,
    reason: str,
    out: Path | None = None,
    when: datetime | None = None,
    pages: int = -1,
) -> Path:
    """Copy the database `conn` reads to `out` (default: the backups folder).

    `conn` must not be in the middle of a write: the copy would include it.
    """
    if not _REASON.fullmatch(reason):
        raise ValueError(f"backup reason must be lower-case ASCII words, got {reason!r}")
    if out is None:
        _make_folder(backup_dir(db_path))
        out = _new_backup_path(db_path, reason, when or datetime.now())
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
    made = _copy(conn, out, pages)
    try:  # the chain's head kept beside the copy (store.anchors)
        anchors.write_sidecar(made)
    except (OSError, sqlite3.Error) as err:
        log.warning("备份“%s”的审计链头没有写下：%s", made, _describe(err))
    return made


def backup_file(
    db_path: Path,
    *,
    reason: str,
    out: Path | None = None,
    when: datetime | None = None,
    pages: int = -1,
) -> Path:
    """Back up the database file at `db_path` through a fresh connection; prune old ones."""
    conn = _reader(db_path)
    try:
        made = backup_database(conn, db_path, reason=reason, out=out, when=when, pages=pages)
    finally:
        conn.close()
    if out is None:
        prune(db_path)
    return made


def backup_before(store: Store, reason: str) -> Path:
    """Back up before a risky operation ("import", "merge" ...); StoreError if impossible.

    Call it before the operation's transaction: the operation must not go ahead
    without its backup, so a failure here is an error, not a warning.
    """
    reason = reason if reason.startswith("before-") else f"before-{reason}"
    try:
        return backup_file(store.path, reason=reason, when=store.clock())
    except (OSError, sqlite3.Error) as err:
        raise StoreError(
            f"操作前自动备份失败（{_describe(err)}），为安全起见没有继续，数据库未做任何修改。"
            f"请检查备份文件夹“{backup_dir(store.path)}”是否可写、磁盘是否已满。"
        ) from err


def backup_before_migration(conn: sqlite3.Connection, db_path: Path, when: datetime) -> Path:
    """The copy taken before a schema upgrade; without it there is no upgrade."""
    try:
        made = backup_database(conn, db_path, reason="before-migration", when=when)
    except (OSError, sqlite3.Error) as err:
        raise StoreError(
            f"升级数据库结构前无法备份（{_describe(err)}），为安全起见没有升级，"
            f"数据库未做任何修改。请检查备份文件夹“{backup_dir(db_path)}”是否可写、磁盘是否已满。"
        ) from err
    prune(db_path)
    return made


def daily_backup(store: Store, *, pages: int = -1) -> Path | None:
    """The first open of each day backs the database up; returns the new file or None.

    The app and the command line run it after the first paint or the answer
    (`store.session.run_pending_backup`), in steps of `pages` pages.

    Cheap when today's backup exists (one directory listing).  Never raises: a
    backups folder that cannot be written is logged and skipped, the work goes on.
    """
    if store.path.parent.name == backup_dir(store.path).name:
        return None  # a backup opened to look at it: no backups of backups
    now = store.clock()
    folder = backup_dir(store.path)
    try:
        stem = store.path.stem
        today = now.strftime("%Y%m%d")
        if folder.is_dir():
            wanted = re.compile(re.escape(f"{stem}-{today}-") + r"\d{6}(?:-\d+)?-daily\.db")
            if any(wanted.fullmatch(name) for name in os.listdir(folder)):
                return None
        return backup_file(store.path, reason=DAILY, when=now, pages=pages)
    except Exception as err:
        log.warning(
            "今天的自动备份没有完成（%s）：已跳过，工作不受影响。请检查文件夹“%s”是否可写、磁盘是否已满。",
            _describe(err),
            folder,
        )
        return None


def _describe(err: BaseException) -> str:
    if isinstance(err, OSError):
        return f"{err.strerror or err}：{err.filename}" if err.filename else str(err)
    return str(err)


# -- listing and pruning ----------------------------------------------------------------
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
    """Delete old automatic backups: by count, then by weight (see the module docstring).

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


# -- checking a backup ------------------------------------------------------------------
def _read_only(path: Path) -> sqlite3.Connection:
    """Open a file for checking without creating anything beside it.

    `immutable` needs no locks and leaves no -shm behind (a backup in a read-only
    folder, on a USB stick); a file with a -wal beside it is read through its WAL.
    """
    mode = "mode=ro" if Path(f"{path}-wal").exists() else "immutable=1"
    return sqlite3.connect(f"{path.absolute().as_uri()}?{mode}", uri=True)


def _header(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_HEADER))


def _check_kind(path: Path, name: Path) -> None:
    if path.is_dir():
        raise StoreError(f"“{name}”是一个文件夹，不是备份文件。")
    if not path.exists():
        raise StoreError(f"找不到备份文件“{name}”。")
    if _header(path) != SQLITE_HEADER:
        raise StoreError(f"“{name}”不是残协工作台的备份文件（不是 SQLite 格式），不能用来恢复。")


def check_backup(path: Path | str, *, shown: Path | None = None) -> BackupCheck:
    """Refuse (StoreError) a file that is damaged, not ours, or from a newer version.

    Nothing is written, and nothing is created beside the file.  `shown` is the
    name used in messages (when `path` is a temporary copy of it).
    """
    path = Path(path)
    name = shown or path
    _check_kind(path, name)
    damaged = f"备份文件“{name}”已损坏，不能用来恢复。请换一个较早的备份。"
    try:
        conn = _read_only(path)
    except sqlite3.Error as err:
        raise StoreError(f"{damaged}（{err}）") from err
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        if problems != ["ok"]:
            raise StoreError(f"{damaged}（完整性检查：{'；'.join(problems[:3])}）")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id != schema.APPLICATION_ID:
            raise StoreError(
                f"“{name}”是其他程序的 SQLite 数据库，不是残协工作台的备份，不能用来恢复。"
            )
        if "_sqlite_migrations" not in tables:
            raise StoreError(f"“{name}”不是完整的残协工作台数据库（没有结构版本），不能用来恢复。")
        applied = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
                (schema.migrations.name,),
            )
        ]
        unknown = set(applied) - set(schema.MIGRATION_NAMES)
        if unknown:
            raise StoreError(
                f"备份“{name}”来自更新版本的残协工作台（结构版本高于本程序支持的 "
                f"{schema.SCHEMA_VERSION}），本程序不能用它恢复。请先升级程序。"
            )
        if not applied:
            raise StoreError(f"“{name}”不是完整的残协工作台数据库（没有结构版本），不能用来恢复。")
        _check_trust(conn, name)
        households = conn.execute("SELECT count(*) FROM households").fetchone()[0]
        held = "held" in {r[1] for r in conn.execute("PRAGMA table_info(persons)")}
        persons = conn.execute(
            f"SELECT count(*) FROM persons WHERE {in_register('', held=held)}"
        ).fetchone()[0]
        last = conn.execute("SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{damaged}（{err}）") from err
    finally:
        conn.close()
    return BackupCheck(name, len(applied), households, persons, last[0] if last else "")


def _check_trust(conn: sqlite3.Connection, name: Path) -> None:
    """Refuse a backup whose audit chain is broken or whose schema holds objects not ours.

    A restored file becomes the database everyone works in: a trigger hidden in
    it would run on every later write (copying each new person elsewhere).
    """
    foreign = integrity.foreign_objects(conn)
    if foreign:
        raise StoreError(
            f"备份“{name}”含有不属于残协工作台的数据库对象（{integrity.describe_objects(foreign)}），"
            "可能被人改动过，不能用来恢复。请换一个备份，并把这个文件交给负责人检查。"
        )
    problems = records.verify_chain(conn)
    if problems:
        shown = "；".join(problems[:3]) + ("……" if len(problems) > 3 else "")
        raise StoreError(
            f"备份“{name}”的审计日志不完整（{shown}），可能被人改动过，不能用来恢复。"
            "请换一个备份，并把这个文件交给负责人检查。"
        )


# -- restoring --------------------------------------------------------------------------
def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _secure_current(db_path: Path, when: datetime, busy_timeout: float) -> Path | None:
    """Back up the database about to be replaced; refuse if another program has it open.

    A database too damaged for the backup API is copied file by file (with its
    -wal), so a restore never destroys anything.
    """
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    in_use = StoreError(
        f"数据库“{db_path}”正被其他程序使用（可能还开着残协工作台）。"
        "请先关闭所有使用它的窗口，再恢复。数据库未做任何修改。"
    )
    if _header(db_path) == SQLITE_HEADER:
        conn = sqlite3.connect(str(db_path), timeout=busy_timeout, isolation_level=None)
        try:
            try:
                # Held until close: nobody else can be reading or writing meanwhile.
                conn.execute("PRAGMA locking_mode = EXCLUSIVE")
                conn.execute("BEGIN EXCLUSIVE")
                conn.execute("COMMIT")
            except sqlite3.OperationalError as err:
                if "locked" in str(err) or "busy" in str(err):
                    raise in_use from err
                raise
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id != schema.APPLICATION_ID and (app_id != 0 or tables):
                raise StoreError(
                    f"“{db_path}”是其他程序的 SQLite 数据库，不是残协工作台的数据库；"
                    "为免覆盖别人的数据，没有恢复。请用 --db 指定残协工作台的数据库。"
                )
            return backup_database(conn, db_path, reason="before-restore", when=when)
        except sqlite3.DatabaseError:
            log.warning("当前数据库“%s”无法用备份接口复制，改为逐字节复制。", db_path)
        finally:
            conn.close()
    return _raw_copy(db_path, when)


def _raw_copy(db_path: Path, when: datetime) -> Path:
    _make_folder(backup_dir(db_path))
    out = _new_backup_path(db_path, "before-restore", when)
    for suffix in ("", "-wal"):
        source = Path(f"{db_path}{suffix}")
        if source.exists():
            target = Path(f"{out}{suffix}")
            _private_empty_file(target)
            shutil.copyfile(source, target)
    return out


def restore(
    db_path: Path | str,
    backup: Path | str,
    *,
    clock: Callable[[], datetime] = datetime.now,
    busy_timeout: float = 2.0,
) -> RestoreResult:
    """Replace the database at `db_path` by the backup `backup`.

    Close every connection to `db_path` first.  Order: the backup is copied next
    to the database and checked (integrity, ours, a schema this version knows);
    the current database is backed up (refused if another program has it open);
    then the copy replaces it in one rename, and stale -wal/-shm files are
    removed so they cannot be replayed into the restored file.  Any refusal
    leaves everything as it was.
    """
    db_path, backup = Path(db_path), Path(backup)
    if db_path.is_dir():
        raise StoreError(f"“{db_path}”是一个文件夹，不是数据库文件。请指定数据库文件的路径。")
    if db_path.exists() and not db_path.is_file():
        raise StoreError(f"“{db_path}”不是普通文件（可能是设备或管道），不能用作数据库。")
    if _same_file(db_path, backup):
        raise StoreError("备份文件就是当前数据库本身，不需要恢复。")
    _check_kind(backup, backup)  # the quick refusals, before anything is created
    db_path.parent.mkdir(parents=True, exist_ok=True)
    # In our private folder beside the database (same disk: the rename below is atomic);
    # a restore killed half-way leaves it there, for the next start to remove.
    temp = scratch.private_dir(db_path) / f"restore-{db_path.name}.tmp"
    try:
        source = _read_only(backup)
        try:
            _copy(source, temp)
        except sqlite3.OperationalError as err:  # disk full, I/O error: not the backup's fault
            raise StoreError(
                f"复制备份时出错（{err}），数据库未做任何修改。请检查磁盘空间后再试。"
            ) from err
        except sqlite3.DatabaseError as err:
            raise StoreError(f"备份文件“{backup}”已损坏，不能用来恢复。（{err}）") from err
        finally:
            source.close()
        checked = check_backup(temp, shown=backup)  # what is installed is what was checked
        try:
            safety = _secure_current(db_path, clock(), busy_timeout)
        except OSError as err:
            raise StoreError(
                f"恢复前无法备份当前数据库（{_describe(err)}），为安全起见没有恢复，"
                f"数据库未做任何修改。请检查备份文件夹“{backup_dir(db_path)}”是否可写、磁盘是否已满。"
            ) from err
        for suffix in _SIDE_FILES:
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        os.replace(temp, db_path)
        fsync_dir(db_path.parent)
    finally:
        _remove_with_side_files(temp)
        scratch.release(temp)
    if safety is not None:
        prune(db_path)
    return RestoreResult(checked, safety)
