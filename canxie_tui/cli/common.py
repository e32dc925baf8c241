"""What every command module shares: the parser class, exits, the database, output.

Command modules import this module and nothing else of `canxie_tui.cli`; the
parser module (`cli.app`) imports them.  Everything heavy (the store, rich,
Textual) is imported inside the functions: `canxie --help` must stay quick.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `canxie … | head`

T = TypeVar("T")

_ARGPARSE_CN = (
    ("the following arguments are required: ", "缺少参数："),
    ("unrecognized arguments: ", "无法识别的参数："),
    ("invalid int value: ", "不是整数："),
    ("expected one argument", "需要一个值"),
    ("expected at least one argument", "至少需要一个值"),
    ("ambiguous option: ", "有歧义的选项："),
    (" could match ", " 可能是 "),
    ("not allowed with argument ", "不能同时使用："),
)
_ARGPARSE_RE = (
    # argparse wraps the choices in ASCII brackets: "(choose from 'A', 'B')"
    (re.compile(r"invalid choice: (.*) \(choose from (.*)\)$"), r"无效的选项：\1（可选：\2）"),
    (re.compile(r"invalid \w+ value: "), "无效的值："),
    (re.compile(r"^argument (\S+): "), r"参数 \1："),
)


class _ChineseHelpFormatter(argparse.HelpFormatter):
    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with its own words (usage, sections, -h, errors) in Chinese."""

    def __init__(
        self,
        prog: str | None = None,
        *,
        add_help: bool = True,
        formatter_class: type[argparse.HelpFormatter] = _ChineseHelpFormatter,
        **kwargs: Any,
    ) -> None:
        parents: Sequence[argparse.ArgumentParser] = kwargs.pop("parents", ())
        super().__init__(prog, add_help=False, formatter_class=formatter_class, **kwargs)
        # Renamed before the parents' options join, so theirs land in the same section.
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出"
            )
        for parent in parents:  # as argparse does with `parents=`
            self._add_container_actions(parent)
            self._defaults.update(parent._defaults)

    def format_help(self) -> str:
        text = super().format_help()  # argparse ends section titles with an ASCII colon
        return text.replace("\n位置参数:\n", "\n位置参数：\n").replace("\n选项:\n", "\n选项：\n")

    def error(self, message: str) -> NoReturn:
        message = self._name_arguments(message)
        for english, chinese in _ARGPARSE_CN:
            message = message.replace(english, chinese)
        for pattern, chinese in _ARGPARSE_RE:
            message = pattern.sub(chinese, message)
        self.exit(
            EXIT_USAGE, f"{self.prog}: 参数错误：{message}\n用 {self.prog} --help 查看用法。\n"
        )

    def _name_arguments(self, message: str) -> str:
        """ "缺少参数：query" names a positional by its Chinese help ("查找内容")."""
        prefix = "the following arguments are required: "
        if not message.startswith(prefix):
            return message
        names = {
            str(action.metavar or action.dest): re.split(r"[（(，,]", action.help)[0]
            for action in self._actions
            if not action.option_strings and action.help and action.help != argparse.SUPPRESS
        }
        missing = message.removeprefix(prefix).split(", ")
        return prefix + "、".join(names.get(name, name) for name in missing)


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


@contextmanager
def usage_errors() -> Iterator[None]:
    """Bad input (InputError) ends the command as a usage error: one line, exit 2."""
    from canxie_tui.domain.errors import InputError

    try:
        yield
    except InputError as err:
        fail(err.message, EXIT_USAGE)


def merge_exit_code(results: Sequence[Any]) -> int:
    """A merge of several files fails only when every file was refused: each file's
    own line (or JSON entry) says what became of it."""
    return EXIT_FAILURE if results and all(r.refused for r in results) else 0


# -- argument types ----------------------------------------------------------------------
# A refused value exits through `fail` rather than argparse's ArgumentTypeError so the
# message reads exactly as before these checks moved into the parser ("错误：…", exit 2).


class Month(NamedTuple):
    year: int
    number: int
    text: str  # as typed: the audit log records it so


def month(text: str) -> Month:
    """`--month`: 2026-11, 2026/11, 202611 or 2026年11月."""
    from canxie_tui.domain.dates import parse_month

    with usage_errors():
        year, number = parse_month(text)
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


# -- output files --------------------------------------------------------------------------
def add_out_options(parser: argparse.ArgumentParser, help_text: str) -> None:
    """`--out PATH` and `--force`, alike in every command that writes a file."""
    parser.add_argument("--out", type=Path, help=help_text)
    parser.add_argument(
        "--force", action="store_true", help="--out 指定的文件已存在时覆盖它（不加则不覆盖）"
    )


def overwrite(args: argparse.Namespace) -> bool:
    """Whether the file written may replace one already there; exits when it may not.

    `--out` names a file that must not exist unless `--force` (a mistyped name must
    not destroy last month's return); a folder's file is checked where its name is
    made (ExportError).  Without `--out` the default name in exports/ is replaced,
    as re-exporting a month always did.
    """
    out: Path | None = args.out
    if out is not None and not args.force and out.is_file():
        from canxie_tui.excel.files import exists_message

        fail(exists_message(out))
    return bool(args.force) or out is None


# -- the database ------------------------------------------------------------------------
def db_path(args: argparse.Namespace) -> Path:
    """--db, else $CANXIE_DB, else data/canxie.db."""
    return args.db if args.db else config.db_path()


@contextmanager
def opened_store(args: argparse.Namespace, *, create: bool = False) -> Iterator[Store]:
    """The database of `args`, closed however the command ends (also by `fail`)."""
    # Looked up when called: tests replace session.open_store to fix the clock.
    from canxie_tui.store import session

    store = session.open_store(db_path(args), create=create, daily_backup=False)
    if store.backup_pending:  # made once the command has answered (`backups_after_answer`)
        _after_answer.append(store)
    if session.keys_outdated(store) and store.path not in _reindex_after:
        _reindex_after.append(store.path)  # too large to re-index before answering
    try:
        yield store
    finally:
        store.close()


# Databases whose first open of the day's backup is still to be made, and those whose
# search keys an earlier version made (a district's, too large to re-index at open).
_after_answer: list[Store] = []
_reindex_after: list[Path] = []


def backups_after_answer() -> None:
    """Make today's backups of the databases the command opened, after its answer is
    out (`cli.app.main` calls this last); each reads only the store's path and clock.

    Each runs in a daemon thread the main thread waits for, so that Ctrl+C skips it
    (nothing half-made is kept) and a long one is said (`wait_saying`)."""
    from canxie_tui.store import session

    while _after_answer:
        thread = session.start_pending_backup(_after_answer.pop(), daemon=True)
        if thread is not None:
            wait_saying(thread, BACKUP_NOTICE)
    while _reindex_after:
        _reindex(_reindex_after.pop())


REINDEX_LABEL = "正在更新查找索引（本版本的拼音规则，只做一次）"


def _reindex(path: Path) -> None:
    """Re-index a database the app never opened (a district run from scripts), in
    steps, with a bar; a refusal is said in one line and the next command tries again."""
    import sqlite3

    from canxie_tui.domain.errors import CanxieError
    from canxie_tui.store import session
    from canxie_tui.store.errors import explain

    try:
        store = session.open_store(path, create=False, daily_backup=False)
        try:
            with progress_bar(REINDEX_LABEL) as report:
                session.reindex_in_steps(
                    store, lambda done, total: report(REINDEX_LABEL, done, total)
                )
        finally:
            store.close()
    except (sqlite3.Error, CanxieError) as err:
        said = err.message if isinstance(err, CanxieError) else explain(err) or str(err)
        print(f"查找索引未能更新（{said}），下次运行时再试。", file=sys.stderr)


BACKUP_NOTICE = "正在完成今天的数据库备份，请稍候（数据多时要几秒）…"
NOTICE_AFTER_S = 0.3  # shorter waits pass unsaid


def wait_saying(thread: threading.Thread, notice: str) -> None:
    """Wait for `thread`; when it takes more than a moment, say why on a terminal's
    stderr, so that a command or the app that has answered does not seem to hang."""
    thread.join(NOTICE_AFTER_S)
    if thread.is_alive() and sys.stderr.isatty():
        print(notice, file=sys.stderr, flush=True)
    while thread.is_alive():
        thread.join(0.1)  # in steps: Ctrl+C is felt between them


def run_tui(path: Path) -> int:
    # No cyclic garbage collection until the first paint (the app turns it back on):
    # the start-up makes many objects and little garbage, and the collections it would
    # trigger cost about 15 ms of the first paint.
    gc.disable()
    from canxie_tui.ui.app import CanxieApp

    try:
        app = CanxieApp(db_path=path, started=STARTED)
        app.run()
    finally:
        gc.enable()  # the app turns it on at its first paint; not if it never painted
    if app.backup_thread is not None:  # today's backup, started once the figures showed
        wait_saying(app.backup_thread, BACKUP_NOTICE)
    return app.return_code or 0


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


def _console_class() -> type[Any]:
    from rich.console import Console

    class QuietConsole(Console):
        def on_broken_pipe(self) -> None:
            # rich would exit 1 here; `main` ends every closed pipe the same way
            raise BrokenPipeError

    return QuietConsole


# A run of ASCII (a number, phone, ID, date, "A"): never split across lines.
_TOKEN = re.compile(r"[!-~]+|\s+|.")
_BORDERS = 3  # "│ " before a cell and " " after it; one more "│" closes the row


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text) if t not in ("\r",)]


def _wrap(text: str, width: int) -> str:
    """`text` folded to `width` cells between tokens: a number is never cut."""
    from rich.cells import cell_len

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _tokens(paragraph):
            if line and cell_len(line + token) > width:
                lines.append(line.rstrip())
                line = "" if token.isspace() else token
            else:
                line += token
        lines.append(line.rstrip())
    return "\n".join(lines)


def _widths(cells: list[list[str]], room: int | None) -> list[int]:
    """Each column's width: whole lines if they fit in `room` (None: no limit), else the
    widest columns folded, but never narrower than their longest number or word."""
    from rich.cells import cell_len

    columns = list(zip(*cells, strict=True))
    natural = [max(cell_len(line) for c in col for line in c.split("\n")) for col in columns]
    least = [
        max((cell_len(t) for c in col for t in _tokens(c) if not t.isspace()), default=1)
        for col in columns
    ]
    widths = list(natural)
    if room is None:
        return widths
    while sum(widths) > room:
        shrinkable = [i for i, w in enumerate(widths) if w > least[i]]
        if not shrinkable:
            break  # a row wider than the screen: the terminal wraps it, nothing is cut
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A boxed table. On a terminal long cells fold to fit the screen, between words and
    never inside a number; piped or redirected, every row is printed whole."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cells = [list(headers)] + [[str(cell) for cell in row] for row in rows]
    probe = Console()
    room = probe.width - _BORDERS * len(headers) - 1 if probe.is_terminal else None
    widths = _widths(cells, room)
    table = Table(title=title)
    for header, width in zip(headers, widths, strict=True):
        table.add_column(_wrap(header, width), width=width, no_wrap=True, overflow="ignore")
    for row in cells[1:]:
        table.add_row(*(Text(_wrap(cell, w)) for cell, w in zip(row, widths, strict=True)))
    needed = sum(widths) + _BORDERS * len(widths) + 1
    width = max(needed, probe.width) if probe.is_terminal else needed
    _console_class()(width=width).print(table)


def close_stdout_quietly() -> int:
    """After BrokenPipeError (`canxie … | head`): point stdout at devnull so Python's own
    flush at exit cannot fail again, as the Python docs on SIGPIPE advise."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (a test's capture): nothing left to flush
    return EXIT_BROKEN_PIPE


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
