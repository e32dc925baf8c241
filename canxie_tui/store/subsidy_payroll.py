"""The month's 两项补贴 payroll (发放名册), its changes (变动表) and the district's totals.

Read from each person's history (`subsidies`) with the rule set in force that month;
the people are read as the check reads them (`subsidy_check.read_row`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from canxie_tui.domain import codes
from canxie_tui.domain.subsidies import (
    KINDS,
    LIVING,
    RECEIVING,
    Entry,
    RuleSet,
    in_force,
    prev_month,
    state_in,
)
from canxie_tui.store.connection import Store
from canxie_tui.store.subsidies import rule_sets, rules_for
from canxie_tui.store.subsidy_check import ROW_COLUMNS, ROW_WIDTH, Row, check, read_row


# -- the payroll and the changes ------------------------------------------------------------
@dataclass(frozen=True)
class PayLine:
    person: Row
    kind: str
    level: int | None  # the level paid at
    amount: int


def payroll(store: Store, month: str) -> tuple[RuleSet, list[PayLine]]:
    """Everyone marked 享受 in `month`, one line per person and subsidy (register order)."""
    rules = rules_for(store, month)
    parsed: dict[str, frozenset[str]] = {}
    lines: list[PayLine] = []
    for values in store.db.conn.execute(
        f"SELECT {ROW_COLUMNS}, s.kind, s.level FROM subsidies s "
        "JOIN persons p ON p.id = s.person_id JOIN households h ON h.id = p.household_id "
        f"WHERE s.state = '{RECEIVING}' AND s.from_month <= :month "
        "AND (s.to_month = '' OR s.to_month >= :month) ORDER BY s.kind DESC, p.pk",
        {"month": month},
    ):
        row = read_row(values[:ROW_WIDTH], parsed)
        kind, paid_level = values[ROW_WIDTH], values[ROW_WIDTH + 1]
        level = row.level if paid_level is None else paid_level
        lines.append(PayLine(row, kind, level, rules.amount(kind, level)))
    return rules, lines


ADDED, STOPPED_KIND, RESTATED = "added", "stopped", "restated"
CHANGE_KINDS = {ADDED: "新增", STOPPED_KIND: "停发", RESTATED: "标准变更"}


@dataclass(frozen=True)
class ChangeLine:
    kind_of_change: str  # ADDED / STOPPED_KIND / RESTATED
    person: Row
    kind: str
    reason: str
    from_month: str
    old_amount: int
    new_amount: int


def changes(store: Store, month: str) -> list[ChangeLine]:
    """The month's 新增 / 停发 / 标准变更 against the month before, from the history."""
    before = prev_month(month)
    sets = rule_sets(store)
    rules = rules_for(store, month)
    old_rules = in_force(sets, before)
    parsed: dict[str, frozenset[str]] = {}
    people: dict[str, Row] = {}
    entries: dict[tuple[str, str], list[Entry]] = {}
    for values in store.db.conn.execute(
        f"SELECT {ROW_COLUMNS}, s.kind, s.state, s.from_month, s.to_month, s.level, s.reason, s.id "
        "FROM subsidies s JOIN persons p ON p.id = s.person_id "
        "JOIN households h ON h.id = p.household_id WHERE s.from_month <= :month "
        "AND (s.to_month = '' OR s.to_month >= :before) ORDER BY p.pk, s.from_month",
        {"month": month, "before": before},
    ):
        row = people.setdefault(values[0], read_row(values[:ROW_WIDTH], parsed))
        entry = Entry(*values[ROW_WIDTH:])
        entries.setdefault((row.person_id, entry.kind), []).append(entry)
    found: list[ChangeLine] = []
    for (pid, kind), items in entries.items():
        row = people[pid]
        was, now = state_in(items, kind, before), state_in(items, kind, month)
        paid_before = was is not None and was.state == RECEIVING
        paid_now = now is not None and now.state == RECEIVING
        new = rules.amount(kind, _level(now, row)) if paid_now else 0
        old = old_rules.amount(kind, _level(was, row)) if paid_before and old_rules else 0
        if paid_now and not paid_before:
            found.append(ChangeLine(ADDED, row, kind, now.reason if now else "", month, 0, new))
        elif paid_before and not paid_now:
            reason = now.reason if now is not None else "享受期限到期"
            found.append(ChangeLine(STOPPED_KIND, row, kind, reason, month, old, 0))
        elif paid_now and paid_before and old_rules is not None and old != new:
            assert was is not None and now is not None
            if was.level != now.level:
                why = f"等级由{codes.label(codes.LEVELS, was.level)}变为{codes.label(codes.LEVELS, now.level)}"
            else:
                why = f"补贴标准调整（{rules.start}起）"
            found.append(ChangeLine(RESTATED, row, kind, why, month, old, new))
    order = list(CHANGE_KINDS)
    found.sort(key=lambda c: (order.index(c.kind_of_change), c.kind != LIVING))
    return found


def _level(entry: Entry | None, row: Row) -> int | None:
    return entry.level if entry is not None and entry.level is not None else row.level


# -- per community (the district roll-up) ---------------------------------------------------
@dataclass
class Totals:
    """One community's 两项补贴 of a month: people and 元 per kind, and the check's stops."""

    people: dict[str, int] = field(default_factory=dict)  # kind -> 人数
    money: dict[str, int] = field(default_factory=dict)  # kind -> 元
    stops: int = 0  # 应停未停 lines
    overpaid: int = 0  # 多发金额 (元)

    def add(self, other: Totals) -> None:
        for kind in KINDS:
            self.people[kind] = self.people.get(kind, 0) + other.people.get(kind, 0)
            self.money[kind] = self.money.get(kind, 0) + other.money.get(kind, 0)
        self.stops += other.stops
        self.overpaid += other.overpaid


def totals_by_division(store: Store, month: str) -> dict[str, Totals]:
    """The payroll and the check of `month` summed per community (household division)."""
    from canxie_tui.domain.errors import InputError

    try:
        _, lines = payroll(store, month)
        found = check(store, month)
    except InputError:
        return {}
    division = dict(store.db.conn.execute("SELECT id, division_code FROM households"))
    totals: dict[str, Totals] = {}
    for line in lines:
        t = totals.setdefault(division.get(line.person.household_id, ""), Totals())
        t.people[line.kind] = t.people.get(line.kind, 0) + 1
        t.money[line.kind] = t.money.get(line.kind, 0) + line.amount
    for item in found.stop:
        t = totals.setdefault(division.get(item.person.household_id, ""), Totals())
        t.stops += 1
        t.overpaid += item.overpaid
    return totals
