"""Shared fixtures: a fresh database with a site and an operator, and quick builders.

`store` is a migrated database in `tmp_path` with the 建新东路社区 site saved and the
operator 李明 switched in; its clock is fixed at 2026-11-29 10:00.  `make` builds valid
ID numbers, certificates, households and persons through the store's own write path.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from canxie_tui.demo.builder import DEMO_DISTRICT_SECRET
from canxie_tui.domain import ids
from canxie_tui.domain.models import Household, Person, Site, Visit
from canxie_tui.store import register, session, site, visits
from canxie_tui.store.connection import Store

NOW = datetime(2026, 11, 29, 10, 0)
TODAY = NOW.date()
SITE = Site("江北区", "500105", "观音桥街道", "500105006", "建新东路社区", "500105006001")
OPERATOR = "李明"
# The test district's secret: communities opened here hold the key it issues.
DISTRICT_SECRET = DEMO_DISTRICT_SECRET


def fixed_clock() -> datetime:
    return NOW


def open_store(
    path: Path, operator: str = OPERATOR, *, clock: Callable[[], datetime] = fixed_clock
) -> Store:
    """Open (creating) a database at `path` with the site saved and `operator` switched in."""
    store = session.open_store(path, clock=clock)
    site.save_site(store, SITE)
    site.switch_operator(store, site.add_operator(store, operator))
    give_key(store)
    return store


def give_key(store: Store, community_code: str = SITE.community_code) -> None:
    """Keep the key the test district (DISTRICT_SECRET) issues to `community_code`."""
    from canxie_tui.domain.transit import issue_key
    from canxie_tui.store.keys import set_community_key

    set_community_key(store, issue_key(DISTRICT_SECRET, community_code), community_code)


class Clock:
    """A clock a test can move (registration dates, visits "last month" ...).

    `store.clock = Clock(...)`, then `clock.set(date(2026, 9, 1))` before a write.
    """

    def __init__(self, now: datetime | date = NOW) -> None:
        self.now = NOW
        self.set(now)

    def set(self, when: datetime | date) -> None:
        self.now = (
            when if isinstance(when, datetime) else datetime(when.year, when.month, when.day, 9)
        )

    def __call__(self) -> datetime:
        return self.now


# Two communities of one street with the same grid and building names (第1网格, 8栋).
EAST = ("500105006001", "建新东路社区")
WEST = ("500105006002", "建新西路社区")


class Make:
    """Builders of valid test data; every ID number it hands out is unique."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._seq = itertools.count(1)

    def id_number(
        self, birth: date = date(1968, 5, 12), *, male: bool = True, area: str = "500105"
    ) -> str:
        n = next(self._seq)
        return ids.make_id(area, birth, 2 * n + (1 if male else 0))

    def certificate(self, id_number: str, category: int = 4, level: int = 2) -> str:
        return ids.make_certificate(id_number, category, level)

    def person_values(
        self,
        name: str,
        *,
        category: int | None = 4,
        level: int | None = 2,
        birth: date = date(1968, 5, 12),
        male: bool = True,
        **extra: Any,
    ) -> dict[str, Any]:
        """Form values for a certificate holder (or, with category=None, a family member)."""
        values: dict[str, Any] = {"name": name, "relation": "户主"}
        if category is not None:
            id_number = self.id_number(birth, male=male)
            values |= {
                "id_number": id_number,
                "cert_number": self.certificate(id_number, category, level or 1),
                "category": category,
                "level": level,
            }
        return values | extra

    def household(self, address: str = "建新东路1号", **values: Any) -> Household:
        return register.add_household(self.store, {"address": address, **values})

    def community_home(self, community: tuple[str, str], address: str, **values: Any) -> Household:
        """A household of `community` (code, name): a street's or district's database."""
        code, name = community
        return self.household(address, division_code=code, division_name=name, **values)

    def person(
        self, household: Household | None = None, name: str = "王芳", **values: Any
    ) -> Person:
        household = household or self.household()
        return register.add_person(self.store, household.id, self.person_values(name, **values))

    def visit_values(
        self,
        day: date | str,
        persons: list[Person],
        *,
        method: str = "home",
        visitors: list[str] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Form values for a visit by the current operator (or `visitors`) on `day`."""
        return {
            "visit_date": day.isoformat() if isinstance(day, date) else day,
            "method": method,
            "visitors": visitors if visitors is not None else [self.store.operator_id],
            "persons_seen": [p.id for p in persons],
        } | extra

    def visit(self, day: date | str, *persons: Person, method: str = "home", **extra: Any) -> Visit:
        """Log a visit to the household of `persons[0]`, seeing `persons`."""
        values = self.visit_values(day, list(persons), method=method, **extra)
        return visits.add_visit(self.store, persons[0].household_id, values)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    store = open_store(db_path)
    yield store
    store.close()


@pytest.fixture
def make(store: Store) -> Make:
    return Make(store)


# -- a month of activity (monthly return tests) -------------------------------------------
INJECTION_TEXTS = ('=HYPERLINK("http://x","点我")', "+8613800000000", "-1", "@SUM(A1)")


@dataclass
class Month:
    """What `build_month` made: two households, their people and the month's records."""

    year: int
    month: int
    wang: Person  # 肢体二级, household `home`
    li: Person  # family member without a certificate, named like a formula
    zhang: Person  # 精神三级, household `other`
    home: Household
    other: Household
    visits: list[Visit]
    withdrawn: Visit
    earlier: Visit  # in the month before: not part of the month
    note_id: str
    member_id: str
    event_id: str


def build_month(store: Store, make: Make, year: int = 2026, month: int = 11) -> Month:
    """Visits, a follow-up, an edited note, 渝馨家园 attendance and an emergency event.

    The store's clock must be on or after day 20 of the month.  Free texts carry the
    formula-injection values, a CR/LF, a control character and an ID number.
    """
    from canxie_tui.store import daycare, notes, records

    def day(n: int) -> date:
        return date(year, month, n)

    before = date(year - (month == 1), 12 if month == 1 else month - 1, 20)
    home = make.household("建新东路1号", building="5栋", unit="2单元", room="301", grid="第3网格")
    other = make.household('=HYPERLINK("http://x","点我")', building="9栋")
    wang = make.person(home, "王芳", category=4, level=2, birth=date(1968, 5, 12))
    li = make.person(home, INJECTION_TEXTS[0], category=None, relation="配偶")
    zhang = make.person(other, "张强", category=6, level=3, male=True, birth=date(1975, 2, 3))
    clock = store.clock
    store.clock = lambda: datetime(before.year, before.month, before.day, 16)
    earlier = make.visit(before, wang, method="phone")  # written then, too
    store.clock = clock
    first = make.visit(
        day(3),
        wang,
        li,
        problems=["living", "other"],
        problem_text=INJECTION_TEXTS[0],
        help_given=INJECTION_TEXTS[2],
        referrals=["civil"],
        note=INJECTION_TEXTS[1],
        followup_what="协助申请护理补贴",
        followup_due=day(17).isoformat(),
        followup_urgent=True,
    )
    second = make.visit(day(10), zhang, method="phone", note=INJECTION_TEXTS[3])
    third = make.visit(day(10), wang, method="wechat", purpose="festival")
    withdrawn = make.visit(day(12), zhang, method="home")
    visits.withdraw_visit(store, withdrawn, "录错了")
    note = notes.add_note(
        store, home.id, "need", f"王芳身份证号{wang.id_number}已核实。\r\n需要轮椅\x07", wang.id
    )
    note = notes.edit_note(store, note, "need", note.body + "（已登记）")
    notes.add_note(store, other.id, "plan", INJECTION_TEXTS[3])
    member = daycare.enrol(store, wang.id, ["day_care", "rehab"], "12345", day(1))
    weekdays = [d for d in range(1, 20) if day(d).isoweekday() <= 5]
    daycare.set_closed(store, day(weekdays[0]), "设施检修")
    for n in weekdays[1:4]:
        daycare.mark(store, member.id, day(n), "present", meal=True)
    daycare.mark(store, member.id, day(weekdays[4]), "present", half_day=True)
    daycare.mark(store, member.id, day(weekdays[5]), "leave", note="病假")
    event_id = records.insert(
        store,
        "emergency_events",
        {"kind": "heat", "name": "高温橙色预警", "started_at": f"{day(15).isoformat()}T08:00:00"},
    )
    for person, status in ((wang, "safe"), (zhang, "help")):
        records.insert(
            store,
            "emergency_checks",
            {"event_id": event_id, "person_id": person.id, "status": status},
        )
    return Month(
        year,
        month,
        register.get_person(store, wang.id),
        li,
        zhang,
        home,
        other,
        [first, second, third],
        withdrawn,
        earlier,
        note.id,
        member.id,
        event_id,
    )


def dump_database(path: Path) -> list[str]:
    """Every schema statement and row, as SQL text (no journal mode, no page layout)."""
    import sqlite3

    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def folder_state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its bytes and mtime: 'nothing changed' means equal."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def district_store(path: Path) -> Store:
    """A district database (江北区 500105) with the tests' secret and its operator."""
    from canxie_tui.store.district import set_district

    store = session.open_store(path, clock=fixed_clock)
    set_district(store, "江北区", "500105", secret=DISTRICT_SECRET)
    site.switch_operator(store, site.add_operator(store, "区残联张敏"))
    return store


@pytest.fixture
def dist(tmp_path: Path) -> Iterator[Store]:
    """The district database of the merge tests."""
    store = district_store(tmp_path / "district.db")
    yield store
    store.close()
