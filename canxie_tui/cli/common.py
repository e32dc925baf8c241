"""What every command module shares: the parser class, exits, the database, output.

Command modules import this module and nothing else of `canxie_tui.cli`; the
parser module (`cli.app`) imports them.  Everything heavy (the store, rich,
Textual) is imported inside the functions: `canxie --help` must stay quick.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TypeAlias, TypeVar

from canxie_tui import config

if TYPE_CHECKING:
    from canxie_tui.store.connection import Store

# What `add_commands(commands, common)` receives: the parser's subcommands.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
ProgressReport: TypeAlias = Callable[[str, int, int], None]  # (label, done, total)

STARTED = time.perf_counter()  # for the TUI's "started in N ms"

EXIT_FAILURE = 1
EXIT_USAGE = 2

T = TypeVar("T")

_ARGPARSE_CN = (
    ("the following arguments are required: ", "缺少参数："),
    ("unrecognized arguments: ", "无法识别的参数："),
    ("invalid choice: ", "无效的选项："),
    ("(choose from ", "（可选："),
    ("argument ", "参数 "),
    ("invalid int value: ", "不是整数："),
    ("expected one argument", "需要一个值"),
)


class ChineseArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        for english, chinese in _ARGPARSE_CN:
            message = message.replace(english, chinese)
        self.exit(
            EXIT_USAGE, f"{self.prog}: 参数错误：{message}\n用 {self.prog} --help 查看用法。\n"
        )


def subcommands(parser: argparse.ArgumentParser, dest: str) -> Commands:
    """The required second word of a command group (`canxie visits due`)."""
    return parser.add_subparsers(
        dest=dest, metavar="子命令", parser_class=ChineseArgumentParser, required=True
    )


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="输出 JSON")


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """One Chinese line on stderr, then exit with `code`."""
    print(f"错误：{message}", file=sys.stderr)
    raise SystemExit(code)


# -- argument types ----------------------------------------------------------------------
# A refused value exits through `fail` rather than argparse's ArgumentTypeError so the
# message reads exactly as before these checks moved into the parser ("错误：…", exit 2).


class Month(NamedTuple):
    year: int
    number: int
    text: str  # as typed: the audit log records it so


def month(text: str) -> Month:
    """`--month`: 2026-11, 2026/11, 202611 or 2026年11月."""
    from canxie_tui.domain.daycare import parse_month
    from canxie_tui.domain.errors import InputError

    try:
        year, number = parse_month(text)
    except InputError as err:
        fail(err.message, EXIT_USAGE)
    return Month(year, number, text)


def positive_int(option: str) -> Callable[[str], int]:
    """The type of an option such as `--limit` that must be 1 or more."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            # argparse's own wording for a bad int, which ChineseArgumentParser translates
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < 1:
            fail(f"{option} 须为正整数", EXIT_USAGE)
        return value

    return convert


# -- the database ------------------------------------------------------------------------
def db_path(args: argparse.Namespace) -> Path:
    """--db, else $CANXIE_DB, else data/canxie.db."""
    return args.db if args.db else config.db_path()


@contextmanager
def opened_store(args: argparse.Namespace, *, create: bool = False) -> Iterator[Store]:
    """The database of `args`, closed however the command ends (also by `fail`)."""
    # Looked up when called: tests replace session.open_store to fix the clock.
    from canxie_tui.store import session

    store = session.open_store(db_path(args), create=create)
    try:
        yield store
    finally:
        store.close()


def run_tui(path: Path) -> int:
    from canxie_tui.ui.app import CanxieApp

    CanxieApp(db_path=path, started=STARTED).run()
    return 0


# -- output --------------------------------------------------------------------------
@contextmanager
def progress_bar(description: str) -> Iterator[ProgressReport]:
    """A bar on stderr, gone when done; yields the (label, done, total) callback.

    Off when stderr is not a terminal: a stopped bar still leaves a blank line there.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task(description, total=None)

        def report(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total or None)

        yield report


def print_json(payload: object) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2))


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for header in headers:
        # A long Chinese cell has no spaces to wrap at: fold it rather than cut it short.
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    Console().print(table)


def print_rows(
    items: Sequence[T],
    *,
    as_json: bool,
    to_json: Callable[[T], Mapping[str, Any]],
    title: str,
    headers: Sequence[str],
    cells: Callable[[T], Sequence[object]],
    envelope: Mapping[str, Any] | None = None,
    key: str = "results",
    empty: str | None = None,
) -> None:
    """`items` as JSON `{**envelope, key: [to_json(item), …]}`, or as a table of `cells`.

    `empty`, if given, is printed instead of a table without rows.
    """
    if as_json:
        print_json({**(envelope or {}), key: [to_json(item) for item in items]})
    elif not items and empty is not None:
        print(empty)
    else:
        print_table(title, headers, [cells(item) for item in items])
