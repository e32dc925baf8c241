"""Two programs on one database: both can write, and neither overwrites the other's edit."""

from __future__ import annotations

import subprocess
import sys
import threading
from itertools import pairwise
from pathlib import Path

import pytest

from canxie_tui.store import records, register, session
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StaleEditError
from tests.conftest import Make, fixed_clock

ROOT = Path(__file__).resolve().parents[2]
PER_WRITER = 60

# Each writer adds households and edits them as fast as it can once told to start.  An
# edit reads the row before writing it: without BEGIN IMMEDIATE that read would pin an
# old snapshot and the write would fail at once with "database is locked".
WRITER = """
import sys
import time
from canxie_tui.store import register
from canxie_tui.store.connection import Store
from canxie_tui.store import session

path, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = session.open_store(path, create=False)
print("ready", flush=True)
sys.stdin.readline()
for n in range(count):
    household = register.add_household(store, {"address": f"{tag}路{n}号"})
    register.update_household(store, household, {"address": household.address, "note": "已核实"})
    time.sleep(0.003)  # a breath between saves, as in real use: SQLite's lock is not fair
store.close()
print("done", flush=True)
"""


def test_two_processes_writing_at_once_both_succeed(db_path: Path, store: Store) -> None:
    store.close()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), tag, str(PER_WRITER)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for tag in ("甲", "乙")
    ]
    try:
        for writer in writers:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
        for writer in writers:  # as close to the same moment as two processes get
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        results = [writer.communicate(timeout=60) for writer in writers]
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err
        assert out.strip() == "done"

    again = session.open_store(db_path, create=False, clock=fixed_clock)
    try:
        for tag in ("甲", "乙"):
            count = again.scalar(
                "SELECT count(*) FROM households WHERE address LIKE ? AND note = '已核实'",
                (f"{tag}%",),
            )
            assert count == PER_WRITER, tag
        # One chain, not two forks: each entry was appended inside its writer's lock.
        assert records.verify_audit_chain(again) == []
        order = [
            r["address"][0]
            for r in again.query(
                "SELECT h.address FROM audit_log a JOIN households h ON h.id = a.record_id "
                "WHERE a.table_name = 'households' AND h.address LIKE '%路%号' ORDER BY a.seq"
            )
        ]
        switches = sum(a != b for a, b in pairwise(order))
        assert switches >= 2, "the writers did not overlap: the test proved nothing"
    finally:
        again.close()


def test_a_write_waits_for_another_connections_transaction(store: Store, make: Make) -> None:
    """BEGIN IMMEDIATE plus the busy timeout: the second writer queues instead of failing.

    The queued transaction reads before it writes (as every edit does).  Had it
    started as a plain deferred BEGIN, its read would pin the old snapshot and its
    write would fail with "database is locked" once the first writer committed.
    """
    other = store.clone()
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with other.transaction():
            records.insert(other, "households", {"address": "北城三路8号"})
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=long_write)
    thread.start()
    try:
        assert holding.wait(5)
        timer = threading.Timer(0.3, release.set)  # let go while the second write waits
        timer.start()
        with store.transaction():  # blocks until the other commits
            seen = store.scalar("SELECT count(*) FROM households")
            records.insert(store, "households", {"address": f"建新东路{seen + 1}号"})
    finally:
        release.set()
        thread.join()
        other.close()
    addresses = {r["address"] for r in store.query("SELECT address FROM households")}
    assert addresses == {"北城三路8号", "建新东路2号"}  # it saw the other's row before writing
    assert records.verify_audit_chain(store) == []


def test_a_stale_edit_is_refused_and_names_what_changed(store: Store, make: Make) -> None:
    wang = make.person(make.household(), "王芳", phone="13812345678")
    other = session.open_store(store.path, create=False, clock=fixed_clock)  # a second app instance
    try:
        seen_here = register.get_person(store, wang.id)
        seen_there = register.get_person(other, wang.id)
        values = {
            "name": "王芳",
            "id_number": wang.id_number,
            "cert_number": wang.cert_number,
            "category": wang.category,
            "level": wang.level,
            "relation": "户主",
        }
        register.update_person(other, seen_there, {**values, "phone": "13900002222"})

        with pytest.raises(StaleEditError) as caught:
            register.update_person(store, seen_here, {**values, "name": "王方"})
    finally:
        other.close()

    assert caught.value.changed_fields == ["phone"]
    assert "（电话）" in caught.value.message and "李明" in caught.value.message
    assert "没有写入" in caught.value.message
    now = register.get_person(store, wang.id)
    assert (now.name, now.phone, now.version) == ("王芳", "13900002222", 2)
