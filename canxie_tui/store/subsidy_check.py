"""The monthly 两项补贴 check (the payroll and its changes: `store.subsidy_payroll`).

The check (`check`) compares the rules (the rule set in force that month,
`domain.subsidies`) and the register with each person's history:

- 应享未享 (start): eligible, in the register, not receiving, applying or paused
  (暂停 is a decision someone took), with why they qualify;
- 应停未停 (stop): marked 享受 that month but not eligible — left the register
  (死亡/迁出/注销, eligible until the end of that month), certificate expired, not
  (or no longer) in 低保, in 特困供养, 户籍 outside Chongqing, 工伤保险护理费, a level
  the rule set does not cover — with the day it ended where the register knows
  it (the status date, the certificate's end) and the months marked 享受 since,
  with what they paid (多发金额, each month by its own rule set); where the day is
  not known, the month checked is counted (at least that one was paid wrongly);
- 变更 (change): receiving 护理补贴 at a level whose amount differs from the
  register's level now.

SQL picks the candidates (the eligibility rule's SQL side, the history joined by
index), so a district's 30k people are never judged one by one in Python; the
candidates are then judged by the Python side, which gives the reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from canxie_tui.domain import codes
from canxie_tui.domain.subsidies import (
    APPLYING,
    CARE,
    KINDS,
    LIVING,
    PAUSED,
    RECEIVING,
    RuleSet,
    eligible_sql,
    left_reason,
    next_month,
    overpaid,
    qualify_reason,
    refusal,
    sql_params,
    state_in,
    stop_day,
)
from canxie_tui.store.connection import Store
from canxie_tui.store.subsidies import histories, month_on, rule_sets, rules_for

START, STOP, CHANGE = "start", "stop", "change"
LISTS = {START: "应享未享", STOP: "应停未停", CHANGE: "变更"}


class Row(NamedTuple):
    """A person as the rules read them (domain.subsidies.Facts) and where to find them."""

    person_id: str
    household_id: str
    name: str
    id_number: str
    category: int | None
    level: int | None
    hukou: str
    household_flags: frozenset[str]
    benefits: frozenset[str]
    cert_valid_until: str
    status: str
    status_date: str
    address: str = ""
    registered: str = ""  # the month the person entered the register (YYYY-MM)
    pk: int = 0  # register order


class Item(NamedTuple):
    """One line of the check (tuples: a district's check makes a thousand of them)."""

    list: str  # START / STOP / CHANGE
    kind: str
    person: Row
    reason: str
    since: str = ""  # the day eligibility ended (stop), '' when the register cannot say
    amount: int = 0  # the month's amount: by the rules (start, change) or as paid (stop)
    old_amount: int = 0  # change: what the history pays
    overpaid_months: tuple[str, ...] = ()
    overpaid: int = 0

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass
class Check:
    month: str
    rules: RuleSet
    start: list[Item] = field(default_factory=list)
    stop: list[Item] = field(default_factory=list)
    change: list[Item] = field(default_factory=list)

    @property
    def overpaid(self) -> int:
        return sum(item.overpaid for item in self.stop)

    def items(self) -> list[Item]:
        return [*self.stop, *self.start, *self.change]


# -- SQL ---------------------------------------------------------------------------------
def covering(alias: str, kind: str) -> str:
    """Condition: `alias` is the history entry of `kind` covering :month (of `m`)."""
    return (
        f"{alias}.person_id = m.id AND {alias}.kind = '{kind}' AND {alias}.from_month <= :month "
        f"AND ({alias}.to_month = '' OR {alias}.to_month >= :month)"
    )


# Left the register before the month (`domain.subsidies.left_reason`): not still in it
# then, nor leaving in it.  Read from the rule inputs `m`, as the rules: the counts
# look a person up in `persons` by the id's index alone, never their wide row.
_STAYED = "(m.status = 'active' OR m.status_date >= :month_first)"
# In the register during the month (leaving in it keeps the month) and registered by its end.
_IN_MONTH = f"{_STAYED} AND m.created_at < :next_first"

ROW_COLUMNS = (
    "p.id, p.household_id, p.name, p.id_number, p.category, p.level, p.hukou, h.flags, "
    "p.benefits, p.cert_valid_until, p.status, p.status_date, h.address, "
    "substr(p.created_at, 1, 7), p.pk"
)
ROW_WIDTH = 15  # how many of a query's columns `_row` reads
# The household of each candidate (after the rule, which reads the rule inputs `m`).
_HOUSEHOLD = "CROSS JOIN households h ON h.id = p.household_id"


def _parts(household: str) -> dict[str, str]:
    """The FROM and WHERE of each part of the check, each driven by what is small: the
    entries marked 享受 that month (to stop or restate, one part per subsidy); the
    certified people the 护理补贴 rule admits (read from the rule inputs alone); and the
    members of 低保 (and, when extended, 低收入) households for the 生活补贴.  Those who
    may start are those with no 享受 / 申请中 / 暂停 entry covering the month.
    `household` joins each candidate's household (after the rule, which reads `m`)."""
    held = f"('{RECEIVING}', '{APPLYING}', '{PAUSED}')"

    def not_held(kind: str) -> str:
        return (
            f"NOT EXISTS (SELECT 1 FROM subsidies s WHERE {covering('s', kind)} "
            f"AND s.state IN {held})"
        )

    def receiving(kind: str, wrong: str) -> str:
        """Entries of `kind` marked 享受 that month where the rule finds `wrong`."""
        return (
            "FROM subsidies s CROSS JOIN persons p ON p.id = s.person_id "
            f"CROSS JOIN rule_inputs m ON m.person_pk = p.pk {household} "
            f"WHERE s.state = '{RECEIVING}' AND s.kind = '{kind}' AND s.from_month <= :month "
            f"AND (s.to_month = '' OR s.to_month >= :month) AND m.category IS NOT NULL AND {wrong}"
        )

    # Driven by the rule inputs (a narrow table read straight through): the few in 低保 (or
    # 低收入) households, then each of them by pk.
    poor = codes.has_any_sql(
        "m.household_flags", codes.HOUSEHOLD_FLAGS, "dibao", *codes.LOW_INCOME_FLAGS
    )
    return {
        STOP + LIVING: receiving(LIVING, f"NOT ({_IN_MONTH} AND {eligible_sql(LIVING)})"),
        STOP + CARE: receiving(
            CARE, f"(s.level IS NOT m.level OR NOT ({_IN_MONTH} AND {eligible_sql(CARE)}))"
        ),
        # 护理补贴's rule reads the rule inputs alone: its people are found in that
        # narrow table, then each by pk.
        START + CARE: (
            f"FROM rule_inputs m CROSS JOIN persons p ON p.pk = m.person_pk {household} "
            f"WHERE m.category IS NOT NULL AND {eligible_sql(CARE)} AND {_IN_MONTH} "
            f"AND {not_held(CARE)}"
        ),
        START + LIVING: (
            f"FROM rule_inputs m CROSS JOIN persons p ON p.pk = m.person_pk {household} "
            f"WHERE {poor} AND m.category IS NOT NULL "
            f"AND {eligible_sql(LIVING)} AND {_IN_MONTH} AND {not_held(LIVING)}"
        ),
    }


def _candidates_sql() -> str:
    """(row, kind, state, level) of everyone the check must judge (`_parts`)."""
    parts = _parts(_HOUSEHOLD)
    return " UNION ALL ".join(
        (
            f"SELECT {ROW_COLUMNS}, s.kind, s.state, s.level {parts[STOP + LIVING]}",
            f"SELECT {ROW_COLUMNS}, s.kind, s.state, s.level {parts[STOP + CARE]}",
            f"SELECT {ROW_COLUMNS}, '{CARE}', NULL, NULL {parts[START + CARE]}",
            f"SELECT {ROW_COLUMNS}, '{LIVING}', NULL, NULL {parts[START + LIVING]}",
        )
    )


def _amount_sql(level: str) -> str:
    """`RuleSet.amount(CARE, level)` in SQL (the rule set's amounts as parameters)."""
    return (
        f"CASE {level} WHEN 1 THEN :care_level1 WHEN 2 THEN :care_level2 "
        "ELSE :care_extended_amount END"
    )


def _counts_sql() -> str:
    """The three lists' lengths in one statement over the same candidates, each line
    placed as `judge` places it: a 享受 entry is stopped when its person left before
    the month or the rule refuses them; a 护理补贴 one is restated when paid at a level
    whose amount differs; everyone found to start starts.  One step inside SQLite, no
    row handed to Python: the dashboard's count (a test holds it equal to `check`)."""
    parts = _parts("")
    care_stop = f"NOT ({_STAYED} AND {eligible_sql(CARE)})"
    restated = f"s.level IS NOT NULL AND {_amount_sql('s.level')} <> {_amount_sql('m.level')}"
    lines = " UNION ALL ".join(
        (
            f"SELECT CASE WHEN NOT ({_STAYED} AND {eligible_sql(LIVING)}) THEN '{STOP}' END "
            f"AS list {parts[STOP + LIVING]}",
            f"SELECT CASE WHEN {care_stop} THEN '{STOP}' WHEN {restated} THEN '{CHANGE}' END "
            f"{parts[STOP + CARE]}",
            f"SELECT '{START}' {parts[START + CARE]}",
            f"SELECT '{START}' {parts[START + LIVING]}",
        )
    )
    counted = ", ".join(f"count(*) FILTER (WHERE list = '{k}')" for k in (START, STOP, CHANGE))
    return f"SELECT {counted} FROM ({lines})"


_CANDIDATES = _candidates_sql()
_COUNTS = _counts_sql()


def read_row(values: tuple[Any, ...], parsed: dict[str, frozenset[str]]) -> Row:
    """A `Row` from the first `ROW_WIDTH` columns of `ROW_COLUMNS` (each JSON list parsed once)."""

    def codes_of(text: str) -> frozenset[str]:
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = frozenset(json.loads(text))
        return found

    pid, hid, name, id_number, category, level, hukou, flags, benefits, *rest = values[:ROW_WIDTH]
    valid, status, day, address, registered, pk = rest
    return Row(
        pid,
        hid,
        name,
        id_number or "",
        category,
        level,
        hukou,
        codes_of(flags),
        codes_of(benefits),
        valid,
        status,
        day,
        address,
        registered,
        pk,
    )


def params(rules: RuleSet, month: str) -> dict[str, Any]:
    return {"month": month, "next_first": f"{next_month(month)}-01", **sql_params(rules, month)}


# -- the check ---------------------------------------------------------------------------
def judge(
    row: Row, kind: str, state: str | None, paid_level: int | None, rules: RuleSet, month: str
) -> tuple[str, str, str, int] | None:
    """(list, reason, since, amount) for one person and subsidy, or None when in order.

    The Python side of the check, also the per-person reference the tests and the
    benchmark compare the SQL with.
    """
    if state == RECEIVING:
        left = left_reason(row.status, row.status_date, month)
        if left is not None:
            return STOP, left[0], left[1], rules.amount(kind, paid_level or row.level)
        why = refusal(kind, row, rules, month)
        if why is not None:
            return STOP, why, stop_day(why, row), rules.amount(kind, paid_level or row.level)
        if kind == CARE and paid_level is not None and paid_level != row.level:
            now, then = rules.amount(kind, row.level), rules.amount(kind, paid_level)
            if now != then:
                was, is_ = (codes.label(codes.LEVELS, v) for v in (paid_level, row.level))
                return CHANGE, f"等级由{was}变为{is_}", "", now
        return None
    if state in (APPLYING, PAUSED):
        return None
    if row.registered > month or left_reason(row.status, row.status_date, month) is not None:
        return None
    if refusal(kind, row, rules, month) is None:
        return (
            START,
            qualify_reason(kind, row, rules),
            "",
            rules.amount(kind, row.level),
        )
    return None


Pending = list[tuple[Row, str, str, str, int]]  # 应停未停 before their months are counted


def _place(
    found: Check, pending: Pending, row: Row, kind: str, state: str | None, level: int | None
) -> None:
    """Judge one person's subsidy and put it on its list (a stop waits in `pending`)."""
    rules, month = found.rules, found.month
    verdict = judge(row, kind, state, level, rules, month)
    if verdict is None:
        return
    where, reason, since, amount = verdict
    if where == STOP:
        pending.append((row, kind, reason, since, amount))
    elif where == CHANGE:
        found.change.append(Item(CHANGE, kind, row, reason, "", amount, rules.amount(kind, level)))
    else:
        found.start.append(Item(START, kind, row, reason, "", amount))


# The last check is kept until a person, household, setting or subsidy changes (every
# change writes an audit entry: store.indicators.register_generation).
_cache: dict[tuple[str, str, int], Check] = {}


def check(store: Store, month: str) -> Check:
    """The check of `month` (YYYY-MM) by the rule set in force then (kept while the
    register is unchanged: the dashboard asks on every return to it)."""
    from canxie_tui.store.indicators import register_generation

    key = (str(store.path.resolve()), month, register_generation(store))
    found = _cache.get(key)
    if found is None:
        found = fresh_check(store, month)
        _cache.clear()
        _cache[key] = found
    return found


def fresh_check(store: Store, month: str) -> Check:
    """The check of `month`, computed now (see `check`)."""
    rules = rules_for(store, month)
    found = Check(month, rules)
    parsed: dict[str, frozenset[str]] = {}
    pending: Pending = []
    rows: dict[str, Row] = {}  # one Row per person, however many lines they are on
    for values in store.db.conn.execute(_CANDIDATES, params(rules, month)):
        row = rows.get(values[0]) or rows.setdefault(values[0], read_row(values, parsed))
        kind, state, level = values[ROW_WIDTH:]
        _place(found, pending, row, kind, state, level)
    for items in (found.start, found.change):
        items.sort(key=lambda i: (i.person.pk, i.kind != LIVING))
    _add_stops(store, found, pending)
    return found


def _add_stops(store: Store, found: Check, pending: Pending) -> None:
    """应停未停 with the months marked 享受 since eligibility ended, and their amounts."""
    if not pending:
        return
    sets = rule_sets(store)
    entries = histories(store, sorted({p[0].person_id for p in pending}))
    for row, kind, reason, since, amount in pending:
        first = next_month(since[:7]) if since else found.month
        paid, total = overpaid(entries[row.person_id], kind, first, found.month, sets, row.level)
        found.stop.append(Item(STOP, kind, row, reason, since, amount, 0, tuple(paid), total))
    found.stop.sort(key=lambda i: (i.person.pk, i.kind != LIVING))


# The last counts, kept as the check is (the dashboard asks on every return to it).
_counted: dict[tuple[str, str, int], dict[str, int]] = {}


def counts(store: Store, month: str) -> dict[str, int]:
    """How many lines each list has (the dashboard); empty when no rule set is in force.

    Counted in SQL (`_counts_sql`) unless the check is at hand: the check itself, its
    reasons and amounts, is made when someone opens it."""
    from canxie_tui.store.indicators import register_generation

    key = (str(store.path.resolve()), month, register_generation(store))
    found = _counted.get(key)
    if found is None:
        checked = _cache.get(key)
        found = (
            {START: len(checked.start), STOP: len(checked.stop), CHANGE: len(checked.change)}
            if checked is not None
            else _counted_now(store, month)
        )
        _counted.clear()
        _counted[key] = found
    return found


def counts_on(store: Store, today: date) -> dict[str, int]:
    """`counts` of the month of `today` (the dashboard's)."""
    return counts(store, month_on(today))


def _counted_now(store: Store, month: str) -> dict[str, int]:
    from canxie_tui.domain.errors import InputError

    try:
        rules = rules_for(store, month)
    except InputError:
        return {}
    amounts = {
        "care_level1": rules.care_level1,
        "care_level2": rules.care_level2,
        "care_extended_amount": rules.care_extended_amount,
    }
    row = store.db.conn.execute(_COUNTS, {**params(rules, month), **amounts}).fetchone()
    return dict(zip((START, STOP, CHANGE), row, strict=True))


def naive_check(store: Store, month: str) -> Check:
    """The check person by person (a query each for the register row and the history):
    the reference the benchmark measures the SQL against and the tests compare with."""
    rules = rules_for(store, month)
    found = Check(month, rules)
    parsed: dict[str, frozenset[str]] = {}
    ids = [r[0] for r in store.db.conn.execute("SELECT id FROM persons WHERE category IS NOT NULL")]
    pending: Pending = []
    for pid in ids:
        values = store.db.conn.execute(
            f"SELECT {ROW_COLUMNS} FROM persons p JOIN households h ON h.id = p.household_id "
            "WHERE p.id = ?",
            (pid,),
        ).fetchone()
        row = read_row(values, parsed)
        entries = histories(store, [pid])[pid]
        for kind in (LIVING, CARE):
            entry = state_in(entries, kind, month)
            state, level = (entry.state, entry.level) if entry else (None, None)
            _place(found, pending, row, kind, state, level)
    _add_stops(store, found, pending)
    return found
