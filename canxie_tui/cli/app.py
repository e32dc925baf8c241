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
from contextlib import suppress
from pathlib import Path
from typing import Any

from canxie_tui import config
from canxie_tui.cli.common import (
    EXIT_USAGE,
    ChineseArgumentParser,
    backups_after_answer,
    close_stdout_quietly,
    db_path,
    fail,
    run_tui,
)


def _quiet_unraisable(unraisable: Any) -> None:
    """An error Python can only report (a file closed while the interpreter exits, on a
    full disk): the user already got one Chinese line; the details only with CANXIE_DEBUG."""
    if config.debug():
        sys.__unraisablehook__(unraisable)


def build_parser() -> argparse.ArgumentParser:
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
        site,
        subsidy,
        survey,
        visits,
    )

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
        site,
        demo,
        search,
        visits,
        indicators,
        certificates,
        subsidy,
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


def _tui_only(arguments: Sequence[str]) -> argparse.Namespace | None:
    """`canxie` or `canxie --db FILE`, the way the app is opened every day: the TUI,
    without building the parser of every command (about 45 ms of a cold start)."""
    if not arguments:
        return argparse.Namespace(db=None)
    if len(arguments) == 2 and arguments[0] == "--db" and arguments[1][:1] not in ("", "-"):
        return argparse.Namespace(db=Path(arguments[1]))
    if len(arguments) == 1 and arguments[0].startswith("--db=") and len(arguments[0]) > 5:
        return argparse.Namespace(db=Path(arguments[0][5:]))
    return None


def _undecodable(text: str) -> bool:
    """Bytes that were not UTF-8 reach Python as lone surrogates (surrogateescape)."""
    return any("\udc80" <= char <= "\udcff" for char in text)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    bad = next((a for a in arguments if _undecodable(a)), None)
    if bad is not None:  # refused here: printing or storing it would fail anywhere later
        shown = bad.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        fail(
            f"参数“{shown}”里有无法识别的字节（不是 UTF-8 编码的文字，显示为 �）。"
            "请检查终端或文件名的编码，用 UTF-8 重新输入。",
            EXIT_USAGE,
        )
    sys.unraisablehook = _quiet_unraisable
    # --help ends here, before the store is imported
    args = _tui_only(arguments) or build_parser().parse_args(arguments)
    from canxie_tui.store import scratch

    scratch.install_signal_handlers()  # closing the terminal leaves no temporary file behind
    try:
        return _answer(args)
    finally:
        # The first open of the day's backup, after the answer or the error message;
        # a second Ctrl+C skips it (nothing half-made is kept).
        with suppress(KeyboardInterrupt):
            backups_after_answer()


def _answer(args: argparse.Namespace) -> int:
    """Run the command; every error ends as one Chinese line (`fail`)."""
    from canxie_tui.domain.errors import CanxieError

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
    except (sqlite3.Error, OSError) as err:
        from canxie_tui.store.errors import explain

        known = explain(err)
        if known:
            fail(known)
        if isinstance(err, sqlite3.Error):
            fail(f"数据库操作失败：{err}")
        fail(f"文件操作失败：{err.strerror or err}（{err.filename or ''}）")
    except Exception as err:  # never a traceback for a user; CANXIE_DEBUG=1 shows it
        if config.debug():
            raise
        fail(
            f"程序内部错误（{type(err).__name__}）。请把这条信息告诉维护人员；设置 CANXIE_DEBUG=1 可看详情。"
        )
