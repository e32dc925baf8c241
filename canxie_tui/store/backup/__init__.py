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

Modules: `folder` (names, the folder, private files), `copies` (taking a backup),
`keep` (listing, weighing and pruning), `check` (checking one before a restore),
`restoring` (the restore).  Callers use this package's names.
"""

from __future__ import annotations

from canxie_tui.store.backup.check import BackupCheck, check_backup
from canxie_tui.store.backup.copies import (
    backup_before,
    backup_before_migration,
    backup_database,
    backup_file,
    daily_backup,
)
from canxie_tui.store.backup.folder import (
    DAILY,
    MANUAL,
    REASON_LABELS,
    SQLITE_HEADER,
    BackupInfo,
    backup_dir,
    fsync_dir,
)
from canxie_tui.store.backup.keep import (
    AUTO_BUDGET_DB_MULTIPLE,
    AUTO_BUDGET_MIN_BYTES,
    KEEP_BEFORE_OPERATION,
    KEEP_BEFORE_OPERATION_OVER_BUDGET,
    KEEP_DAILY,
    KEEP_DAILY_OVER_BUDGET,
    BackupUsage,
    automatic_budget,
    list_backups,
    newest_backup,
    prune,
    usage,
)
from canxie_tui.store.backup.restoring import RestoreResult, restore

__all__ = [
    "AUTO_BUDGET_DB_MULTIPLE",
    "AUTO_BUDGET_MIN_BYTES",
    "DAILY",
    "KEEP_BEFORE_OPERATION",
    "KEEP_BEFORE_OPERATION_OVER_BUDGET",
    "KEEP_DAILY",
    "KEEP_DAILY_OVER_BUDGET",
    "MANUAL",
    "REASON_LABELS",
    "SQLITE_HEADER",
    "BackupCheck",
    "BackupInfo",
    "BackupUsage",
    "RestoreResult",
    "automatic_budget",
    "backup_before",
    "backup_before_migration",
    "backup_database",
    "backup_dir",
    "backup_file",
    "check_backup",
    "daily_backup",
    "fsync_dir",
    "list_backups",
    "newest_backup",
    "prune",
    "restore",
    "usage",
]
