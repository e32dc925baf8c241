"""Backups with SQLite's online backup API (consistent even while others write)."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path


def backup_dir(db_path: Path) -> Path:
    return db_path.parent / "backups"


def backup_database(
    conn: sqlite3.Connection, db_path: Path, *, reason: str, out: Path | None = None
) -> Path:
    """Copy the live database to `out` (default data/backups/<name>-<time>-<reason>.db)."""
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        out = backup_dir(db_path) / f"{db_path.stem}-{stamp}-{reason}.db"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.close(fd)
    target = sqlite3.connect(str(partial))
    try:
        conn.backup(target)
    finally:
        target.close()
    os.replace(partial, out)
    return out
