"""The yearly survey round: its list, progress, answers, 失访, and 采纳到档案.

Rules are in `domain.survey` (statuses, rates, register facts) and
`domain.survey_form` (the questionnaire and its skips); this module reads and
writes them, every change through `store.records` (audited).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from canxie_tui.domain import survey as rules
from canxie_tui.domain import survey_form as form
from canxie_tui.domain.dates import age_on_text, parse_day
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.natural import natural_key
from canxie_tui.domain.places import label
from canxie_tui.store import followups, places, records
from canxie_tui.store.connection import Store, new_id
from canxie_tui.store.errors import NotFoundError
from canxie_tui.store.register_sql import in_register_at
from canxie_tui.store.site import get_setting, set_setting

LIST_LIMIT = 200


@dataclass(frozen=True)
class Round:
    id: str
    year: int
    ref_date: str
    closed_on: str
    version: int

    @property
    def title(self) -> str:
        return f"{self.year}年度持证残疾人基本状况调查"


def _round(row: dict[str, Any]) -> Round:
    return Round(row["id"], row["year"], row["ref_date"], row["closed_on"], row["version"])


def current_round(store: Store) -> Round | None:
    """The newest round that is not closed (None: no round under way)."""
    rows = store.query(
        "SELECT * FROM survey_rounds WHERE closed_on = '' ORDER BY year DESC LIMIT 1"
    )
    return _round(rows[0]) if rows else None


def last_round(store: Store) -> Round | None:
    """The newest round, open or closed (None: never surveyed)."""
    rows = store.query("SELECT * FROM survey_rounds ORDER BY year DESC LIMIT 1")
    return _round(rows[0]) if rows else None


def get_round(store: Store, year: int | None = None) -> Round:
    """The round of `year` (default: the newest round); NotFoundError when there is none."""
    if year is None:
        found = last_round(store)
    else:
        rows = store.query("SELECT * FROM survey_rounds WHERE year = ?", (year,))
        found = _round(rows[0]) if rows else None
    if found is None:
        which = f"{year}年度的" if year else ""
        raise NotFoundError(
            f"还没有开始{which}基本状况调查。请先开始一轮调查（canxie survey start）。"
        )
    return found


def apart_place(store: Store) -> str:
    """Where 人户分离 people are surveyed (the district's setting; `rules.APART_PLACES`)."""
    value = get_setting(store, rules.APART_SETTING, rules.DEFAULT_APART)
    return value if value in rules.APART_PLACES else rules.DEFAULT_APART


def set_apart_place(store: Store, value: str) -> None:
    if value not in rules.APART_PLACES:
        raise InputError("人户分离人员的调查地点只能是现居住地或户籍地", "apart_where")
    set_setting(store, rules.APART_SETTING, value)


def start_round(store: Store, year: int, ref_date: str | None = None) -> tuple[Round, int]:
    """Open the round of `year` listing everyone in the register on `ref_date` (default today).

    Returns the round and how many people it lists.  Refused (InputError) for a
    year that already has a round, a year far from now, or a reference day
    outside the year.
    """
    today = store.today()
    if not today.year - 1 <= year <= today.year + 1:
        raise InputError(f"调查年度 {year} 不对：只能开始去年、今年或明年的调查", "year")
    day = (
        parse_day(ref_date, today, field="ref_date", label="调查时点", allow_future=True)
        if ref_date
        else today
    )
    if day.year != year:
        raise InputError(f"调查时点 {day.isoformat()} 不在 {year} 年内", "ref_date")
    with store.transaction():  # IMMEDIATE: two windows cannot both open the year
        if store.scalar("SELECT 1 FROM survey_rounds WHERE year = ?", (year,)):
            raise InputError(f"{year}年度的基本状况调查已经开始，不能重复开始", "year")
        round_id = records.insert(
            store, "survey_rounds", {"year": year, "ref_date": day.isoformat()}, action="开始调查"
        )
        people = store.query(
            "SELECT p.id, p.household_id, p.apart, h.grid, h.building "
            "FROM persons p JOIN households h ON h.id = p.household_id "
            f"WHERE {in_register_at('p', ':day')} ORDER BY h.grid, h.building, p.pk",
            {"day": day.isoformat()},
        )
        rows = [
            {
                "id": new_id(),
                "round_id": round_id,
                "person_id": p["id"],
                "household_id": p["household_id"],
                "grid": p["grid"],
                "building": p["building"],
                "apart": p["apart"],
            }
            for p in people
        ]
        records.insert_many(store, "survey_entries", rows, action="列入调查")
    return get_round(store, year), len(rows)


def close_round(store: Store, year: int | None = None) -> Round:
    """End a round (its answers stay; nothing can be changed in it after this)."""
    round = get_round(store, year)
    if round.closed_on:
        raise InputError(f"{round.title}已于 {round.closed_on} 结束")
    records.update(
        store,
        "survey_rounds",
        round.id,
        {"closed_on": store.today().isoformat()},
        expected_version=round.version,
        action="结束调查",
    )
    return get_round(store, round.year)


# -- progress ------------------------------------------------------------------------------
Place = tuple[str | None, str]  # (community code or None: any, grid or building as stored)


@dataclass
class Progress:
    round: Round
    apart_where: str
    total: rules.Counts
    grids: list[rules.Counts]
    buildings: list[rules.Counts]  # each with its grid
    apart_elsewhere: int  # 人户分离, surveyed at the 户籍 (listed, not counted)
    # A grid's name as shown ("建新东路社区·第1网格" at several communities) -> its place.
    grid_places: dict[str, Place] = field(default_factory=dict)

    def lines(self) -> list[tuple[str, str, rules.Counts]]:
        """(网格, 楼栋, counts): the total, each grid, then each building."""
        lines = [("合计", "", self.total)] + [(g.name, "", g) for g in self.grids]
        return lines + [(b.grid, b.name, b) for b in self.buildings]

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.round.year,
            "ref_date": self.round.ref_date,
            "apart_where": self.apart_where,
            "apart_elsewhere": self.apart_elsewhere,
            **self.total.to_json(),
            "grids": [g.to_json() for g in self.grids],
            "buildings": [b.to_json() for b in self.buildings],
        }


# At a district a line per building is 6k groups of 30k entries, and each sum the
# scan takes costs about as much as the grouping: the figures of a group come in two
# packed sums, each figure in 20 bits (no place holds a million people).
_BITS = 20
assert list(rules.METHODS) == ["home", "meet", "phone"]  # the order `_counts` unpacks
_MASK = (1 << _BITS) - 1
_DONE = (  # 入户, 见面, 电话 packed
    "CASE WHEN status != 'done' THEN 0 "
    + " ".join(f"WHEN method = '{m}' THEN {1 << (i * _BITS)}" for i, m in enumerate(rules.METHODS))
    + " ELSE 0 END"
)
_OTHER = f"CASE status WHEN 'lost' THEN 1 WHEN 'draft' THEN {1 << _BITS} ELSE 0 END"  # 失访, 调查中


def _figures(hukou: bool) -> str:
    """SQL of 人户分离 elsewhere, the people counted (应调查), their methods packed, and
    their 失访 and 调查中 packed (see `_counts`)."""
    if hukou:  # 人户分离 people surveyed at the 户籍 are listed, not counted
        return (
            f"sum(apart), sum(NOT apart), sum((NOT apart) * {_DONE}), sum((NOT apart) * {_OTHER})"
        )
    return f"0, count(*), sum({_DONE}), sum({_OTHER})"


def _counts(name: str, grid: str, community: str, due: int, done: int, other: int) -> rules.Counts:
    """A line of progress from `_figures`' counted, methods packed and others packed
    (packed figures add up as they are: a grid's or the round's sum stays packed)."""
    # Spelled out, not a loop over METHODS: a district's progress makes ~6,500 lines.
    home, meet, phone = done & _MASK, done >> _BITS & _MASK, done >> 2 * _BITS & _MASK
    lost, draft = other & _MASK, other >> _BITS
    return rules.Counts(name, grid, community, due, home, meet, phone, lost, draft)


def progress(store: Store, round: Round) -> Progress:
    """应调查 / 已调查 (入户/见面/电话) / 失访 by grid and building (of each community where
    the database holds several): one index scan, and one of the 失访."""
    where = apart_place(store)
    hukou = where == "hukou"
    shown = places.names(store)
    conn = store.db.conn
    groups = conn.execute(
        f"SELECT division_code, grid, building, {_figures(hukou)} FROM survey_entries "
        "INDEXED BY idx_survey_progress WHERE round_id = ? GROUP BY division_code, grid, building",
        (round.id,),
    ).fetchall()
    # Each grid's buildings' packed figures (at one community a grid and a building are
    # one place whatever codes their households carry).
    by_grid: dict[tuple[str, str], dict[str, tuple[int, int, int]]] = {}
    for code, grid, building, _, due, done, other in groups:
        in_grid = by_grid.setdefault((code if shown else "", grid), {})
        found = in_grid.get(building, (0, 0, 0))
        in_grid[building] = (found[0] + due, found[1] + done, found[2] + other)
    grids: dict[tuple[str, str], rules.Counts] = {}
    buildings: dict[tuple[str, str, str], rules.Counts] = {}
    round_sums = [0, 0, 0]
    for key in sorted(by_grid, key=lambda k: (k[0], natural_key(k[1]))):
        community = shown.get(key[0], "")
        name = label(community, key[1] or rules.NO_GRID)
        in_grid = by_grid[key]
        sums = [sum(column) for column in zip(*in_grid.values(), strict=True)]
        round_sums = [a + b for a, b in zip(round_sums, sums, strict=True)]
        grid = grids[key] = _counts(name, "", community, *sums)
        for building in sorted(in_grid, key=natural_key):
            named = building or rules.NO_BUILDING
            counts = _counts(named, grid.name, community, *in_grid[building])
            buildings[(*key, building)] = counts
    total = _counts(round.title, "", "", *round_sums)
    lost = conn.execute(
        "SELECT division_code, grid, building, lost_reason, count(*) FROM survey_entries "
        "INDEXED BY idx_survey_progress WHERE round_id = ? AND status = 'lost'"
        f"{' AND NOT apart' if hukou else ''} GROUP BY division_code, grid, building, lost_reason",
        (round.id,),
    )
    for code, grid, building, reason, n in lost:
        code = code if shown else ""
        for counts in (total, grids[(code, grid)], buildings[(code, grid, building)]):
            counts.lost_reasons[reason] = counts.lost_reasons.get(reason, 0) + n
    return Progress(
        round,
        where,
        total,
        list(grids.values()),
        list(buildings.values()),
        sum(row[3] for row in groups),
        {g.name: (code or None, grid) for (code, grid), g in grids.items()},
    )


def dashboard_line(store: Store) -> str | None:
    """The round under way in a line for the home screen (None: no round open)."""
    round = current_round(store)
    if round is None:
        return None
    figures = store.db.conn.execute(
        f"SELECT {_figures(apart_place(store) == 'hukou')} FROM survey_entries "
        "INDEXED BY idx_survey_progress WHERE round_id = ?",
        (round.id,),
    ).fetchone()
    t = _counts(round.title, "", "", *(n or 0 for n in figures[1:]))
    return f"基本状况调查 {t.surveyed + t.lost}/{t.due} 入户率 {rules.rate_text(t.home_rate)}"


def left_to_survey(
    store: Store,
    round: Round,
    *,
    grid: str | None = None,
    building: str | None = None,
    community: str | None = None,
    limit: int = LIST_LIMIT,
    everyone: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """Who is left (未调查 and 调查中; `everyone`: the whole list) in natural order of
    grid, building, unit and room (of each community in code order where the database
    holds several; `community`: one community's code): (the first `limit` rows, how
    many in all).  Where it holds several each row names its community ("community").

    Counts per building come from the progress index; the buildings the first `limit`
    rows lie in (in natural order: 第2网格 before 第10网格) are then read in one query
    (every building for the screen's whole list) and each sorted here: natural order
    is no SQL.
    """
    where = ["e.round_id = :round"]
    if not everyone:
        where.append("e.status IN ('pending', 'draft')")
    params: dict[str, Any] = {"round": round.id}
    if apart_place(store) == "hukou":
        where.append("e.apart = 0")
    for column, value in (("grid", grid), ("building", building)):
        if value is not None:
            where.append(f"e.{column} = :{column}")
            params[column] = rules.place_value(value)
    if community is not None:
        where.append("e.division_code = :community")
        params["community"] = community
    sql_where = " AND ".join(where)
    shown = places.names(store)
    cursor = store.db.conn.execute(
        f"SELECT division_code, grid, building, count(*) FROM survey_entries e "
        f"WHERE {sql_where} GROUP BY division_code, grid, building "
        "ORDER BY division_code, grid, building",
        params,
    )
    if shown:  # communities in code order: a page reads only the first communities' groups
        groups: list[Any] = []
        read, complete = 0, True  # people in the groups read; every community read
        for _, part in groupby(cursor, key=itemgetter(0)):
            if read >= limit:
                complete = False
                break
            ordered = sorted(part, key=lambda g: (natural_key(g[1]), natural_key(g[2])))
            groups += ordered
            read += sum(g[3] for g in ordered)
        total = read if complete else _count(store, sql_where, params)
    else:  # one community: a (grid, building) is one place, whatever codes its households carry
        groups = sorted(cursor, key=lambda g: (natural_key(g[1]), natural_key(g[2])))
        total = sum(g[3] for g in groups)
    wanted: list[tuple[str, str, str]] = []  # the buildings the first `limit` rows lie in
    count = 0
    for group in groups:
        if count >= limit:
            break
        wanted.append(group[:3])
        count += group[3]
    if len(wanted) < len(groups) or total > count:  # a page: only its buildings
        triples = ", ".join(f"(:c{i}, :g{i}, :b{i})" for i in range(len(wanted)))
        sql_where += (
            f" AND (e.division_code, e.grid, e.building) IN (VALUES {triples})"
            if wanted
            else " AND 0"
        )
        for i, (group_code, group_grid, group_building) in enumerate(wanted):
            params |= {f"c{i}": group_code, f"g{i}": group_grid, f"b{i}": group_building}
    # Through the progress index (the order asks for it): it holds the status, so only
    # the rows listed are read, a building at a time; the (round, person) index the
    # planner takes otherwise reads every entry of the round in person-id order.
    cursor = store.db.conn.execute(
        "SELECT e.id, e.status, e.method, e.lost_reason, e.grid, e.building, e.apart, "
        "h.unit, h.room, h.address, p.name, p.phone, p.category, p.level, "
        "e.division_code AS community, e.division_code "
        "FROM survey_entries e JOIN persons p ON p.id = e.person_id "
        f"JOIN households h ON h.id = e.household_id WHERE {sql_where} "
        "ORDER BY e.division_code, e.grid, e.building",
        params,
    )
    # The columns named in the rows: "community" (its label) only where there are several.
    names = [d[0] for d in cursor.description][: -1 if shown else -2]
    # Each place's rows: (code, grid, building) where the database holds several
    # communities, else (grid, building) whatever its codes (`_merged`).
    parts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    mixed: set[tuple[str, ...]] = set()  # places whose rows came under two codes
    # A building at a time as the index hands them over (sorted by unit, room, name, id):
    # cheaper than sorting, and holding, the whole list at once.
    for (code, grid, building), part in groupby(cursor, key=itemgetter(15, 4, 5)):
        ordered = sorted(part, key=lambda r: (natural_key(r[7]), natural_key(r[8]), r[10], r[0]))
        place: tuple[str, ...] = (code, grid, building) if shown else (grid, building)
        if place in parts:
            mixed.add(place)
        labelled = {"community": shown.get(code, "")} if shown else {}
        parts.setdefault(place, []).extend(
            dict(zip(names, row, strict=False)) | labelled for row in ordered
        )
    for mixed_place in mixed:
        parts[mixed_place].sort(
            key=lambda r: (natural_key(r["unit"]), natural_key(r["room"]), r["name"], r["id"])
        )
    rows = [row for where in _merged(wanted, shown) for row in parts.get(where, ())]
    return rows[:limit], total


def _count(store: Store, sql_where: str, params: dict[str, Any]) -> int:
    return int(store.scalar(f"SELECT count(*) FROM survey_entries e WHERE {sql_where}", params))


def _merged(wanted: list[tuple[str, str, str]], shown: dict[str, str]) -> list[Any]:
    """The places in list order: each (code, grid, building) where the database holds
    several communities, else each (grid, building) once whatever its codes."""
    if shown:
        return list(wanted)
    return list(dict.fromkeys((grid, building) for _, grid, building in wanted))


# -- one person's survey ----------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    id: str
    version: int
    round: Round
    person_id: str
    household_id: str
    name: str
    address: str
    apart: bool
    status: str
    method: str
    lost_reason: str
    surveyed_on: str
    answers: dict[str, Any]
    section: int
    adopted_on: str
    subject: form.Subject


def get_entry(store: Store, entry_id: str) -> Entry:
    rows = store.query(
        "SELECT e.*, p.name, p.birth_date, p.category, p.level, h.address, "
        "r.year, r.ref_date, r.closed_on, r.version AS round_version "
        "FROM survey_entries e JOIN persons p ON p.id = e.person_id "
        "JOIN households h ON h.id = e.household_id JOIN survey_rounds r ON r.id = e.round_id "
        "WHERE e.id = ?",
        (entry_id,),
    )
    if not rows:
        raise NotFoundError("找不到这条调查记录。")
    row = rows[0]
    round = Round(
        row["round_id"], row["year"], row["ref_date"], row["closed_on"], row["round_version"]
    )
    age = age_on_text(row["birth_date"], date.fromisoformat(round.ref_date))
    return Entry(
        id=row["id"],
        version=row["version"],
        round=round,
        person_id=row["person_id"],
        household_id=row["household_id"],
        name=row["name"],
        address=row["address"],
        apart=bool(row["apart"]),
        status=row["status"],
        method=row["method"],
        lost_reason=row["lost_reason"],
        surveyed_on=row["surveyed_on"],
        answers=json.loads(row["answers"]),
        section=row["section"],
        adopted_on=row["adopted_on"],
        subject=form.Subject(age, row["category"], row["level"]),
    )


def entry_for_person(store: Store, person_id: str, year: int | None = None) -> Entry:
    """The person's entry in the round of `year` (default: the newest round)."""
    round = get_round(store, year)
    entry_id = store.scalar(
        "SELECT id FROM survey_entries WHERE round_id = ? AND person_id = ?", (round.id, person_id)
    )
    if entry_id is None:
        raise NotFoundError(f"此人不在{round.title}的名单上（调查时点后才登记）。")
    return get_entry(store, entry_id)


def facts(store: Store, person_id: str) -> rules.Facts:
    row = store.query(
        "SELECT p.benefits, h.flags, p.pension_scheme, p.medical_scheme, p.school, p.trained_on "
        "FROM persons p JOIN households h ON h.id = p.household_id WHERE p.id = ?",
        (person_id,),
    )[0]
    return rules.Facts(
        frozenset(json.loads(row["benefits"])),
        frozenset(json.loads(row["flags"])),
        row["pension_scheme"],
        row["medical_scheme"],
        row["school"],
        row["trained_on"],
    )


def last_year_answers(store: Store, entry: Entry) -> dict[str, Any]:
    text = store.scalar(
        "SELECT e.answers FROM survey_entries e JOIN survey_rounds r ON r.id = e.round_id "
        "WHERE e.person_id = ? AND r.year < ? AND e.status = 'done' ORDER BY r.year DESC LIMIT 1",
        (entry.person_id, entry.round.year),
    )
    return json.loads(text) if text else {}


def starting_answers(store: Store, entry: Entry) -> tuple[dict[str, Any], dict[str, str]]:
    """What the form opens with: saved answers when resuming, else the pre-fill
    (register facts first, then last year's answers), with each answer's source."""
    if entry.status in ("draft", "done"):
        return dict(entry.answers), {k: "已填" for k in entry.answers}
    register = rules.register_answers(facts(store, entry.person_id), entry.round.year)
    answers, sources = rules.prefill(register, last_year_answers(store, entry))
    return form.clean(entry.subject, answers), sources


def write_entry(store: Store, entry: Entry, values: dict[str, Any], action: str) -> Entry:
    """One audited change of an entry, as its screen opened it (refused once the round is closed)."""
    if entry.round.closed_on:
        raise InputError(f"{entry.round.title}已结束，不能再修改")
    records.update(
        store, "survey_entries", entry.id, values, expected_version=entry.version, action=action
    )
    return get_entry(store, entry.id)


def save_draft(store: Store, entry: Entry, answers: dict[str, Any], section: int) -> Entry:
    """Keep what was answered so far and where the worker was (resumable)."""
    status = "done" if entry.status == "done" else "draft"
    values = {
        "answers": json.dumps(form.clean(entry.subject, answers), ensure_ascii=False),
        "section": section,
        "status": status,
    }
    return write_entry(store, entry, values, "保存调查（未完成）")


def finish(
    store: Store, entry: Entry, answers: dict[str, Any], method: str, surveyed_on: str
) -> Entry:
    """The survey done: every applicable item answered, the method and day recorded,
    and a follow-up opened on the household for each new need."""
    if method not in rules.METHODS:
        raise InputError("请选择调查方式：入户、见面或电话", "method")
    day = parse_day(surveyed_on, store.today(), field="surveyed_on", label="调查日期")
    clean = form.clean(entry.subject, answers)
    left = form.missing(entry.subject, clean)
    if left:
        names = "、".join(i.title for i in left[:3])
        raise InputError(f"还有 {len(left)} 项没有填写：{names}", left[0].key)
    with store.transaction():
        done = write_entry(
            store,
            entry,
            {
                "answers": json.dumps(clean, ensure_ascii=False),
                "status": "done",
                "method": method,
                "lost_reason": "",
                "surveyed_on": day.isoformat(),
            },
            f"完成调查（{rules.METHODS[method]}）",
        )
        _open_need_followups(store, done, day)
    return done


def _open_need_followups(store: Store, entry: Entry, day: date) -> None:
    """One follow-up per need of the survey, not twice for the same entry and need."""
    open_already = {
        row[0]
        for row in store.db.conn.execute(
            "SELECT what FROM followups WHERE source = 'survey' AND source_id = ?", (entry.id,)
        )
    }
    due = (day + timedelta(days=30)).isoformat()
    for code in entry.answers.get("needs", []):
        if code not in form.NEED_FOLLOWUPS:
            continue
        what = f"调查需求：{form.NEED_FOLLOWUPS[code]}（{entry.round.year}年度基本状况调查）"
        if what in open_already:
            continue
        followups.add_followup(
            store,
            entry.household_id,
            what,
            due,
            person_id=entry.person_id,
            source="survey",
            source_id=entry.id,
        )


def mark_lost(store: Store, entry: Entry, reason: str, day: str) -> Entry:
    """失访 with its reason (外出, 查无此人, 拒访, 死亡, 迁出, 其他)."""
    if reason not in rules.LOST_REASONS:
        raise InputError("请选择失访原因", "lost_reason")
    when = parse_day(day, store.today(), field="surveyed_on", label="失访日期")
    values = {
        "status": "lost",
        "lost_reason": reason,
        "method": "",
        "surveyed_on": when.isoformat(),
    }
    return write_entry(store, entry, values, f"失访（{rules.LOST_REASONS[reason]}）")
