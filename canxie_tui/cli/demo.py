"""`canxie demo`: build a deterministic demo database, then open it."""

from __future__ import annotations

import argparse
from pathlib import Path

from canxie_tui.cli.common import Commands, db_path, fail, opened_store, progress_bar, run_tui


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    demo = commands.add_parser("demo", help="建立演示数据库并打开界面", parents=[common])
    demo.add_argument(
        "--scale",
        choices=("community", "street", "district"),
        default="community",
        help="规模：community 社区约300人；street 街道约5千人；district 全区约3万人",
    )
    demo.add_argument("--seed", type=int, default=1, help="随机种子（同一种子生成相同数据）")
    demo.add_argument("--no-tui", action="store_true", help="只建库，不打开界面")
    demo.add_argument("--force", action="store_true", help="数据库已存在时覆盖")
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from canxie_tui.demo.builder import build_demo

    path = db_path(args)
    if path.exists():
        if not args.force and not args.no_tui and _has_data(args):
            print(f"演示数据库“{path}”已存在，直接打开。（重新生成请加 --force）")
            return run_tui(path)
        if not args.force:
            fail(f"“{path}”已存在。要覆盖请加 --force，或用 --db 指定新文件。")
        if path.is_dir():
            fail(f"“{path}”是一个文件夹，不是数据库文件。")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    with opened_store(args, create=True) as store, progress_bar("生成演示数据") as report:
        counts = build_demo(store, scale=args.scale, seed=args.seed, progress=report)
    print(
        f"已生成演示数据库 {path}：{counts.get('households', 0)} 户，"
        f"{counts.get('persons', 0)} 人，{counts.get('visits', 0)} 次走访。"
    )
    return 0 if args.no_tui else run_tui(path)


def _has_data(args: argparse.Namespace) -> bool:
    with opened_store(args) as store:
        return bool(store.scalar("SELECT count(*) FROM persons"))
