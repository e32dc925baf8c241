"""Bad input and a hostile machine give one Chinese line each (issue 16, item 12).

A full disk, a NUL in a search, bytes that are not UTF-8 in an argument, a device
or a pipe given as the database or the output: one line on stderr, no traceback,
nothing created.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from canxie_tui.domain.search_keys import normalize_query
from canxie_tui.store import session
from canxie_tui.store.errors import explain
from canxie_tui.store.search import search
from tests.e2e.conftest import run


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("错误：")
    return lines[0]


def test_a_nul_in_a_search_is_a_space(db: Path) -> None:
    assert normalize_query("王\x00芳") == "王 芳"
    store = session.open_store(db, create=False)
    try:
        for query in ("王芳\x00abc", "abc\x00", "\x00\x00\x00", "a\x00b"):
            search(store, query)  # no "unterminated string"
    finally:
        store.close()


@pytest.mark.parametrize(
    "argv",
    [
        ("search", "王\udcff芳"),
        ("export", "monthly", "--month", "2026-11", "--out", "月报\udce9.xlsx"),
    ],
)
def test_bytes_that_are_not_utf8_in_an_argument(
    db: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    before = sorted(os.listdir(db.parent))

    code, out, err = run(capsys, "--db", str(db), *argv)

    assert code == 2 and out == ""
    assert "UTF-8" in _one_line(err)
    assert sorted(os.listdir(db.parent)) == before


@pytest.mark.skipif(sys.platform == "win32", reason="no /dev/null or FIFOs")
def test_a_device_or_a_pipe_is_not_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    journal_existed = Path("/dev/null-journal").exists()
    for path in ("/dev/null", str(fifo)):
        code, _, err = run(capsys, "--db", path, "visits", "due")
        assert code == 1 and "不是普通文件" in _one_line(err)
    assert Path("/dev/null-journal").exists() == journal_existed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.db"]


@pytest.mark.skipif(sys.platform == "win32", reason="no /dev/null")
def test_a_device_is_not_an_output_file(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "--db", str(db), "export", "monthly", "--month", "2026-11", "--out", "/dev/null"
    )
    assert code in (1, 2)
    line = _one_line(err)
    assert "不是普通文件" in line or "应以 .xlsx 结尾" in line
    assert Path("/dev/null").exists() and not Path("/dev/null").is_file()


def test_a_full_disk_while_writing_a_workbook(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl.workbook.workbook import Workbook

    def full(self: object, filename: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(filename))

    monkeypatch.setattr(Workbook, "save", full)
    out = tmp_path / "out.xlsx"

    code, _, err = run(
        capsys, "--db", str(db), "export", "monthly", "--month", "2026-11", "--out", str(out)
    )

    assert code == 1 and "磁盘空间已满" in _one_line(err)
    assert not out.exists()


def test_a_full_disk_said_by_sqlite_is_explained() -> None:
    said = explain(sqlite3.OperationalError("database or disk is full"))
    assert said is not None and "磁盘空间已满" in said
    said = explain(OSError(errno.ENOSPC, "No space left on device", "/media/u/x.xlsx"))
    assert said is not None and "/media/u/x.xlsx" in said


def test_errors_python_can_only_report_stay_quiet(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, "--db", str(db), "visits", "due")
    assert code == 0
    assert sys.unraisablehook is not sys.__unraisablehook__  # set by main: no traceback at exit
