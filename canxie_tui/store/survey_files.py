"""What the survey's paper and files show: the 一览表 people, the results rows, raw rows.

The workbooks themselves are laid out in `excel.survey_sheets` (一览表) and
`excel.survey_book` (the round's results); this module only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from canxie_tui.domain import survey_form as form
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.natural import natural_key, place_key
from canxie_tui.domain.places import label
from canxie_tui.domain.survey import NO_BUILDING, NO_GRID, place_value
from canxie_tui.store import places, survey
from canxie_tui.store.connection import Store

DATA_TABLES = ("survey_rounds", "survey_entries")


@dataclass(frozen=True)
class SheetPerson:
    """One person on the 一览表 or in the results: who, where, and their answers."""

    entry: survey.Entry
    sex: str
    id_number: str
    cert_number: str
    category: int | None
    level: int | None
    phone: str
    grid: str
    building: str
    unit: str
    room: str
    answers: dict[str, Any]
    sources: dict[str, str]  # item key -> 档案 / 上年 / 已填
    community: str = ""  # the community's label where the database holds several


_PEOPLE = (
    "SELECT e.id, e.grid, e.building, h.unit, h.room, p.sex, p.id_number, p.cert_number, "
    "p.category, p.level, p.phone, e.division_code FROM survey_entries e "
    "JOIN persons p ON p.id = e.person_id JOIN households h ON h.id = e.household_id "
)


def _people(
    store: Store, where: str, params: dict[str, Any], *, prefill: bool
) -> Iterator[SheetPerson]:
    """The people `where` selects, by place; their answers pre-filled (the 一览表) or as
    saved (the results)."""
    rows = store.query(_PEOPLE + f"WHERE {where}", params)
    names = places.names(store)  # several communities: each one's places together
    rows.sort(key=lambda r: (r["division_code"] if names else "", *place_key(r)))
    for row in rows:
        entry = survey.get_entry(store, row["id"])
        if prefill:
            answers, sources = survey.starting_answers(store, entry)
        else:
            saved = entry.status in ("done", "draft")
            answers, sources = (entry.answers if saved else {}), {}
        yield SheetPerson(
            entry=entry,
            sex=row["sex"],
            id_number=row["id_number"] or "",
            cert_number=row["cert_number"] or "",
            category=row["category"],
            level=row["level"],
            phone=row["phone"],
            grid=row["grid"],
            building=row["building"],
            unit=row["unit"],
            room=row["room"],
            answers=form.clean(entry.subject, answers),
            sources=sources,
            community=names.get(row["division_code"], ""),
        )


def sheet_people(
    store: Store,
    round: survey.Round,
    grid: str,
    building: str | None = None,
    community: str | None = None,
) -> list[SheetPerson]:
    """The people of a grid (or one building of it; of one community's `community` code)
    still to survey, pre-filled."""
    where = "e.round_id = :round AND e.grid = :grid AND e.status IN ('pending', 'draft')"
    params: dict[str, Any] = {"round": round.id, "grid": grid}
    if building is not None:
        where += " AND e.building = :building"
        params["building"] = building
    if community is not None:
        where += " AND e.division_code = :community"
        params["community"] = community
    return list(_people(store, where, params, prefill=True))


def _held(store: Store, round: survey.Round) -> list[tuple[str, str, str]]:
    """The round's (community code, grid, building) as stored: the progress index alone."""
    found = store.db.conn.execute(
        "SELECT DISTINCT division_code, grid, building FROM survey_entries WHERE round_id = ?",
        (round.id,),
    )
    return [tuple(r) for r in found]


def _known(names: dict[str, str], held: set[tuple[str, str]]) -> str:
    """The places of `held` ((code, name as shown)) as a user names them, in order."""
    shown = sorted(held, key=lambda h: (h[0], natural_key(h[1])))
    return "、".join(dict.fromkeys(label(names.get(c, ""), n) for c, n in shown))


def _codes(held: set[tuple[str, str]]) -> Callable[[str], list[str]]:
    return lambda name: [code for code, held_name in held if held_name == name]


def known_place(
    store: Store, round: survey.Round, grid: str | None, building: str | None
) -> tuple[str | None, str | None, str | None]:
    """The community code (None: any), grid and building as stored (None: not asked
    for), from the names typed ("社区·第1网格" at a street or district); a name not on
    the round's list is refused with the names that are (a typo would otherwise read
    as a place where nobody is left), a bare name several communities use with the
    choices."""
    held = _held(store, round)
    names = places.names(store)
    code: str | None = None
    stored_grid = stored_building = None
    if grid is not None:
        grids = {(c if names else "", g or NO_GRID) for c, g, _ in held}
        code, name = places.resolve(store, grid, _codes(grids), "grid")
        if not any(n == name and code in (None, c) for c, n in grids):
            raise InputError(
                f"{round.title}的名单里没有网格“{grid}”。已有网格：{_known(names, grids)}",
                "grid",
            )
        stored_grid = place_value(name)
    if building is not None:
        inside = {
            (c if names else "", b or NO_BUILDING)
            for c, g, b in held
            if (stored_grid is None or g == stored_grid) and code in (None, c)
        }
        building_code, name = places.resolve(store, building, _codes(inside), "building")
        # A building of another community than the grid's is not in it either.
        elsewhere = building_code is not None and code not in (None, building_code)
        code = code or building_code
        if elsewhere or not any(n == name and code in (None, c) for c, n in inside):
            where = grid if grid is not None else f"{round.title}的名单"
            raise InputError(
                f"{where}里没有楼栋“{building}”。已有楼栋：{_known(names, inside)}", "building"
            )
        stored_building = place_value(name)
    return code, stored_grid, stored_building


def result_people(store: Store, round: survey.Round) -> Iterator[SheetPerson]:
    """Everyone on the round's list, with the answers saved (no pre-fill: results only)."""
    return _people(store, "e.round_id = :round", {"round": round.id}, prefill=False)


def raw_rows(store: Store, round: survey.Round, table: str) -> Iterator[list[Any]]:
    """The round's rows of `table` as stored (the results workbook's data sheets)."""
    key = "id" if table == "survey_rounds" else "round_id"
    cursor = store.db.conn.execute(
        f"SELECT * FROM {table} WHERE {key} = ? ORDER BY pk", (round.id,)
    )
    for values in cursor:
        yield list(values)


def columns(store: Store, table: str) -> list[str]:
    return [r[1] for r in store.db.conn.execute(f"PRAGMA table_info({table})")]
