"""两项补贴 in the database: the rule sets (a dated setting) and each person's history.

The history (`subsidies`, one row per period of one subsidy: state, from month,
to month, the level it is paid at, reason) is what every figure reads: the
monthly check, the payroll and changes lists (`store.subsidy_check`) and the
indicators 4 and 5 (`store.indicators`).  Periods of one person's subsidy never
overlap: a new state closes the period before it (`set_state`).

The register's benefit codes living_subsidy / care_subsidy are a cache of each
person's latest decision (state 享受), for the forms and the roster import that
tick them: ticking one in the person form (or a roster's 享受/未享受) is written
here as 享受 / 停发 from the current month (`follow_ticks`), and every change here
refreshes the cache (`refresh_flags`).  Every write is audited (store.records).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.subsidies import (
    BENEFIT_CODES,
    CARE,
    CHONGQING_2026,
    KIND_OF_CODE,
    KINDS,
    RECEIVING,
    STATES,
    STOPPED,
    Entry,
    RuleSet,
    check_month,
    in_force,
    latest,
    month_label,
    month_of,
    prev_month,
    sorted_sets,
)
from canxie_tui.store import records
from canxie_tui.store.connection import Store, new_id

RULES_KEY = "subsidy_rules"
_ACTION = "两项补贴登记"


# -- rule sets ---------------------------------------------------------------------------
def rule_sets(store: Store) -> list[RuleSet]:
    """Every rule set, oldest first (old ones are kept: a month is judged by its own)."""
    from canxie_tui.store.site import get_setting

    stored = get_setting(store, RULES_KEY, None)
    if stored is None:
        return [CHONGQING_2026]
    return sorted_sets(RuleSet.from_json(item) for item in stored)


def save_rule_set(store: Store, rules: RuleSet) -> list[RuleSet]:
    """Add `rules`, or replace the set starting the same month (audited as a setting)."""
    from canxie_tui.store.site import set_setting

    kept = [r for r in rule_sets(store) if r.start != rules.start]
    found = sorted_sets([*kept, rules])
    set_setting(store, RULES_KEY, [r.as_json() for r in found])
    return found


def rules_for(store: Store, month: str) -> RuleSet:
    """The rule set that judges `month`; refused in words when none was in force."""
    sets = rule_sets(store)
    found = in_force(sets, month)
    if found is None:
        first = sets[0].start if sets else ""
        raise InputError(
            f"{month_label(month)}没有生效的两项补贴标准（最早的标准从{month_label(first)}起），"
            "请在“设置：两项补贴标准”中补充。",
            "month",
        )
    return found


def current_month(store: Store) -> str:
    today = store.today()
    return month_of(today.year, today.month)


def month_on(day: date) -> str:
    return month_of(day.year, day.month)


# -- history -----------------------------------------------------------------------------
def _entry(row: dict[str, Any]) -> Entry:
    return Entry(
        kind=row["kind"],
        state=row["state"],
        from_month=row["from_month"],
        to_month=row["to_month"],
        level=row["level"],
        reason=row["reason"],
        id=row["id"],
    )


def history(store: Store, person_id: str) -> list[Entry]:
    """A person's entries, by kind then month."""
    rows = store.query(
        "SELECT * FROM subsidies WHERE person_id = ? ORDER BY kind DESC, from_month",
        (person_id,),
    )
    return [_entry(r) for r in rows]


def histories(store: Store, person_ids: Sequence[str]) -> dict[str, list[Entry]]:
    """The entries of several people (a chunk at a time)."""
    found: dict[str, list[Entry]] = {pid: [] for pid in person_ids}
    sql = "SELECT * FROM subsidies WHERE person_id IN ({marks}) ORDER BY from_month"
    for row in store.query_in(sql, person_ids):
        found[row["person_id"]].append(_entry(row))
    return found


def history_text(entry: Entry) -> str:
    """ "护理补贴 享受 2026-01 起（一级）：由登记表转入" for the person screen."""
    span = f"{entry.from_month}至{entry.to_month}" if entry.to_month else f"{entry.from_month}起"
    level = f"（{codes.label(codes.LEVELS, entry.level)}）" if entry.level else ""
    reason = f"：{entry.reason}" if entry.reason else ""
    return f"{KINDS[entry.kind]} {STATES[entry.state]} {span}{level}{reason}"


def set_state(
    store: Store,
    person_id: str,
    kind: str,
    state: str,
    from_month: str,
    reason: str = "",
    level: int | None = None,
    *,
    refresh: bool = True,
) -> Entry:
    """Record that `kind` is in `state` from `from_month` on; returns the new entry.

    The period covering `from_month` is closed the month before; a period
    starting that same month is replaced.  A later period in the same state (and
    level) starts earlier instead (back-dating a 享受); any other later period
    refuses the change (say it there, or change that one first).  For 护理补贴 `level` is the level the
    amount is paid at (default: the person's).  One transaction, audited; the
    register's cache is refreshed unless `refresh` is False (the caller does it).
    """
    if kind not in KINDS or state not in STATES:
        raise InputError("补贴种类或状态不对", "kind")
    from_month = check_month(from_month)
    reason = reason.strip()
    if len(reason) > 200:
        raise InputError("原因不能超过200字", "reason")
    with store.transaction():
        person = store.query("SELECT level, category FROM persons WHERE id = ?", (person_id,))
        if not person:
            raise InputError("找不到该人员，可能已被删除。", "person")
        if kind == CARE and level is None:
            level = person[0]["level"]
        if kind != CARE:
            level = None
        entries = [e for e in history(store, person_id) if e.kind == kind]
        later = [e for e in entries if e.from_month > from_month]
        # The same state from an earlier month than the next period: move its start back.
        moved = later[0] if later and (later[0].state, later[0].level) == (state, level) else None
        if later and moved is None:
            raise InputError(
                f"{KINDS[kind]}已有{later[-1].from_month}起的记录，不能在它之前插入"
                f"{from_month}起的状态；请先修改那条记录。",
                "from_month",
            )
        same = moved or next((e for e in entries if e.from_month == from_month), None)
        for entry in entries:
            if entry is not same and entry.covers(from_month):
                _update(store, entry.id, {"to_month": prev_month(from_month)})
        values: dict[str, Any] = {"state": state, "reason": reason, "level": level, "to_month": ""}
        if moved is not None:  # its end stays: periods after it may follow
            values = {"from_month": from_month, "reason": reason or moved.reason}
        if same is not None:
            _update(store, same.id, values)
            entry_id = same.id
        else:
            entry_id = records.insert(
                store,
                "subsidies",
                {"id": new_id(), "person_id": person_id, "kind": kind, "from_month": from_month}
                | values,
                action=_ACTION,
            )
        if refresh:
            refresh_flags(store, [person_id])
        row = store.query("SELECT * FROM subsidies WHERE id = ?", (entry_id,))[0]
    return _entry(row)


def _update(store: Store, entry_id: str, values: dict[str, Any]) -> None:
    version = store.scalar("SELECT version FROM subsidies WHERE id = ?", (entry_id,))
    records.update(store, "subsidies", entry_id, values, expected_version=version, action=_ACTION)


def start_many(store: Store, items: Iterable[tuple[str, str, int | None]], reason: str) -> int:
    """享受 from the current month for many new people (the roster import's new rows):
    (person_id, kind, level) each, none of whom has a history yet."""
    month = current_month(store)
    rows = [
        {
            "id": new_id(),
            "person_id": person_id,
            "kind": kind,
            "state": RECEIVING,
            "from_month": month,
            "to_month": "",
            "level": level if kind == CARE else None,
            "reason": reason,
        }
        for person_id, kind, level in items
    ]
    records.insert_many(store, "subsidies", rows, action=_ACTION)
    return len(rows)


def latest_receiving(store: Store, person_ids: Sequence[str]) -> dict[str, set[str]]:
    """Each person's subsidies whose latest decision is 享受 (the cache's meaning)."""
    found: dict[str, set[str]] = {pid: set() for pid in person_ids}
    for pid, entries in histories(store, person_ids).items():
        found[pid] = {k for k, e in latest(entries).items() if e.state == RECEIVING}
    return found


def refresh_flags(store: Store, person_ids: Sequence[str]) -> None:
    """Make the register's benefit codes say each person's latest decision."""
    for pid, kinds in latest_receiving(store, person_ids).items():
        row = store.query("SELECT benefits, version FROM persons WHERE id = ?", (pid,))
        if not row:
            continue
        held = set(json.loads(row[0]["benefits"]))
        wanted = (held - set(KIND_OF_CODE)) | {BENEFIT_CODES[k] for k in kinds}
        if wanted != held:
            records.update(
                store,
                "persons",
                pid,
                {"benefits": json.dumps(sorted(wanted))},
                expected_version=row[0]["version"],
                action=_ACTION,
            )


def follow_ticks(
    store: Store, person_id: str, before: Iterable[str], after: Iterable[str], reason: str
) -> None:
    """A form or roster ticked or unticked a subsidy: 享受 / 停发 from the current month.

    Only a change of the tick is written; a tick the history already says is left.
    """
    had, has = set(before) & set(KIND_OF_CODE), set(after) & set(KIND_OF_CODE)
    if had == has:
        return
    month = current_month(store)
    receiving = latest_receiving(store, [person_id])[person_id]
    for code in sorted(had ^ has):
        kind = KIND_OF_CODE[code]
        if code in has and kind not in receiving:
            set_state(
                store, person_id, kind, RECEIVING, month, f"{reason}时勾选享受", refresh=False
            )
        elif code not in has and kind in receiving:
            set_state(store, person_id, kind, STOPPED, month, f"{reason}时取消享受", refresh=False)
    refresh_flags(store, [person_id])
