"""What every command shares (`canxie_tui.cli.common`), and the shape of the package.

Argument types refuse bad values with one Chinese line and exit 2; a table and
its `--json` carry the same rows; the database is closed however a command
ends; every command's `--help` is Chinese; `canxie --help` stays light.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from canxie_tui.cli import common
from canxie_tui.cli.app import build_parser
from canxie_tui.store import session
from canxie_tui.store.connection import Store
from tests.e2e.conftest import run

REPO_ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _exit(call: Callable[[], object]) -> int:
    with pytest.raises(SystemExit) as exit_:
        call()
    return int(exit_.value.code or 0)


# -- argument types ---------------------------------------------------------------------


def test_month_refuses_month_13_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit(lambda: common.month("2026-13")) == 2
    assert capsys.readouterr().err == "错误：月份“2026-13”不对：月应在 1–12 之间\n"


def test_month_reads_the_forms_people_type() -> None:
    assert common.month("2026年3月") == (2026, 3, "2026年3月")
    assert common.month("2026-11")[:2] == (2026, 11)


def test_month_is_checked_before_the_database_is_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    code, out, err = run(capsys, "--db", str(missing), "daycare", "stats", "--month", "2026-13")
    assert (code, out) == (2, "")
    assert err.startswith("错误：") and "月应在 1–12 之间" in err
    assert not missing.exists()


def test_positive_int_refuses_zero(capsys: pytest.CaptureFixture[str]) -> None:
    convert = common.positive_int("--limit")
    assert convert("3") == 3
    assert _exit(lambda: convert("0")) == 2
    assert capsys.readouterr().err == "错误：--limit 须为正整数\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "王", "--limit", "0"], "--limit 须为正整数"),
        (["search", "王", "--limit", "-5"], "--limit 须为正整数"),
        (["search", "王", "--limit", "abc"], "不是整数：'abc'"),
        (["visits", "due", "--limit", "0"], "--limit 须为正整数"),
        (["audit", "show", "--limit", "0"], "--limit 须为正整数"),
        (["emergency", "list", "--limit", "0"], "--limit 须为正整数"),
    ],
)
def test_limits_refuse_non_positive_numbers(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--db", str(db), *argv)
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err


# -- rows as a table or as JSON -------------------------------------------------------------

ROWS = [
    {"name": "王芳", "age": 87, "place": "3栋1单元201"},
    {"name": "李强", "age": None, "place": "13栋2单元301"},
]


def _print(as_json: bool, rows: list[dict[str, Any]]) -> None:
    common.print_rows(
        rows,
        as_json=as_json,
        to_json=dict,
        envelope={"total": len(rows)},
        title="名单",
        headers=("姓名", "年龄", "楼栋"),
        cells=lambda r: (r["name"], "" if r["age"] is None else r["age"], r["place"]),
        empty="没有人。",
    )


def _table_rows(text: str) -> list[list[str]]:
    """The body rows of a rich table, cell by cell (header rows use ┃, body rows │)."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in text.splitlines()
        if line.startswith("│")
    ]


def test_table_and_json_print_the_same_rows(capsys: pytest.CaptureFixture[str]) -> None:
    _print(True, ROWS)
    data = json.loads(capsys.readouterr().out)
    assert data == {"total": 2, "results": ROWS}
    _print(False, ROWS)
    table = capsys.readouterr().out
    assert "名单" in table and "姓名" in table
    expected = [
        [r["name"], "" if r["age"] is None else str(r["age"]), r["place"]] for r in data["results"]
    ]
    assert _table_rows(table) == expected


def test_no_rows(capsys: pytest.CaptureFixture[str]) -> None:
    _print(False, [])
    assert capsys.readouterr().out == "没有人。\n"
    _print(True, [])
    assert json.loads(capsys.readouterr().out) == {"total": 0, "results": []}


# -- the database is closed however the command ends ------------------------------------


def _is_closed(store: Store) -> bool:
    try:
        store.db.conn.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


def test_opened_store_closes_when_the_command_fails(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(db=db)
    seen: list[Store] = []

    def failing() -> None:
        with common.opened_store(args) as store:
            seen.append(store)
            common.fail("出错了")

    assert _exit(failing) == 1
    assert capsys.readouterr().err == "错误：出错了\n"
    [store] = seen
    assert _is_closed(store)
    with pytest.raises(RuntimeError), common.opened_store(args) as store:
        seen.append(store)
        raise RuntimeError
    assert _is_closed(seen[-1])


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Store]]:
    """Every store the command opens (through the suite's fixed-clock open_store)."""
    stores: list[Store] = []
    original = session.open_store

    def recording(*args: Any, **kwargs: Any) -> Store:
        store = original(*args, **kwargs)
        stores.append(store)
        return store

    monkeypatch.setattr(session, "open_store", recording)
    yield stores


@pytest.mark.parametrize(
    ("argv", "exit_code"),
    [
        (["search", "王"], 0),
        (["search", "王", "--json"], 0),
        (["visits", "due"], 0),
        (["indicators", "--json"], 0),
        (["certificates", "--json"], 0),
        (["certificates", "--full-ids"], 0),
        (["daycare", "stats", "--json"], 0),
        (["audit", "verify"], 0),
        (["emergency", "events"], 0),
        (["audit", "show", "--record", "no-such-record"], 1),
        (["emergency", "list"], 1),
        (["emergency", "report"], 1),
        (["export", "monthly", "--month", "2999-01"], 2),
    ],
)
def test_every_command_closes_its_database(
    db: Path,
    capsys: pytest.CaptureFixture[str],
    opened: list[Store],
    argv: list[str],
    exit_code: int,
) -> None:
    code, _, err = run(capsys, "--db", str(db), *argv)
    assert code == exit_code, err
    assert opened and all(_is_closed(s) for s in opened)


def test_database_closed_after_an_unexpected_error(
    db: Path,
    capsys: pytest.CaptureFixture[str],
    opened: list[Store],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from canxie_tui.store import search

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(search, "search", broken)
    code, _, err = run(capsys, "--db", str(db), "search", "王")
    assert code == 1 and "程序内部错误" in err
    assert opened and all(_is_closed(s) for s in opened)


def test_backup_refusing_to_overwrite_closes_the_database(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], opened: list[Store]
) -> None:
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"")
    code, _, err = run(capsys, "--db", str(db), "backup", "--out", str(taken))
    assert code == 1 and "已存在" in err
    assert all(_is_closed(s) for s in opened)  # refused before the database is opened at all


# -- the environment (canxie_tui.config) ------------------------------------------------------


def test_database_from_canxie_db(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANXIE_DB", str(db))
    code, out, _ = run(capsys, "search", "王芳", "--json")
    assert code == 0 and json.loads(out)["results"][0]["name"] == "王芳"


def test_canxie_debug_lets_the_traceback_through(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from canxie_tui.store import search

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(search, "search", broken)
    monkeypatch.setenv("CANXIE_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        run(capsys, "--db", str(db), "search", "王")


def test_config_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    from canxie_tui import config

    for name in ("CANXIE_DB", "CANXIE_EXPORTS", "CANXIE_EXPORT_PASSWORD", "CANXIE_DEBUG"):
        monkeypatch.setenv(name, "")  # empty counts as unset
    assert config.db_path() == Path("data/canxie.db")
    assert config.exports_dir() == Path("exports")
    assert (config.export_password(), config.debug()) == ("", False)


# -- --help -------------------------------------------------------------------------------

COMMANDS = [
    (),
    ("init",),
    ("site",),
    ("site", "key"),
    ("site", "recode"),
    ("demo",),
    ("search",),
    ("visits",),
    ("visits", "due"),
    ("indicators",),
    ("certificates",),
    ("subsidy",),
    ("subsidy", "check"),
    ("subsidy", "roster"),
    ("subsidy", "changes"),
    ("daycare",),
    ("daycare", "stats"),
    ("emergency",),
    ("emergency", "list"),
    ("emergency", "events"),
    ("emergency", "sheet"),
    ("emergency", "report"),
    ("backup",),
    ("restore",),
    ("doctor",),
    ("audit",),
    ("audit", "verify"),
    ("audit", "show"),
    ("export",),
    ("export", "monthly"),
    ("import",),
    ("import", "roster"),
    ("district",),
    ("district", "merge"),
    ("district", "report"),
    ("district", "conflicts"),
    ("district", "resolve"),
    ("district", "key"),
    ("district", "recodes"),
    ("survey",),
    ("survey", "start"),
    ("survey", "progress"),
    ("survey", "left"),
    ("survey", "sheet"),
    ("survey", "export"),
    ("survey", "close"),
    ("survey", "merge"),
]


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in _subcommands(parser).items():
        found += _walk(sub, (*path, name))
    return found


def test_the_help_tests_cover_every_command() -> None:
    assert _walk(build_parser()) == COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "canxie")
def test_help_is_chinese(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for name in path:
        parser = _subcommands(parser)[name]
    code, out, err = run(capsys, *path, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"用法：{' '.join(('canxie', *path))} ")
    # argparse's own English words are Chinese too ("usage:", "options:", -h's help)
    for english in ("usage", "positional arguments", "options:", "show this help"):
        assert english not in out, english
    assert "-h, --help" in out and "显示本帮助并退出" in out
    flat = "".join(out.split())  # argparse wraps long lines
    texts = [
        action.help
        for action in parser._actions
        if action.help and not isinstance(action, argparse._HelpAction)
    ]
    texts += [choice.help for choice in _choice_actions(parser) if choice.help]
    assert texts
    for text in texts:
        assert CJK.search(text), text
        assert "".join(text.split()) in flat, text


def _choice_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action._choices_actions)
    return []


# -- the package ----------------------------------------------------------------------------


def _modules_after(code: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
    )
    return list(json.loads(result.stdout.splitlines()[-1]))


def test_help_loads_nothing_heavy() -> None:
    loaded = _modules_after(
        "from canxie_tui.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert "canxie_tui.cli.app" in loaded  # the probe really built the parser
    heavy = ("openpyxl", "textual", "sqlite_utils", "pypinyin", "rich", "msoffcrypto")
    assert [m for m in loaded if m.split(".")[0] in heavy] == []
    assert [m for m in loaded if m.startswith(("canxie_tui.store", "canxie_tui.excel"))] == []


def test_command_modules_do_not_import_the_parser() -> None:
    import pkgutil

    import canxie_tui.cli

    groups = [
        f"canxie_tui.cli.{m.name}"
        for m in pkgutil.iter_modules(canxie_tui.cli.__path__)
        if m.name not in ("app", "common")
    ]
    assert len(groups) == 14  # site.py (init, site key|recode), subsidy.py, survey.py added
    loaded = _modules_after("\n".join(f"import {name}" for name in groups))
    assert "canxie_tui.cli.app" not in loaded


def test_config_imports_nothing_from_the_project() -> None:
    loaded = _modules_after("import canxie_tui.config")
    assert [m for m in loaded if m.startswith("canxie_tui")] == ["canxie_tui", "canxie_tui.config"]


def test_opening_the_app_skips_the_commands_parser() -> None:
    """`canxie` and `canxie --db FILE` open the TUI without building every command's
    parser (issue 17: 45 ms of each cold start); anything else goes to the parser,
    with its checks and Chinese messages."""
    from canxie_tui.cli.app import _tui_only

    assert _tui_only([]) == argparse.Namespace(db=None)
    assert _tui_only(["--db", "区.db"]) == argparse.Namespace(db=Path("区.db"))
    assert _tui_only(["--db=区.db"]) == argparse.Namespace(db=Path("区.db"))
    for other in (["--db", ""], ["--db", "--help"], ["--db"], ["--db="], ["search", "王"]):
        assert _tui_only(other) is None, other
    loaded = _modules_after("import canxie_tui.cli.app")
    assert [m for m in loaded if m.startswith("canxie_tui.cli.") and m.count(".") == 2] == [
        "canxie_tui.cli.app",
        "canxie_tui.cli.common",
    ]
