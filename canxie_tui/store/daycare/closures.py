"""The centre calendar: the days it is closed, and why."""

from __future__ import annotations

from datetime import date, timedelta

from canxie_tui.domain.errors import InputError
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.daycare.rows import _day


def closed_days(store: Store, start: date, end: date) -> dict[date, str]:
    """Days the centre is closed in [start, end], with the reason."""
    rows = store.db.conn.execute(
        "SELECT day, reason FROM daycare_closures WHERE day BETWEEN ? AND ? ORDER BY day",
        (start.isoformat(), end.isoformat()),
    )
    return {date.fromisoformat(day): reason for day, reason in rows}


def closure_reason(store: Store, day: date) -> str | None:
    """Why the centre is closed on `day`, or None when it is open."""
    return closed_days(store, day, day).get(day)


def set_closed(
    store: Store, day: date | str, reason: str = "", *, until: date | str | None = None
) -> int:
    """Close the centre on `day` (through `until`, inclusive); returns days newly closed.

    Refused for a day with attendance already recorded: nobody can be absent,
    or present, on a closed day.
    """
    first = _day(day, store, "闭馆日期", "day")
    last = _day(until, store, "闭馆截止日期", "until") if until is not None else first
    if last < first:
        raise InputError("闭馆截止日期不能早于开始日期", "until")
    if (last - first).days > 366:
        raise InputError("一次最多设置一年的闭馆日期", "until")
    reason = reason.strip() or "闭馆"
    added = 0
    with store.transaction():
        marked = store.query(
            "SELECT day, count(*) AS n FROM attendance WHERE day BETWEEN ? AND ? "
            "GROUP BY day ORDER BY day LIMIT 1",
            (first.isoformat(), last.isoformat()),
        )
        if marked:
            raise InputError(
                f"{marked[0]['day']}已有{marked[0]['n']}条考勤记录，不能设为闭馆；"
                "请先撤销这些考勤记录",
                "day",
            )
        existing = {
            r["day"]: r
            for r in store.query(
                "SELECT id, day, reason, version FROM daycare_closures WHERE day BETWEEN ? AND ?",
                (first.isoformat(), last.isoformat()),
            )
        }
        current = first
        while current <= last:
            row = existing.get(current.isoformat())
            if row is None:
                records.insert(
                    store,
                    "daycare_closures",
                    {"day": current.isoformat(), "reason": reason},
                    action="设置闭馆",
                )
                added += 1
            elif row["reason"] != reason:
                records.update(
                    store,
                    "daycare_closures",
                    row["id"],
                    {"reason": reason},
                    expected_version=row["version"],
                    action="修改闭馆原因",
                )
            current += timedelta(days=1)
    return added


def reopen(store: Store, day: date | str) -> bool:
    """Undo a closure (audited); False when the centre was not closed that day."""
    on = _day(day, store, "日期", "day")
    with store.transaction():
        rows = store.query("SELECT * FROM daycare_closures WHERE day = ?", (on.isoformat(),))
        if not rows:
            return False
        store.db.conn.execute("DELETE FROM daycare_closures WHERE id = ?", (rows[0]["id"],))
        records.write_audit(store, "取消闭馆", "daycare_closures", rows[0]["id"], rows[0], None)
    return True
