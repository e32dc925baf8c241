"""The worker's daily to-do: who is overdue for a visit, and who falls due soon.

One range scan over the partial index on persons.next_due_date (kept current by
store.tiers and store.visits), so it stays instant with a million visits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.natural import natural_key
from canxie_tui.domain.places import label
from canxie_tui.store import places
from canxie_tui.store.connection import Store
from canxie_tui.store.register_sql import in_register

_IN_REGISTER = in_register("p")


@dataclass(frozen=True)
class DueItem:
    person_id: str
    household_id: str
    name: str
    tier: str
    tier_reason: str
    next_due_date: str
    overdue_days: int
    last_visit_date: str
    last_visit_method: str
    place: str
    grid: str
    phone: str
    address: str
    community: str = ""  # the community's label where the database holds several

    @property
    def last_visit_text(self) -> str:
        if not self.last_visit_date:
            return "从未走访"
        method = codes.label(codes.VISIT_METHODS, self.last_visit_method)
        return f"{self.last_visit_date} {method}".strip()

    @property
    def due_text(self) -> str:
        """In words (not colour): 逾期12天 / 今天到期 / 3天后到期."""
        if self.overdue_days > 0:
            return f"逾期{self.overdue_days}天"
        if self.overdue_days == 0:
            return "今天到期"
        return f"{-self.overdue_days}天后到期"


@dataclass(frozen=True)
class DueFilters:
    """`grid` and `building` as a user names them: at a street or district "社区·第1网格"
    (`domain.places`), a bare name several communities use refused (InputError)."""

    tier: str | None = None
    grid: str | None = None
    building: str | None = None
    overdue_only: bool = False
    within_days: int = 7


@dataclass(frozen=True)
class DuePage:
    """The first `limit` of the due list, and how many it holds in all."""

    items: list[DueItem]
    total: int  # everyone the filters select
    overdue: int  # of whom overdue (of the items only when not counted)


def due_list(
    store: Store,
    today: date,
    filters: DueFilters | None = None,
    *,
    limit: int = 200,
    count: bool = True,
) -> tuple[list[DueItem], int]:
    """(items, total count) of `due_page`."""
    page = due_page(store, today, filters, limit=limit, count=count)
    return page.items, page.total


def due_page(
    store: Store,
    today: date,
    filters: DueFilters | None = None,
    *,
    limit: int = 200,
    count: bool = True,
) -> DuePage:
    """The overdue, then those due within `within_days` days (today up to and
    including day 7), soonest first; the first `limit` of them and their counts.
    With `count` False nothing is counted beyond the items (the dashboard names only
    the first few).

    Among the overdue, people of a household with an open urgent follow-up come
    first, then tier A, then everyone else; each group most days overdue first.
    """
    f = filters or DueFilters()
    if f.overdue_only:
        where = [_IN_REGISTER, "p.next_due_date != ''", "p.next_due_date < ?"]
        params: list[Any] = [today.isoformat()]
    else:
        where = [_IN_REGISTER, "p.next_due_date != ''", "p.next_due_date <= ?"]
        params = [(today + timedelta(days=f.within_days)).isoformat()]
    if f.tier:
        where.append("p.tier = ?")
        params.append(f.tier)
    shown = places.names(store)  # rows name their community where there are several
    code, grid, building = _place(store, f)
    for column, value in (("grid", grid), ("building", building), ("division_code", code)):
        if value:
            where.append(f"h.{column} = ?")
            params.append(value)
    clause = " AND ".join(where)
    base = f"FROM persons p JOIN households h ON h.id = p.household_id WHERE {clause}"
    # The count needs households only to filter by grid or building.
    count_from = base if (grid or building) else f"FROM persons p WHERE {clause}"
    rows = store.query(
        "SELECT p.id, p.household_id, p.name, p.tier, p.tier_reason, p.next_due_date, "
        "p.last_visit_date, p.last_visit_method, p.phone, h.phone AS home_phone, h.building, "
        f"h.unit, h.room, h.grid, h.address, h.division_code {base} ORDER BY {_ORDER} LIMIT ?",
        [*params, today.isoformat(), today.isoformat(), limit],
    )
    items = [
        DueItem(
            person_id=r["id"],
            household_id=r["household_id"],
            name=r["name"],
            tier=r["tier"],
            tier_reason=r["tier_reason"],
            next_due_date=r["next_due_date"],
            overdue_days=(today - date.fromisoformat(r["next_due_date"])).days,
            last_visit_date=r["last_visit_date"],
            last_visit_method=r["last_visit_method"],
            place="".join((r["building"], r["unit"], r["room"])),
            grid=r["grid"],
            phone=r["phone"] or r["home_phone"],
            address=r["address"],
            community=shown.get(r["division_code"], ""),
        )
        for r in rows
    ]
    if len(rows) < limit or not count:
        return DuePage(items, len(items), sum(1 for i in items if i.overdue_days > 0))
    total, overdue = store.db.conn.execute(
        f"SELECT count(*), coalesce(sum(p.next_due_date < ?), 0) {count_from}",
        [today.isoformat(), *params],
    ).fetchone()
    return DuePage(items, int(total), int(overdue))


# Overdue before due soon; among the overdue an open urgent follow-up of the person
# (or of the household as a whole), then tier A, then the rest; then the date.  The
# urgent follow-ups are read once (two small sets), not looked for under each of the
# thousands overdue at district scale (17 -> 12 ms).
_URGENT = "SELECT f.household_id{} FROM followups f WHERE f.status = 'open' AND f.urgent AND "
_ORDER = (
    "p.next_due_date >= ?, "
    "CASE WHEN p.next_due_date >= ? THEN 2 "
    f"WHEN p.household_id IN ({_URGENT.format('')} f.person_id IS NULL) "
    f"OR (p.household_id, p.id) IN ({_URGENT.format(', f.person_id')} f.person_id IS NOT NULL) "
    "THEN 0 WHEN p.tier = 'A' THEN 1 ELSE 2 END, "
    "p.next_due_date, p.name"
)


def due_counts(store: Store, today: date) -> dict[str, int]:
    """How many are overdue and how many fall due today (one index range)."""
    day = today.isoformat()
    row = store.db.conn.execute(
        "SELECT coalesce(sum(p.next_due_date < ?), 0), coalesce(sum(p.next_due_date = ?), 0) "
        f"FROM persons p WHERE {_IN_REGISTER} AND p.next_due_date != '' AND p.next_due_date <= ?",
        (day, day, day),
    ).fetchone()
    return {"overdue": int(row[0]), "due_today": int(row[1])}


def _place(store: Store, f: DueFilters) -> tuple[str | None, str, str]:
    """(community code or None: any, grid, building) of the filters as typed."""
    code = None
    grid = building = ""
    if f.grid:
        code, grid = places.resolve(store, f.grid, places.holders(store, "h.grid = ?"), "grid")
    if f.building:
        within = [("h.grid = ?", grid), ("h.division_code = ?", code)]
        where = " AND ".join([w for w, v in within if v] + ["h.building = ?"])
        held = places.holders(store, where, *(v for _, v in within if v))
        building_code, building = places.resolve(store, f.building, held, "building")
        code = code or building_code
    return code, grid, building


def grids(store: Store) -> list[str]:
    """The grids for the filter, in natural order (第二网格 before 第十网格); each community's
    named with it ("建新东路社区·第1网格") where the database holds several."""
    shown = places.names(store)
    if not shown:
        found = store.db.conn.execute("SELECT DISTINCT grid FROM households WHERE grid != ''")
        return sorted((r[0] for r in found), key=natural_key)
    pairs = store.db.conn.execute(
        "SELECT DISTINCT division_code, grid FROM households WHERE grid != ''"
    ).fetchall()
    pairs.sort(key=lambda p: (p[0], natural_key(p[1])))
    return [label(shown.get(code, ""), grid) for code, grid in pairs]
