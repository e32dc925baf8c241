"""A check-up of the database and its surroundings (`canxie doctor`).

Each finding says what was looked at, what was found and, when something is
wrong, what to do — in Chinese, for the person at the desk.  The checks read
only; opening the database is the ordinary `Store.open` (which may take the
day's backup or upgrade an older file after backing it up, as any start does).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from canxie_tui.store import anchors, backup, integrity, records, schema, scratch, session
from canxie_tui.store.backup.check import _read_only
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StoreError

BACKUP_MAX_AGE_DAYS = 2
MIN_FREE_BYTES = 200 * 1024 * 1024
RESTORE_HINT = "可用 canxie backup --list 查看备份，用 canxie restore 备份文件 --yes 恢复"


@dataclass(frozen=True)
class Finding:
    topic: str  # 数据库文件, 完整性, 审计日志 ...
    ok: bool
    detail: str
    advice: str = ""  # what to do; set when not ok


def size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    if size < 1024**3:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{size / 1024**3:.1f} GB"


def diagnose(
    path: Path, *, exports: Path | None = None, opener: Callable[..., Store] | None = None
) -> list[Finding]:
    """Every finding about the database at `path`; a problem is a finding with ok=False."""
    opener = opener or session.open_store
    found = [Finding("数据库文件", True, str(path.absolute()))]
    if path.is_dir():
        found.append(
            Finding(
                "数据库文件",
                False,
                f"“{path}”是一个文件夹，不是数据库文件",
                "用 --db 或环境变量 CANXIE_DB 指定数据库文件的路径",
            )
        )
        return found
    if not path.exists():
        found.append(
            Finding(
                "数据库文件",
                False,
                f"找不到数据库文件“{path}”",
                f"用 --db 指定正确的文件；若文件丢失，{RESTORE_HINT}",
            )
        )
        return found
    found.append(Finding("备份文件夹", True, str(backup.backup_dir(path).absolute())))
    if exports is not None:
        found.append(Finding("导出文件夹", True, str(exports.absolute())))
    left = scratch.leftovers(path)  # seen before the open below removes them
    try:
        store = opener(path, create=False)
    except StoreError as err:
        found.append(Finding("打开数据库", False, err.message, _open_advice(path)))
        found.extend(_raw_integrity(path))
        return found
    try:
        found.extend(_store_findings(store))
    finally:
        store.close()
    found.append(_disk(path))
    found.append(_leftovers(path, left))
    return found


def _leftovers(path: Path, left: list[scratch.Leftover]) -> Finding:
    """Temporary files an interrupted run left (they may hold ID numbers)."""
    remaining = [item for item in left if item.path.exists()]
    system = scratch.system_temp_leftovers()
    size = size_text(sum(item.size for item in left))
    removed = f"上次被中断的程序留下的临时文件 {len(left)} 项（{size}），已删除" if left else ""
    if not remaining and not system:
        detail = removed or f"没有残留（{scratch.root(path)}）"
        return Finding("临时文件", True, detail)
    wrong = []
    if remaining:
        shown = "、".join(str(item.path) for item in remaining[:3])
        wrong.append(f"无法删除的残留临时文件：{shown}")
    if system:
        folder = system[0].path.parent
        weight = size_text(sum(item.size for item in system))
        wrong.append(
            f"系统临时文件夹“{folder}”里有 {len(system)} 个 openpyxl.* 文件（{weight}），"
            "是旧版本导出被中断时留下的，可能含身份证号"
        )
    return Finding(
        "临时文件",
        False,
        "；".join([*([removed] if removed else []), *wrong]),
        "确认没有正在运行的导出后，删除上面列出的文件（它们可能含个人信息）",
    )


def _open_advice(path: Path) -> str:
    return f"按上面的说明处理；若数据库已损坏，{RESTORE_HINT}"


def _raw_integrity(path: Path) -> list[Finding]:
    """Integrity of a file Store.open refused, when it is SQLite at all."""
    try:
        with path.open("rb") as handle:
            if handle.read(16) != backup.SQLITE_HEADER:
                return []
        conn = _read_only(path)
    except (OSError, sqlite3.Error):
        return []
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as err:
        problems = [str(err)]
    finally:
        conn.close()
    return [_integrity(problems)]


def _integrity(problems: list[str]) -> Finding:
    if problems == ["ok"]:
        return Finding("完整性检查", True, "通过（integrity_check）")
    shown = "；".join(problems[:5]) + ("……" if len(problems) > 5 else "")
    return Finding(
        "完整性检查",
        False,
        f"数据库文件已损坏：{shown}",
        f"先用 canxie backup --out 另存一份当前文件留底，再从最近的备份恢复：{RESTORE_HINT}",
    )


def _store_findings(store: Store) -> list[Finding]:
    found = [
        Finding(
            "结构版本",
            True,
            f"{store.schema_version}（本程序支持 {schema.SCHEMA_VERSION}）",
        )
    ]
    try:
        problems = [r[0] for r in store.db.conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as err:
        problems = [str(err)]
    found.append(_integrity(problems))
    if problems != ["ok"]:
        return found  # the other checks would read damaged pages
    broken = store.db.conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = Counter(row[0] for row in broken)
        what = "、".join(f"{table} {n} 行" for table, n in tables.most_common())
        found.append(
            Finding(
                "外键检查",
                False,
                f"有 {len(broken)} 行引用了不存在的记录（{what}）",
                f"数据被程序以外的工具改动过。{RESTORE_HINT}，或请技术人员核对",
            )
        )
    else:
        found.append(Finding("外键检查", True, "通过（foreign_key_check）"))
    found.append(_audit(store))
    found.append(_objects(store))
    found.append(_backups(store))
    return found


AUDIT_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")


def backup_anchors(db_path: Path) -> list[anchors.Anchor]:
    """The chain heads beside the local backups (`<backup>.head`), newest backup first."""
    found = []
    for info in backup.list_backups(db_path):
        head = anchors.read_sidecar(info.path)
        if head is not None and head.seq:
            when = info.taken_at.isoformat(timespec="seconds")
            found.append(anchors.Anchor(f"备份“{info.path.name}”", head, when, info.path))
    return found


def audit_problems(store: Store, *, district: Path | None = None) -> list[str]:
    """Everything `canxie audit verify` reports, in Chinese; empty when all is well.

    The chain itself, every record against its last entry, and the chain against
    the heads kept outside the file: the local backups' sidecars and, given
    `district`, the heads the district database received with this site's returns.
    """
    from canxie_tui.store.site import get_site

    conn = store.db.conn
    problems = records.verify_chain(conn)
    problems += integrity.drift_problems(conn)
    seen = backup_anchors(store.path)
    if district is not None:
        seen += anchors.district_anchors(district, get_site(store).code)
    problems += anchors.check_anchors(conn, seen)
    return problems


def _audit(store: Store) -> Finding:
    entries = store.scalar("SELECT count(*) FROM audit_log") or 0
    problems = audit_problems(store)
    present = {
        r[0] for r in store.db.conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
    }
    missing = [name for name in AUDIT_TRIGGERS if name not in present]
    if missing:
        problems.append(f"审计日志的保护触发器被删除（{'、'.join(missing)}），日志可以被修改")
    if not problems:
        return Finding("审计日志", True, f"哈希链完整，共 {entries} 条")
    return Finding(
        "审计日志",
        False,
        "；".join(problems),
        "审计日志被程序以外的工具改动或删除过。请保留当前文件作为证据（canxie backup --out），"
        "报告负责人；可用改动前的备份核对原来的内容",
    )


def _objects(store: Store) -> Finding:
    """Tables, triggers, views and indexes the program did not make."""
    foreign = integrity.foreign_objects(store.db.conn)
    if not foreign:
        return Finding("数据库结构", True, "只有本程序建立的表、触发器、视图和索引")
    return Finding(
        "数据库结构",
        False,
        f"有本程序没有建立的对象：{integrity.describe_objects(foreign)}",
        "有人用其他工具改动过数据库结构（例如加了把新数据复制到别处的触发器）。"
        f"请保留当前文件作为证据（canxie backup --out），报告负责人；{RESTORE_HINT}",
    )


def _backups(store: Store) -> Finding:
    folder = backup.backup_dir(store.path)
    newest = backup.newest_backup(store.path)
    fix = "请运行 canxie backup 立即备份"
    if folder.exists() and not folder.is_dir():
        return Finding(
            "备份",
            False,
            f"备份文件夹的位置“{folder}”被一个文件占用，自动备份无法进行",
            "请把这个文件改名或移走，然后运行 canxie backup",
        )
    if not os.access(folder if folder.is_dir() else store.path.parent, os.W_OK):
        return Finding(
            "备份",
            False,
            f"备份文件夹“{folder}”不可写，自动备份无法进行",
            "请检查该文件夹的权限，然后运行 canxie backup",
        )
    if newest is None:
        first = store.scalar("SELECT at FROM audit_log ORDER BY seq LIMIT 1")
        if first is None or first[:10] >= store.today().isoformat():
            return Finding("备份", True, "还没有备份（新建的数据库，下次打开时自动备份）")
        return Finding("备份", False, "还没有任何备份", fix)
    age = store.clock() - newest.taken_at
    when = newest.taken_at.strftime("%Y-%m-%d %H:%M")
    count = len(backup.list_backups(store.path))
    detail = f"最近一次 {when}（{newest.label}，{age.days} 天前），共 {count} 份"
    if age.days >= BACKUP_MAX_AGE_DAYS:
        return Finding("备份", False, detail, fix)
    return Finding("备份", True, detail)


def _disk(path: Path) -> Finding:
    try:
        usage = shutil.disk_usage(path.parent)
    except OSError as err:
        return Finding("磁盘空间", False, f"无法查看磁盘空间：{err}", "请检查数据库所在的磁盘")
    db_size = path.stat().st_size
    needed = max(MIN_FREE_BYTES, 3 * db_size)
    detail = f"剩余 {size_text(usage.free)}（数据库 {size_text(db_size)}）"
    if usage.free < needed:
        return Finding(
            "磁盘空间",
            False,
            detail + f"，少于所需的 {size_text(needed)}",
            "请清理磁盘，或把较早的备份复制到U盘后从 backups 文件夹删除",
        )
    return Finding("磁盘空间", True, detail)
