"""`canxie backup / restore / doctor / audit`, and every command against a bad database file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from canxie_tui.domain.ids import make_certificate, make_id
from canxie_tui.store import backup, register, session
from canxie_tui.store.health import size_text
from tests.app.conftest import WANG_FANG_ID, build_register, open_store
from tests.conftest import dump_database, folder_state
from tests.e2e.conftest import run


def _tamper(path: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    """What someone with a SQLite tool could do: drop the guards, then edit the log."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute(sql, params)
    conn.close()


def _person_seq(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(
            conn.execute(
                "SELECT seq FROM audit_log WHERE action = '新增' AND table_name = 'persons' "
                "ORDER BY seq LIMIT 1"
            ).fetchone()[0]
        )
    finally:
        conn.close()


# -- backup ---------------------------------------------------------------------------------


def test_backup_into_the_backups_folder(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", str(db), "backup")

    assert (code, err) == (0, "")
    [manual] = [b for b in backup.list_backups(db) if b.reason == "manual"]
    assert str(manual.path) in out and "已检查可以恢复" in out and "2 户" in out
    assert dump_database(manual.path) == dump_database(db)


def test_backup_to_a_chosen_file_or_folder(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "U盘" / "残协.db"
    code, out, _ = run(capsys, "--db", str(db), "backup", "--out", str(target))
    assert code == 0 and str(target) in out
    assert dump_database(target) == dump_database(db)

    code, out, err = run(capsys, "--db", str(db), "backup", "--out", str(target))
    assert code == 1 and "已存在" in err  # never overwrites

    code, out, _ = run(capsys, "--db", str(db), "backup", "--out", str(target.parent))
    assert code == 0
    assert len(list(target.parent.glob("canxie-*-manual.db"))) == 1


def test_backup_list(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(db), "backup", "--list")
    assert code == 0 and "还没有" in out
    run(capsys, "--db", str(db), "backup")
    code, out, _ = run(capsys, "--db", str(db), "backup", "--list")
    assert code == 0 and "手动" in out and "每日自动" in out and "共 2 份" in out


# -- restore --------------------------------------------------------------------------------


@pytest.fixture
def saved(db: Path) -> Path:
    """A backup of `db`; afterwards a third household is added to `db`."""
    made = backup.backup_file(db, reason="manual")
    store = open_store(db)
    register.add_household(store, {"address": "北城三路9号"})
    store.close()
    return made


def test_restore_without_yes_only_checks(
    db: Path, saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = folder_state(db.parent)

    code, out, err = run(capsys, "--db", str(db), "restore", str(saved))

    assert code == 2
    assert "检查通过" in out and "2 户" in out
    assert "--yes" in out and "未做任何修改" in err
    assert folder_state(db.parent) == before


def test_restore_with_yes(db: Path, saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    current = dump_database(db)

    code, out, err = run(capsys, "--db", str(db), "restore", str(saved), "--yes")

    assert (code, err) == (0, "")
    assert "已用备份" in out and "原数据库已备份到" in out
    [safety] = [b for b in backup.list_backups(db) if b.reason == "before-restore"]
    assert dump_database(safety.path) == current
    store = session.open_store(db, create=False)
    try:
        assert store.scalar("SELECT count(*) FROM households") == 2
        last = store.query("SELECT action, operator_name FROM audit_log ORDER BY seq DESC")[0]
        assert last == {"action": "从备份恢复", "operator_name": "李明"}
    finally:
        store.close()
    code, out, _ = run(capsys, "--db", str(db), "audit", "verify")
    assert code == 0, out


def test_restore_with_yes_reads_the_backup_through_once(
    db: Path, saved: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The integrity check and the audit chain of a (district-sized) backup take long:
    the restore's own check is the one shown, not a second pass before it."""
    checks: list[Path] = []
    real = backup.check_backup

    def counted(path: Path | str, **kwargs: Any) -> backup.BackupCheck:
        checks.append(Path(path))
        return real(path, **kwargs)

    monkeypatch.setattr(backup, "check_backup", counted)
    monkeypatch.setattr(backup.restoring, "check_backup", counted)  # what restore calls
    code, out, _ = run(capsys, "--db", str(db), "restore", str(saved), "--yes")

    assert code == 0
    assert len(checks) == 1
    assert f"已用备份“{saved}”" in out and "2 户" in out


def test_restore_refuses_a_damaged_backup_even_with_yes(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "坏.db"
    data = bytearray(db.read_bytes())
    data[4096 * 2 :] = b"\xee" * (len(data) - 4096 * 2)
    bad.write_bytes(bytes(data))
    before = folder_state(tmp_path)

    code, _, err = run(capsys, "--db", str(db), "restore", str(bad), "--yes")

    assert code == 1 and "已损坏" in err and "Traceback" not in err
    assert folder_state(tmp_path) == before


# -- doctor ---------------------------------------------------------------------------------


def test_doctor_on_a_good_database(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", str(db), "doctor")

    assert (code, err) == (0, "")
    for topic in (
        "数据库文件",
        "结构版本",
        "完整性检查",
        "外键检查",
        "审计日志",
        "备份",
        "备份空间",
        "磁盘空间",
    ):
        assert f"[正常] {topic}" in out, topic
    assert str(db.absolute()) in out
    assert "[问题]" not in out and "一切正常" in out
    assert "下一次备份可能放不下" not in out and "手动备份已超过" not in out


def _doctor_line(out: str, topic: str) -> str:
    [line] = [line for line in out.splitlines() if line[5:].startswith(f"{topic}：")]
    return line


def test_doctor_counts_and_weighs_the_backups(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "--db", str(db), "backup")
    run(capsys, "--db", str(db), "backup")
    found = backup.list_backups(db)
    daily = sum(b.size for b in found if b.reason == "daily")  # the first open today made one
    manual = sum(b.size for b in found if b.reason == "manual")

    code, out, _ = run(capsys, "--db", str(db), "doctor")

    assert code == 0, out
    line = _doctor_line(out, "备份空间")
    assert line.startswith(f"[正常] 备份空间：自动备份 1 份，共 {size_text(daily)}（")
    assert f"手动备份 2 份，共 {size_text(manual)}（不会自动删除）" in line
    assert "上限 2.0 GB" in line and "备份所在磁盘剩余" in line
    topics = [line.split("：")[0][5:] for line in out.splitlines() if line.startswith("[")]
    assert topics.index("备份空间") == topics.index("备份") + 1


def _free_space_in(folder: Path, free: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk the backups folder lives on has `free` bytes left; other disks as they are."""
    real = shutil.disk_usage

    def disk_usage(path: str | os.PathLike[str]) -> Any:
        if Path(path).absolute() == folder.absolute():
            return real(path)._replace(free=free)
        return real(path)

    monkeypatch.setattr(shutil, "disk_usage", disk_usage)


def test_doctor_warns_when_the_next_backup_might_not_fit(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "--db", str(db), "backup")  # the backups folder exists (it may be another disk)
    _free_space_in(backup.backup_dir(db), db.stat().st_size, monkeypatch)

    code, out, err = run(capsys, "--db", str(db), "doctor")

    assert code == 1 and "Traceback" not in out + err
    assert "[问题] 备份空间" in out and "下一次备份可能放不下" in out
    assert "请清理备份文件夹" in out and "把较早的手动备份复制到U盘" in out
    assert "[正常] 磁盘空间" in out  # the database's own disk is fine
    assert "发现 1 个问题" in out


def test_doctor_has_room_when_twice_the_database_is_free(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "--db", str(db), "backup")
    _free_space_in(backup.backup_dir(db), 2 * db.stat().st_size + 4096, monkeypatch)

    code, out, _ = run(capsys, "--db", str(db), "doctor")

    assert code == 0 and "[正常] 备份空间" in out and "放不下" not in out


def test_doctor_warns_when_manual_backups_alone_exceed_the_budget(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "--db", str(db), "backup")
    [first] = [b for b in backup.list_backups(db) if b.reason == "manual"]
    # a budget of one and a half manual copies (the real one is 2 GiB: too big to fill here)
    monkeypatch.setattr(backup.keep, "AUTO_BUDGET_MIN_BYTES", first.size * 3 // 2)
    monkeypatch.setattr(backup.keep, "AUTO_BUDGET_DB_MULTIPLE", 0)
    code, out, _ = run(capsys, "--db", str(db), "doctor")
    assert code == 0 and "手动备份已超过" not in out  # one manual copy fits

    run(capsys, "--db", str(db), "backup")
    code, out, err = run(capsys, "--db", str(db), "doctor")

    assert code == 1 and "Traceback" not in out + err
    assert "[问题] 备份空间" in out and "手动备份 2 份" in out
    assert "手动备份已超过自动备份的上限" in out and "不会被自动删除" in out
    assert "把较早的手动备份复制到U盘或其他电脑保存好" in out
    assert str(backup.backup_dir(db)) in out
    assert "发现 1 个问题" in out
    assert len([b for b in backup.list_backups(db) if b.reason == "manual"]) == 2  # none deleted


def test_doctor_names_the_tampered_audit_entry(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = _person_seq(db)
    _tamper(db, "UPDATE audit_log SET operator_name = '张华' WHERE seq = ?", (seq,))

    code, out, err = run(capsys, "--db", str(db), "doctor")

    assert code == 1 and "Traceback" not in out + err
    assert f"审计日志第{seq}条内容被篡改" in out
    assert "保护触发器被删除" in out
    assert "处理办法" in out and "发现 1 个问题" in out


def test_doctor_finds_broken_references(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE persons SET household_id = 'gone' WHERE name = '单丽'")
    conn.close()

    code, out, _ = run(capsys, "--db", str(db), "doctor")

    assert code == 1 and "[问题] 外键检查" in out and "persons 1 行" in out


def test_doctor_flags_backups_that_cannot_be_made(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup.backup_dir(db).write_text("占位", encoding="utf-8")

    code, out, err = run(capsys, "--db", str(db), "doctor")

    assert code == 1 and "[问题] 备份" in out and "Traceback" not in out + err


# -- audit ----------------------------------------------------------------------------------


def test_audit_verify(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(db), "audit", "verify")
    assert code == 0 and "审计日志完整" in out

    seq = _person_seq(db)
    _tamper(db, "DELETE FROM audit_log WHERE seq = ?", (seq,))
    code, out, err = run(capsys, "--db", str(db), "audit", "verify")
    assert code == 1 and "Traceback" not in out + err
    assert f"审计日志第{seq}至{seq}条缺失（被删除）" in out
    assert f"审计日志第{seq + 1}条与前一条的链接不符" in out


def test_audit_show_history_of_a_record(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store(db)
    [row] = store.query("SELECT id FROM persons WHERE name = '王芳'")
    wang = register.get_person(store, row["id"])
    new_id = make_id("510211", date(1956, 4, 12), 84)
    register.update_person(
        store,
        wang,
        {
            "name": "王芳",
            "id_number": new_id,
            "cert_number": make_certificate(new_id, 4, 2),
            "category": 4,
            "level": 2,
            "relation": "户主",
            "phone": "13900002222",
            "benefits": ["care_subsidy"],
        },
    )
    store.close()

    code, out, _ = run(capsys, "--db", str(db), "audit", "show", "--record", wang.id, "--json")

    assert code == 0
    entries = json.loads(out)["entries"]
    assert [e["action"] for e in entries] == ["新增", "修改"]
    changes = entries[1]["changes"]
    assert changes["phone"] == {"before": "13812345678", "after": "13900002222"}
    assert changes["id_number"]["after"] == f"{new_id[:6]}********{new_id[-4:]}"
    assert new_id not in out and WANG_FANG_ID not in out  # masked everywhere

    code, out, _ = run(capsys, "--db", str(db), "audit", "show", "--record", wang.id[:8])
    assert code == 0 and f"记录 {wang.id[:8]} 的历史：最近 2 条" in out

    code, out, _ = run(capsys, "--db", str(db), "audit", "show", "--limit", "3")
    assert code == 0 and "最近 3 条" in out


def test_audit_show_refuses_unknown_record_and_bad_limit(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--db", str(db), "audit", "show", "--record", "no-such-record")
    assert code == 1 and "没有记录" in err
    code, _, err = run(capsys, "--db", str(db), "audit", "show", "--limit", "0")
    assert code == 2 and "--limit" in err


# -- every command against a file that is not a usable database -----------------------------

COMMANDS = [
    ("search", "王"),
    ("visits", "due"),
    ("indicators",),
    ("certificates",),
    ("daycare", "stats"),
    ("backup",),
    ("doctor",),
    ("audit", "verify"),
    ("audit", "show"),
]


def _newer(path: Path) -> None:
    build_register(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('canxie', '9999_from_the_future', '2027-01-01')"
    )
    conn.close()


def _make_read_only(path: Path) -> Callable[[], None]:
    """Make `path` unwritable for this process; returns the undo.

    As root a mode of 0400 does not stop writes, so the file is made immutable
    (chattr +i), which binds root too.  Where that is unavailable the test skips.
    """
    build_register(path).close()
    if sys.platform == "win32" or os.geteuid() != 0:
        os.chmod(path, 0o400)
        return lambda: os.chmod(path, 0o600)
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0 or os.access(path, os.W_OK):
        pytest.skip(
            "running as root, where chmod 0400 does not stop writes, and chattr +i "
            f"is not available here ({done.stderr.decode(errors='replace').strip()})"
        )

    def undo() -> None:
        subprocess.run(["chattr", "-i", str(path)], check=False)

    return undo


@pytest.fixture
def bad_file(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    path = tmp_path / "canxie.db"
    kind = request.param
    undo: Callable[[], None] | None = None
    if kind == "missing":
        expected = "找不到数据库文件"
    elif kind == "folder":
        path.mkdir()
        expected = "是一个文件夹"
    elif kind == "not-sqlite":
        path.write_text("姓名,身份证号\n王芳,500105196805120038\n", encoding="utf-8")
        expected = "不是 SQLite 格式"
    elif kind == "read-only":
        undo = _make_read_only(path)
        expected = "只读"
    else:
        _newer(path)
        expected = "更新版本"
    try:
        yield path, expected
    finally:
        if undo is not None:
            undo()


@pytest.mark.parametrize(
    "bad_file",
    ["missing", "folder", "not-sqlite", "read-only", "newer-version"],
    indirect=True,
)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c))
def test_every_command_refuses_an_unusable_database(
    bad_file: tuple[Path, str], command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    path, expected = bad_file
    folder = path.parent
    before = folder_state(folder)

    code, out, err = run(capsys, "--db", str(path), *command)

    assert code != 0
    assert "Traceback" not in out + err
    said = err if command != ("doctor",) else out
    assert expected in said, said
    assert said.startswith("错误：") or "[问题]" in said
    assert folder_state(folder) == before  # the file unchanged, nothing created beside it
    assert path.exists() == (expected != "找不到数据库文件")
