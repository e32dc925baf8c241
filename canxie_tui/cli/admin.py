"""Looking after the database from the command line.

canxie backup [--out PATH] [--list]     back up now (checked), or list the backups
canxie restore FILE [--yes]             replace the database by a checked backup
canxie doctor                           check-up: exits 1 when something is wrong
canxie audit verify                     check the audit log's hash chain
canxie audit show [--record ID] [--limit N] [--json]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from canxie_tui import config
from canxie_tui.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    Commands,
    add_json_flag,
    add_out_options,
    db_path,
    fail,
    opened_store,
    overwrite,
    positive_int,
    print_rows,
    print_table,
    subcommands,
)

if TYPE_CHECKING:
    from canxie_tui.store.backup import BackupCheck
    from canxie_tui.store.health import Finding


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    backup = commands.add_parser(
        "backup", help="立即备份数据库（默认存到数据库旁的 backups 文件夹）", parents=[common]
    )
    add_out_options(backup, "备份到指定的文件或文件夹（如U盘）")
    backup.add_argument("--list", action="store_true", help="列出已有的备份，不做新备份")
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser(
        "restore",
        help="用备份文件替换当前数据库（先检查备份，并自动备份当前数据库）",
        parents=[common],
    )
    restore.add_argument("file", type=Path, help="备份文件")
    restore.add_argument("--yes", action="store_true", help="确认替换（不加则只检查备份）")
    restore.set_defaults(handler=cmd_restore)

    doctor = commands.add_parser(
        "doctor",
        help="体检：文件、结构版本、完整性、外键、审计日志、备份、磁盘空间",
        parents=[common],
    )
    doctor.set_defaults(handler=cmd_doctor)

    audit = commands.add_parser("audit", help="审计日志", parents=[common])
    audit_commands = subcommands(audit, "audit_command")
    verify = audit_commands.add_parser(
        "verify",
        help="核对审计日志：哈希链、每条记录与日志是否相符、与备份和区里收到的链头是否一致",
        parents=[common],
    )
    verify.add_argument(
        "--district",
        type=Path,
        help="区数据库文件：再与区里合并本社区月报时收到的链头核对",
    )
    verify.set_defaults(handler=cmd_audit_verify)
    show = audit_commands.add_parser(
        "show", help="查看审计日志（某条记录的历史）", parents=[common]
    )
    show.add_argument("--record", help="记录编号（完整编号或前至少8位）")
    show.add_argument(
        "--limit", type=positive_int("--limit"), default=50, help="最多显示条数（默认50）"
    )
    add_json_flag(show)
    show.set_defaults(handler=cmd_audit_show)


# -- backup and restore -----------------------------------------------------------------
def cmd_backup(args: argparse.Namespace) -> int:
    from canxie_tui.store import backup
    from canxie_tui.store.health import size_text

    path = db_path(args)
    if args.list:
        return _list_backups(path)
    overwrite(args)
    with opened_store(args) as store:
        out: Path | None = args.out
        if out is not None and out.is_dir():
            stamp = store.clock().strftime("%Y%m%d-%H%M%S")
            out = out / f"{path.stem}-{stamp}-manual.db"
        if out is not None and out.exists() and not args.force:
            from canxie_tui.excel.files import exists_message

            fail(exists_message(out))
        made = backup.backup_file(path, reason=backup.MANUAL, out=out, when=store.clock())
    checked = backup.check_backup(made)  # a backup is only a backup once it reads back
    print(
        f"已备份到 {made}（{size_text(made.stat().st_size)}，"
        f"{checked.households} 户，在册 {checked.persons} 人；已检查可以恢复）。"
    )
    return 0


def _list_backups(path: Path) -> int:
    from canxie_tui.store import backup
    from canxie_tui.store.health import size_text

    found = backup.list_backups(path)
    if not found:
        print(f"“{backup.backup_dir(path)}”里还没有“{path.name}”的备份。")
        return 0
    print_table(
        f"{path.name} 的备份：共 {len(found)} 份（新的在前）",
        ("时间", "类型", "大小", "文件"),
        [
            (b.taken_at.strftime("%Y-%m-%d %H:%M:%S"), b.label, size_text(b.size), b.path)
            for b in found
        ],
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from canxie_tui.store import backup
    from canxie_tui.store.session import restore_database

    path = db_path(args)
    if not args.yes:
        what = _described(args.file, backup.check_backup(args.file))
        print(
            f"检查通过：{what}。\n"
            f"恢复会用它替换当前数据库“{path}”，替换前会自动备份当前数据库。\n"
            f"确认无误后加 --yes 再运行：canxie restore {args.file} --yes",
        )
        fail("没有加 --yes，未做任何修改。", EXIT_USAGE)
    # The restore checks the backup itself (integrity, audit chain): not read twice here.
    store, result = restore_database(path, args.file)
    store.close()
    kept = f"原数据库已备份到 {result.safety_backup}。" if result.safety_backup else ""
    print(f"已用{_described(args.file, result.restored)}恢复数据库“{path}”。{kept}")
    return 0


def _described(file: Path, checked: BackupCheck) -> str:
    return (
        f"备份“{file}”（结构版本 {checked.schema_version}，{checked.households} 户，"
        f"在册 {checked.persons} 人，最后一次修改 {checked.last_change.replace('T', ' ') or '无'}）"
    )


# -- doctor ---------------------------------------------------------------------------
def cmd_doctor(args: argparse.Namespace) -> int:
    from canxie_tui.store.health import diagnose

    path = db_path(args)
    findings = diagnose(path, exports=config.exports_dir())
    if path.is_file():  # shown after the 备份 line (at the end if the database would not open)
        after = max((i + 1 for i, f in enumerate(findings) if f.topic == "备份"), default=None)
        findings.insert(len(findings) if after is None else after, _backup_space(path))
    problems = 0
    for finding in findings:
        mark = "正常" if finding.ok else "问题"
        print(f"[{mark}] {finding.topic}：{finding.detail}")
        if not finding.ok:
            problems += 1
            print(f"       处理办法：{finding.advice}")
    if problems:
        print(f"体检完成：发现 {problems} 个问题，请按上面的处理办法处理。")
        return EXIT_FAILURE
    print("体检完成：一切正常。")
    return 0


BACKUP_FREE_DB_MULTIPLE = 2  # free room wanted where backups go, in database sizes


def _backup_space(path: Path) -> Finding:
    """How many backups there are and what they weigh; room for the next one."""
    from canxie_tui.store import backup
    from canxie_tui.store.health import Finding, size_text

    room = backup.usage(path)
    detail = (
        f"自动备份 {room.automatic} 份，共 {size_text(room.automatic_bytes)}"
        f"（上限 {size_text(room.budget)}，超出时自动删除最旧的）；"
        f"手动备份 {room.manual} 份，共 {size_text(room.manual_bytes)}（不会自动删除）"
    )
    if room.free is not None:
        detail += f"；备份所在磁盘剩余 {size_text(room.free)}"
    wrong: list[str] = []
    advice: list[str] = []
    needed = BACKUP_FREE_DB_MULTIPLE * room.db_size
    short = room.free is not None and room.free < needed
    if short:
        wrong.append(
            f"剩余空间少于数据库大小（{size_text(room.db_size)}）的 {BACKUP_FREE_DB_MULTIPLE} 倍，"
            "下一次备份可能放不下"
        )
        advice.append(
            f"请清理备份文件夹“{room.folder}”所在的磁盘，让剩余空间至少有 {size_text(needed)}"
        )
    heavy = room.manual_bytes > room.budget
    if heavy:
        wrong.append(
            f"手动备份已超过自动备份的上限 {size_text(room.budget)}，而手动备份不会被自动删除"
        )
    if room.manual and (short or heavy):
        advice.append(
            f"把较早的手动备份复制到U盘或其他电脑保存好，再从“{room.folder}”删除"
            "（可用 canxie backup --list 查看）"
        )
    if not wrong:
        return Finding("备份空间", True, detail)
    return Finding("备份空间", False, f"{detail}。{'；'.join(wrong)}", "；".join(advice))


# -- audit ----------------------------------------------------------------------------
def cmd_audit_verify(args: argparse.Namespace) -> int:
    from canxie_tui.store.health import audit_problems, backup_anchors

    district: Path | None = args.district
    if district is not None and not district.is_file():
        fail(f"找不到区数据库文件“{district}”。")
    with opened_store(args) as store:
        entries = store.scalar("SELECT count(*) FROM audit_log") or 0
        problems = audit_problems(store, district=district)
        seen = len(backup_anchors(store.path))
    if not problems:
        print(
            f"审计日志完整：共 {entries} 条，哈希链没有断裂，每条记录都与日志相符，"
            f"与 {seen} 份备份{'和区数据库' if district else ''}记下的链头一致。"
        )
        return 0
    for problem in problems:
        print(problem)
    print(
        f"审计日志有 {len(problems)} 处被改动或删除。请保留当前数据库文件作为证据"
        "（canxie backup --out），报告负责人；可用改动前的备份核对原来的内容。"
    )
    return EXIT_FAILURE


def cmd_audit_show(args: argparse.Namespace) -> int:
    from canxie_tui.store.audit import history

    with opened_store(args) as store:
        entries = history(store, args.record, limit=args.limit)
    if args.record and not entries:
        fail(f"审计日志里没有记录“{args.record}”的条目。请核对记录编号。")
    title = f"记录 {args.record} 的历史" if args.record else "审计日志"
    print_rows(
        entries,
        as_json=args.json,
        to_json=lambda e: {
            "seq": e.seq,
            "at": e.at,
            "operator": e.operator_name,
            "action": e.action,
            "table": e.table_name,
            "record_id": e.record_id,
            "changes": {k: {"before": b, "after": a} for k, (b, a) in e.changes.items()},
        },
        envelope={"record": args.record},
        key="entries",
        title=f"{title}：最近 {len(entries)} 条",
        headers=("序号", "时间", "操作员", "操作", "对象", "记录", "改动"),
        cells=lambda e: (
            e.seq,
            e.at.replace("T", " "),
            e.operator_name or "—",
            e.action,
            e.table_label,
            e.record_id[:8],
            e.summary or "—",
        ),
    )
    return 0
