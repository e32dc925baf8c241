"""Nothing personal left behind (issue 16, items 3, 4, 5 and 10).

- an encrypted export never has its plaintext under the final name, even when
  the encryption fails half-way;
- every temporary file lives in the private folder beside the database, never
  in the system's shared temporary folder, and what a killed run left is
  removed by the next start and reported by `canxie doctor`;
- an export with full ID numbers is in the audit log before anything is written;
- `--out` never replaces an existing file without `--force`.
"""

from __future__ import annotations

import os
import stat
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from canxie_tui.excel.errors import ExportError
from canxie_tui.excel.monthly_return import export_monthly
from canxie_tui.excel.return_run import FULL_IDS_STARTED
from canxie_tui.store import health, scratch, session
from canxie_tui.store.connection import Store
from tests.conftest import Clock, Make, build_month, open_store
from tests.e2e.conftest import run

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted workbook is an OLE file


@pytest.fixture
def month_db(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "canxie.db"
    path.parent.mkdir()
    store = open_store(path, clock=Clock(datetime(2024, 3, 31, 17, 0)))
    build_month(store, Make(store), 2024, 3)
    store.close()
    return path


@pytest.fixture
def system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder, watched: nothing of ours may land there."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _export(db: Path, out: Path, **kwargs: object) -> Path:
    store = session.open_store(db, create=False, clock=lambda: datetime(2024, 3, 31, 17, 0))
    try:
        return export_monthly(store, 2024, 3, out=out, **kwargs)  # type: ignore[arg-type]
    finally:
        store.close()


def test_rows_stream_to_the_private_folder_not_the_system_one(
    month_db: Path, tmp_path: Path, system_temp: Path
) -> None:
    seen: list[tuple[list[str], list[Path]]] = []
    private = scratch.root(month_db)

    def progress(label: str, done: int, total: int) -> None:
        mine = [p for p in private.rglob("*") if p.is_file()] if private.exists() else []
        seen.append((sorted(os.listdir(system_temp)), mine))

    _export(month_db, tmp_path / "out.xlsx", progress=progress)

    assert all(system == [] for system, _ in seen), "openpyxl wrote to the system temp folder"
    streams = {p.name for _, mine in seen for p in mine}
    assert any(name.startswith("openpyxl.") for name in streams), streams
    assert not private.exists()  # gone once the export is over


def test_the_private_folder_is_the_owners_only(month_db: Path) -> None:
    folder = scratch.private_dir(month_db)
    try:
        for level in (folder, folder.parent):
            assert stat.S_IMODE(level.stat().st_mode) == 0o700
    finally:
        scratch.release(folder / "none")


def test_a_failed_encryption_leaves_no_plaintext_anywhere(
    month_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    def broken(self: object, password: str, out: object) -> None:
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(OOXMLFile, "encrypt", broken)
    exports = tmp_path / "exports"
    exports.mkdir()

    with pytest.raises(ExportError):
        _export(month_db, exports / "out.xlsx", password="jb-2024-ok")

    assert list(exports.iterdir()) == []
    assert not scratch.root(month_db).exists()


def test_an_encrypted_export_is_encrypted_under_its_name(month_db: Path, tmp_path: Path) -> None:
    out = _export(month_db, tmp_path / "out.xlsx", password="jb-2024-ok")
    assert out.read_bytes()[:8] == OLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.xlsx"]


def _actions(db: Path) -> list[str]:
    store = session.open_store(db, create=False)
    try:
        return [r["action"] for r in store.query("SELECT action FROM audit_log ORDER BY seq")]
    finally:
        store.close()


def test_full_ids_are_audited_before_the_file_is_written(month_db: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")  # the folder to write in cannot be made: the export fails at the end
    with pytest.raises(ExportError):
        _export(month_db, blocked / "out.xlsx", full_ids=True)
    assert _actions(month_db)[-1] == FULL_IDS_STARTED


@pytest.mark.parametrize(
    ("command", "action"),
    [
        (("subsidy", "roster", "--month", "2026-01"), "导出两项补贴发放名册（显示完整身份证号）"),
        (("survey", "export"), "导出调查结果（显示完整身份证号）"),
    ],
)
def test_other_full_id_exports_are_audited_first_too(
    month_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
    action: str,
) -> None:
    if command[0] == "survey":
        assert run(capsys, "--db", str(month_db), "survey", "start", "--year", "2026")[0] == 0
    out = tmp_path / "out.xlsx"
    code, _, err = run(capsys, "--db", str(month_db), *command, "--out", str(out), "--full-ids")
    assert code == 0, err
    assert _actions(month_db)[-2:] == [FULL_IDS_STARTED, action]


def test_full_ids_entry_comes_before_the_export_s(month_db: Path, tmp_path: Path) -> None:
    _export(month_db, tmp_path / "out.xlsx", full_ids=True)
    assert _actions(month_db)[-2:] == [FULL_IDS_STARTED, "导出月报（显示完整身份证号）"]


# -- what a killed run left ------------------------------------------------------------
DEAD_PID = 2**22 + 12345  # above Linux's pid_max default: never a live process


def _plant_leftovers(db: Path) -> tuple[Path, Path]:
    folder = scratch.root(db) / str(DEAD_PID)
    folder.mkdir(parents=True)
    stream = folder / "openpyxl.abc.xml"
    stream.write_text("<c>510211196801265154</c>")
    old_restore = db.with_name(f".{db.name}.restore-{DEAD_PID}.tmp")
    old_restore.write_bytes(b"SQLite format 3\x00")
    return stream, old_restore


def test_the_next_start_removes_what_a_killed_run_left(month_db: Path) -> None:
    stream, old_restore = _plant_leftovers(month_db)

    session.open_store(month_db, create=False).close()

    assert not stream.exists() and not old_restore.exists()
    assert not scratch.root(month_db).exists()


def test_doctor_reports_leftovers(month_db: Path) -> None:
    _plant_leftovers(month_db)

    [found] = [f for f in health.diagnose(month_db) if f.topic == "临时文件"]

    assert "2 项" in found.detail and "已删除" in found.detail
    [again] = [f for f in health.diagnose(month_db) if f.topic == "临时文件"]
    assert again.ok and "没有残留" in again.detail


def test_a_live_process_s_folder_is_left_alone(month_db: Path) -> None:
    folder = scratch.private_dir(month_db)
    (folder / "busy.xml").write_text("x")
    try:
        session.open_store(month_db, create=False).close()
        assert (folder / "busy.xml").exists()
    finally:
        scratch.release(folder / "busy.xml")


# -- --out and --force ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ("export", "monthly", "--month", "2024-03"),
        ("emergency", "sheet", "--kind", "停电"),
        ("subsidy", "roster", "--month", "2026-01"),
        ("subsidy", "changes", "--month", "2026-01"),
    ],
)
def test_out_refuses_an_existing_file_unless_force(
    month_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    out = tmp_path / "上个月.xlsx"
    out.write_bytes(b"last month's return")

    code, _, err = run(capsys, "--db", str(month_db), *command, "--out", str(out))

    assert code == 1 and "已存在" in err and "--force" in err
    assert out.read_bytes() == b"last month's return"
    code, _, err = run(capsys, "--db", str(month_db), *command, "--out", str(out), "--force")
    assert code == 0, err
    assert out.read_bytes()[:2] == b"PK"


def test_survey_files_take_force_too(
    month_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "--db", str(month_db), "survey", "start", "--year", "2026")[0] == 0
    grid = session.open_store(month_db, create=False)
    try:
        name = grid.scalar("SELECT grid FROM households WHERE grid != '' LIMIT 1")
    finally:
        grid.close()
    for command in (("survey", "export"), ("survey", "sheet", "--grid", name)):
        out = tmp_path / "old.xlsx"
        out.write_bytes(b"old")
        code, _, err = run(capsys, "--db", str(month_db), *command, "--out", str(out))
        assert code == 1 and "已存在" in err, (command, err)
        assert out.read_bytes() == b"old"
        code, _, err = run(capsys, "--db", str(month_db), *command, "--out", str(out), "--force")
        assert code == 0, err
        assert out.read_bytes()[:2] == b"PK"


def test_backup_out_takes_force_too(
    month_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "copy.db"
    out.write_bytes(b"old")
    code, _, err = run(capsys, "--db", str(month_db), "backup", "--out", str(out))
    assert code == 1 and "已存在" in err
    code, _, err = run(capsys, "--db", str(month_db), "backup", "--out", str(out), "--force")
    assert code == 0, err


def test_store_fixture_unused(store: Store) -> None:
    """The ordinary fixture database opens with no private folder made beside it."""
    assert not scratch.root(store.path).exists()
