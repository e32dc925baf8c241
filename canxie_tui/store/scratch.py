"""Private temporary files: one 0700 folder beside the database, one subfolder per process.

Everything the program writes on its way to a final file lives here: the rows
openpyxl streams while a workbook is built (`excel.book`), a workbook before it
is encrypted and renamed (`excel.files.atomic_save`), the copy a restore checks
before it replaces the database (`store.backup.restore`).  They hold ID numbers,
so they never go to the system's shared temporary folder.

    <database folder>/.canxie-tmp/          0700, ours
    <database folder>/.canxie-tmp/<pid>/    this process's files

The folder is on the database's disk, so a file made here is renamed beside
the database in one step.  It goes away when the process ends: at a normal
exit, and on SIGTERM or SIGHUP (closing the terminal window) before the
process dies of that signal (`install_signal_handlers`).  A SIGKILL or a power
cut leaves it behind; the next start removes every folder whose process is
gone (`sweep`, called by `store.session.open_store`), and `canxie doctor`
reports what it found.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

ROOT_NAME = ".canxie-tmp"
# What a restore killed by an earlier version left beside the database.
_OLD_RESTORE = ".restore-"

_made: set[Path] = set()  # this process's folders, removed at exit
_active: Path | None = None  # the folder of the database opened last
_in_flight: set[Path] = set()  # files outside our folders that a signal must remove too


@dataclass(frozen=True)
class Leftover:
    path: Path
    size: int


def root(db_path: Path) -> Path:
    return db_path.absolute().parent / ROOT_NAME


def _make_private(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if sys.platform != "win32":
        os.chmod(folder, 0o700)  # mkdir's mode is masked by umask, and an old folder may differ


def private_dir(db_path: Path | None = None) -> Path:
    """This process's private folder near `db_path` (default: the database opened last).

    Without any database (a library caller), a private folder of the system's
    temporary folder, removed at exit like the others.
    """
    global _active
    if db_path is not None:
        base = root(db_path)
    elif _active is not None:
        base = _active
    else:
        base = Path(tempfile.gettempdir()) / f"canxie-{os.getuid() if hasattr(os, 'getuid') else 0}"
    _make_private(base)
    folder = base / str(os.getpid())
    _make_private(folder)
    if folder not in _made:
        if not _made:
            atexit.register(cleanup)
        _made.add(folder)
    return folder


def activate(db_path: Path) -> None:
    """Make the folder of `db_path` the default one (`store.session.open_store` calls it).

    Nothing is created until a file is needed.
    """
    global _active
    _active = root(db_path)


def release(path: Path) -> None:
    """Remove a file of ours, then our folder and the root if that left them empty:
    between operations nothing of ours stays beside the database."""
    with suppress(OSError):
        path.unlink()
    folder = path.parent
    if folder in _made:
        with suppress(OSError):
            folder.rmdir()
            _made.discard(folder)
            folder.parent.rmdir()


def new_file(prefix: str, suffix: str = "", db_path: Path | None = None) -> Path:
    """An empty 0600 file in this process's private folder."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=private_dir(db_path))
    os.close(fd)
    return Path(name)


@contextmanager
def in_flight(path: Path) -> Iterator[Path]:
    """A file written outside our folders (a copy on its way to a USB stick): removed by a
    SIGTERM/SIGHUP that comes while it is being written."""
    _in_flight.add(path)
    try:
        yield path
    finally:
        _in_flight.discard(path)


def cleanup() -> None:
    """Remove this process's folders and files in flight (at exit, on a signal)."""
    for path in list(_in_flight):
        with suppress(OSError):
            path.unlink()
    for folder in list(_made):
        shutil.rmtree(folder, ignore_errors=True)
        _made.discard(folder)
        with suppress(OSError):
            folder.parent.rmdir()  # the root too, unless another process works in it


# -- long writes --------------------------------------------------------------------------
BUSY_FILE = "busy"


@contextmanager
def busy(db_path: Path, label: str) -> Iterator[None]:
    """Say, while a long write runs ("导入花名册"), what holds the database: another
    program that waits for it in vain can then tell the user (`busy_with`)."""
    marker = private_dir(db_path) / BUSY_FILE
    marker.write_text(label, encoding="utf-8")
    try:
        yield
    finally:
        release(marker)


def busy_with(db_path: Path) -> str | None:
    """What a live process said it is doing with the database (`busy`); None if nothing."""
    base = root(db_path)
    with suppress(OSError):
        for entry in base.iterdir():
            pid = _pid(entry.name)
            marker = entry / BUSY_FILE
            if pid is not None and _alive(pid) and marker.is_file():
                with suppress(OSError):
                    return marker.read_text(encoding="utf-8")[:40] or None
    return None


# -- signals ---------------------------------------------------------------------------
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _on_signal(signum: int, frame: FrameType | None) -> None:
    cleanup()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # die of the signal, as the sender expects


def install_signal_handlers() -> None:
    """On SIGTERM/SIGHUP remove our temporary files, then die of the signal.

    The database needs nothing: an unfinished transaction is rolled back by
    SQLite, and no final file is ever half-written (they are renamed complete).
    """
    for signum in _SIGNALS:
        with suppress(ValueError, OSError):  # not the main thread: leave them be
            signal.signal(signum, _on_signal)


# -- leftovers ---------------------------------------------------------------------------
def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: not ours to judge
    return True


def _pid(name: str) -> int | None:
    return int(name) if name.isdigit() else None


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for base, _, files in os.walk(path):
        for name in files:
            with suppress(OSError):
                total += os.stat(os.path.join(base, name)).st_size
    return total


def leftovers(db_path: Path) -> list[Leftover]:
    """What killed processes left: their private folders, and restore copies beside the
    database from earlier versions (`.<name>.restore-<pid>.tmp`)."""
    found: list[Leftover] = []
    base = root(db_path)
    if base.is_dir():
        for entry in base.iterdir():
            pid = _pid(entry.name)
            if pid is None or not _alive(pid):
                with suppress(OSError):
                    found.append(Leftover(entry, _size(entry)))
    folder = db_path.absolute().parent
    prefix = f".{db_path.name}{_OLD_RESTORE}"
    with suppress(OSError):
        for entry in folder.iterdir():
            if not entry.name.startswith(prefix):
                continue
            pid = _pid(entry.name[len(prefix) :].split(".", 1)[0])
            if pid is not None and not _alive(pid):
                with suppress(OSError):
                    found.append(Leftover(entry, _size(entry)))
    return found


def sweep(db_path: Path) -> list[Leftover]:
    """Remove `leftovers(db_path)`; returns what was removed."""
    removed = []
    for item in leftovers(db_path):
        if item.path.is_dir():
            shutil.rmtree(item.path, ignore_errors=True)
        else:
            with suppress(OSError):
                item.path.unlink()
        if not item.path.exists():
            removed.append(item)
    with suppress(OSError):
        root(db_path).rmdir()  # only when empty: another process may be working in it
    return removed


SYSTEM_TEMP_MIN_AGE = 3600  # seconds: younger files may belong to an export running now


def system_temp_leftovers() -> list[Leftover]:
    """openpyxl's temporary files in the system's temporary folder, an hour old or more
    (earlier versions wrote them there; an interrupted export left them, full of IDs)."""
    import time

    folder = Path(tempfile.gettempdir())
    uid = os.getuid() if hasattr(os, "getuid") else None
    cutoff = time.time() - SYSTEM_TEMP_MIN_AGE
    found = []
    with suppress(OSError):
        for entry in folder.glob("openpyxl.*"):
            with suppress(OSError):
                info = entry.stat()
                mine = uid is None or info.st_uid == uid
                if entry.is_file() and mine and info.st_mtime < cutoff:
                    found.append(Leftover(entry, info.st_size))
    return found
