"""Shared fixtures: a fresh database with a site and an operator, and quick builders.

`store` is a migrated database in `tmp_path` with the 建新东路社区 site saved and the
operator 李明 switched in; its clock is fixed at 2026-11-29 10:00.  `make` builds valid
ID numbers, certificates, households and persons through the store's own write path.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from canxie_tui.domain import ids
from canxie_tui.domain.models import Household, Person, Site, Visit
from canxie_tui.store import register, site, visits
from canxie_tui.store.db import Store

NOW = datetime(2026, 11, 29, 10, 0)
TODAY = NOW.date()
SITE = Site("江北区", "500105", "观音桥街道", "500105006", "建新东路社区", "500105006001")
OPERATOR = "李明"


def fixed_clock() -> datetime:
    return NOW


def open_store(
    path: Path, operator: str = OPERATOR, *, clock: Callable[[], datetime] = fixed_clock
) -> Store:
    """Open (creating) a database at `path` with the site saved and `operator` switched in."""
    store = Store.open(path, clock=clock)
    site.save_site(store, SITE)
    site.switch_operator(store, site.add_operator(store, operator))
    return store


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
