"""The `canxie` parser, and turning any failure into one Chinese line.

Without a subcommand `canxie` opens the TUI.  Each command group lives in a
module of its own with `add_commands(commands, common)`; they are added here in
the order `canxie --help` lists them.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from canxie_tui import config
from canxie_tui.cli import (
    admin,
    certificates,
    daycare,
    demo,
    district,
    emergency,
    export,
    indicators,
    roster,
    search,
    survey,
    visits,
)
from canxie_tui.cli.common import (
    ChineseArgumentParser,
    close_stdout_quietly,
    db_path,
    fail,
    run_tui,
)


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="canxie",
        description="残协工作台：残疾人户籍、走访、个案记录的离线工作台。不带子命令时打开界面。",
    )
    db_help = "数据库文件（默认 data/canxie.db，或环境变量 CANXIE_DB）"
    parser.add_argument("--db", type=Path, help=db_help)
    # `--db` is accepted after the subcommand too (canxie demo --db x.db).
    common = ChineseArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=db_help)
    commands = parser.add_subparsers(
        dest="command", metavar="命令", parser_class=ChineseArgumentParser
    )
    for group in (
        demo,
        search,
        visits,
        indicators,
        certificates,
        daycare,
        emergency,
        admin,
        export,
        roster,
        district,
        survey,
    ):
        group.add_commands(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from canxie_tui.domain.errors import CanxieError

    args = build_parser().parse_args(argv)
    try:
        handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
        code = handler(args) if handler else run_tui(db_path(args))
        sys.stdout.flush()  # a closed pipe shows here, not in Python's flush at exit
        return code
    except BrokenPipeError:  # `canxie … | head`: the reader has all it wanted
        return close_stdout_quietly()
    except CanxieError as err:
        fail(err.message)
    except KeyboardInterrupt:
        fail("已中断。", 130)
    except sqlite3.Error as err:
        text = str(err)
        if "readonly" in text:
            fail("数据库文件是只读的，无法写入。请检查文件权限。")
        if "locked" in text or "busy" in text:
            fail("数据库正被另一个程序长时间占用，请稍后再试。")
        fail(f"数据库操作失败：{text}")
    except PermissionError as err:
        fail(f"没有权限访问“{err.filename}”。")
    except OSError as err:
        fail(f"文件操作失败：{err.strerror or err}（{err.filename or ''}）")
    except Exception as err:  # never a traceback for a user; CANXIE_DEBUG=1 shows it
        if config.debug():
            raise
        fail(
            f"程序内部错误（{type(err).__name__}）。请把这条信息告诉维护人员；设置 CANXIE_DEBUG=1 可看详情。"
        )
