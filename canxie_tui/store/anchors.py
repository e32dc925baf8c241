"""Anchors: the audit chain's head kept outside the database file.

A hash chain shows an edited entry only until someone re-chains every later
hash, which anyone with the file can do.  So the head (the last entry's number
and hash) is written where the file's owner does not rewrite it as a matter of
course, and the chain is compared with it later:

- every backup gets a sidecar `<backup>.head` (JSON: seq, hash), written from
  the copy itself; the copy also holds the whole chain up to that point;
- every monthly return carries the head in `_元数据` (`audit_seq`,
  `audit_hash`), and the district database keeps the heads it received
  (`audit_anchors`, filled by `record_received` when a return is merged).

`check_anchors` compares the local chain with each anchor it can see: an entry
an anchor names that is gone (truncation) or whose hash changed (an entry at
or before it was edited or deleted and the chain re-computed) is reported with
the entry's number; a local backup also gives the first entry that differs.

What this does not do: it cannot tell which of two copies is the true one when
both were rewritten (backups and the district database edited too), and it
cannot see a change made after the newest anchor (until the next backup or
return).  See README ("审计日志与防篡改").
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEAD_SUFFIX = ".head"
RESTORE_ACTION = "从备份恢复"  # store.session.restore_database writes it
META_SEQ = "audit_seq"
META_HASH = "audit_hash"


@dataclass(frozen=True)
class Head:
    """The chain's newest entry: its number (= the entries issued) and hash."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Anchor:
    """A head seen somewhere outside the database, and where."""

    source: str  # in Chinese: 备份“…” / 区里收到的 2026-11 月报
    head: Head
    taken_at: str  # ISO time the head was read (backup taken, return exported)
    backup: Path | None = None  # a backup holds the chain itself: the first difference shows


def chain_head(conn: sqlite3.Connection) -> Head:
    row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return Head(int(row[0]), str(row[1])) if row else Head(0, "")


# -- backups ------------------------------------------------------------------------
def sidecar(backup: Path) -> Path:
    return Path(f"{backup}{HEAD_SUFFIX}")


def write_sidecar(backup: Path) -> None:
    """Write `<backup>.head` from the backup file itself (0600)."""
    conn = sqlite3.connect(f"{backup.absolute().as_uri()}?mode=ro", uri=True)
    try:
        head = chain_head(conn)
    finally:
        conn.close()
    path = sidecar(backup)
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"seq": head.seq, "hash": head.hash}, out)


def read_sidecar(backup: Path) -> Head | None:
    try:
        data = json.loads(sidecar(backup).read_text(encoding="utf-8"))
        return Head(int(data["seq"]), str(data["hash"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


# -- returns, on the district side ----------------------------------------------------
def head_from_meta(meta: Any) -> Head | None:
    """The head a monthly return carries (None: an older return without one)."""
    try:
        seq, digest = int(meta.get(META_SEQ) or 0), str(meta.get(META_HASH) or "")
    except (TypeError, ValueError):
        return None
    return Head(seq, digest) if seq and digest else None


def record_received(
    conn: sqlite3.Connection, site_code: str, month: str, meta: Any, source: str, at: str
) -> None:
    """Keep the head of a return merged into the district database (once per head)."""
    head = head_from_meta(meta)
    if head is None:
        return
    conn.execute(
        "INSERT OR IGNORE INTO audit_anchors (site_code, month, seq, hash, exported_at, source, "
        "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (site_code, month, head.seq, head.hash, str(meta.get("exported_at") or ""), source, at),
    )


def district_anchors(district: Path, site_code: str) -> list[Anchor]:
    """The heads the district database at `district` received from `site_code`."""
    from canxie_tui.store.errors import StoreError

    try:
        conn = sqlite3.connect(f"{district.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise StoreError(f"无法打开区数据库“{district}”：{err}") from err
    try:
        rows = conn.execute(
            "SELECT month, seq, hash, exported_at, source FROM audit_anchors WHERE site_code = ? "
            "ORDER BY seq DESC",
            (site_code,),
        ).fetchall()
    except sqlite3.Error as err:
        raise StoreError(
            f"“{district}”不是记录了月报链头的区数据库（{err}）。请指定合并过本社区月报的区数据库。"
        ) from err
    finally:
        conn.close()
    return [
        Anchor(f"区里收到的 {month} 月报（{source}）", Head(int(seq), str(digest)), exported)
        for month, seq, digest, exported, source in rows
    ]


# -- comparing --------------------------------------------------------------------------
def _first_difference(conn: sqlite3.Connection, backup: Path, upto: int) -> int | None:
    """The first entry number at or before `upto` where the backup's chain and ours differ."""
    try:
        theirs = sqlite3.connect(f"{backup.absolute().as_uri()}?immutable=1", uri=True)
    except sqlite3.Error:
        return None
    try:
        mine = conn.execute("SELECT seq, hash FROM audit_log WHERE seq <= ? ORDER BY seq", (upto,))
        other = theirs.execute(
            "SELECT seq, hash FROM audit_log WHERE seq <= ? ORDER BY seq", (upto,)
        )
        for expected in other:
            got = mine.fetchone()
            if got is None or tuple(got) != tuple(expected):
                return int(expected[0]) if got is None or got[0] >= expected[0] else int(got[0])
    except sqlite3.Error:
        return None
    finally:
        theirs.close()
    return None


def check_anchors(conn: sqlite3.Connection, anchors: Iterable[Anchor]) -> list[str]:
    """Problems of the local chain against `anchors`, in Chinese; empty when all agree.

    One line per anchor that disagrees, oldest first (the earliest one bounds
    where the rewrite began).
    """
    problems: list[str] = []
    last = chain_head(conn).seq
    # A restore winds the chain back on purpose: heads read before it are history.
    restored = conn.execute(
        "SELECT max(at) FROM audit_log WHERE action = ? AND table_name = 'database'",
        (RESTORE_ACTION,),
    ).fetchone()[0]
    current = [a for a in anchors if not restored or a.taken_at > restored]
    for anchor in sorted(current, key=lambda a: a.head.seq):
        seq = anchor.head.seq
        row = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
        if row is not None and row[0] == anchor.head.hash:
            continue
        first = _first_difference(conn, anchor.backup, seq) if anchor.backup else None
        if row is None and last < seq and (first is None or first > last):
            problems.append(
                f"审计日志被截断：{anchor.source}时已有第{seq}条，本库现在只到第{last}条"
                f"（第{last + 1}至{seq}条被删除）"
            )
            continue
        where = f"第{seq}条或之前" if first is None else f"从第{first}条起"
        what = "缺失" if row is None else "与链头不符"
        problems.append(
            f"审计日志{where}被改写：{anchor.source}记录的第{seq}条在本库中{what}"
            "（条目被修改或删除后重新计算了哈希链）"
        )
    return problems
