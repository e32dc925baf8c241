"""What every part of the demo builder shares: the scales, the records being made
(persons, households, compounds), the batched row writer, and `BuilderBase` with
the one random generator and the helpers every part draws from.

The parts (`people`, `households`, `activity`, `daycare`) are mixins of one
builder (`builder.DemoBuilder`): they share its generator, so the order of the
draws, and with it the content for a seed, is that of the calls in `build_demo`.
The register facts (户籍, insurance, certificate dates, training) have a second
generator of their own (`facts_rng`), seeded from the same seed.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from canxie_tui.demo.holidays import festival_eves, holidays_in, iso, makeup_workdays
from canxie_tui.demo.places import Community
from canxie_tui.demo.tables import FORCED_NAMES
from canxie_tui.domain import codes
from canxie_tui.domain.models import Operator
from canxie_tui.store import tiers as tier_store
from canxie_tui.store.connection import Store

__all__ = [
    "CHUNK",
    "SCALES",
    "BuilderBase",
    "Compound",
    "DemoHousehold",
    "DemoPerson",
    "DemoScale",
    "Progress",
]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoScale:
    label: str
    certified: int  # certificate holders in the register
    months: int  # history of visits, notes and attendance
    daycare_members: int
    operators: int


SCALES: dict[str, DemoScale] = {
    "community": DemoScale("社区", 300, 6, 25, 3),
    "street": DemoScale("街道", 5_000, 12, 60, 4),
    "district": DemoScale("区", 30_000, 36, 300, 4),
}


@dataclass(slots=True)
class DemoPerson:
    """A person being made (one row of `persons`)."""

    id: str
    name: str
    sex: str
    birth: date
    age: int
    id_number: str
    relation: str = ""
    category: int | None = None
    level: int | None = None
    cert: str | None = None
    phone: str = ""
    status: str = codes.ACTIVE
    status_date: str = ""
    status_reason: str = ""
    until: int = 10**7  # ordinal of the day they left the register
    care: list[str] = field(default_factory=list)
    device: str = ""
    benefits: list[str] = field(default_factory=list)
    school: str = ""
    tier: str = ""  # by the site's tier rules (A weekly, B monthly, C quarterly by default)
    version: int = 1
    updated_at: str = ""
    # Register facts (issue 12): 户籍, insurance schemes, certificate dates, training.
    hukou: str = codes.HUKOU_CQ
    hukou_address: str = ""
    apart: bool = False
    pension: str = ""  # codes.INSURANCE_SCHEMES; '' not recorded
    medical: str = ""
    cert_issued: str = ""
    cert_valid_until: str = ""
    trained_on: str = ""

    @property
    def certified(self) -> bool:
        return self.category is not None

    @property
    def severe(self) -> bool:
        return self.level in codes.SEVERE_LEVELS


@dataclass(slots=True)
class DemoHousehold:
    """A household being made (one row of `households`) and its members."""

    id: str
    community: Community
    address: str
    building: str
    unit: str
    room: str
    grid: str
    persons: list[DemoPerson] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    phone: str = ""
    guardian: DemoPerson | None = None
    guardian_relation: str = ""
    emergency_contact: str = ""
    emergency_phone: str = ""
    note: str = ""
    tier: str = "C"
    owner: int = 0  # index of the operator in charge

    def certified(self) -> list[DemoPerson]:
        return [p for p in self.persons if p.certified]

    @property
    def poor(self) -> bool:
        return any(f in codes.POOR_FLAGS for f in self.flags)


@dataclass(slots=True)
class Compound:
    """A residential compound (road + number, buildings) or a village group (组)."""

    road: str
    number: int
    buildings: int
    units: int
    floors: int
    grid: int


# Parents before children, so that every foreign key finds its row.
_TABLE_ORDER = (
    "households",
    "persons",
    "subsidies",
    "visits",
    "visit_visitors",
    "visit_persons",
    "followups",
    "notes",
    "note_revisions",
    "daycare_closures",
    "daycare_members",
    "attendance",
)
CHUNK = 20_000


class _Writer:
    """Rows waiting for executemany, per table, flushed parents first."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pending: dict[str, list[dict[str, Any]]] = {t: [] for t in _TABLE_ORDER}
        self.counts: dict[str, int] = dict.fromkeys(_TABLE_ORDER, 0)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.pending[table].append(row)

    def size(self) -> int:
        return sum(len(rows) for rows in self.pending.values())

    def flush(self) -> None:
        for table, rows in self.pending.items():
            if not rows:
                continue
            columns = list(rows[0])
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})",
                rows,
            )
            self.counts[table] += len(rows)
            rows.clear()


class BuilderBase:
    """The generator, the calendar, the operators and the households made so far,
    and the rows waiting to be written."""

    def __init__(
        self,
        store: Store,
        scale: DemoScale,
        scale_name: str,
        seed: int,
        today: date,
        progress: Progress | None,
        certified: int,
    ) -> None:
        self.store = store
        self.out = _Writer(store.db.conn)
        self.scale = scale
        self.scale_name = scale_name
        self.rng = random.Random(seed)
        self.seed = seed
        # The register facts added in issue 12 (people.PeopleBuilder._register_facts)
        # draw from their own generator: adding them left the rest of a seed's demo
        # (names, flags, visits, attendance) as it was.
        self.facts_rng = random.Random(f"register-facts:{seed}")
        self.today = today
        self.today_o = today.toordinal()
        self.start_o = (today - timedelta(days=round(scale.months * 30.44))).toordinal()
        self.progress = progress
        self.tier_settings = tier_store.get_settings(store)
        self.certified_target = certified
        self.used_ids: set[str] = set()
        self.forced = list(FORCED_NAMES)
        self.households: list[DemoHousehold] = []
        self.operators: list[Operator] = []
        self.last_visit: dict[str, tuple[str, str]] = {}  # person id -> (date, method)
        self.roster_at = f"{iso(self.start_o - 21)}T09:30:00"  # when the roster was loaded
        self.holidays: dict[int, str] = {}
        self.makeup: set[int] = set()
        self.festivals: list[int] = []
        for year in range(date.fromordinal(self.start_o).year - 1, today.year + 2):
            self.holidays.update(holidays_in(year))
            self.makeup.update(makeup_workdays(year))
            self.festivals += festival_eves(year)

    # -- helpers -----------------------------------------------------------------
    def report(self, label: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(label, done, total)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _record(
        self, at: str, by: str, *, updated_at: str = "", version: int = 1, record_id: str = ""
    ) -> dict[str, Any]:
        """The bookkeeping columns every record table has."""
        return {
            "id": record_id or self._uuid(),
            "version": version,
            "created_at": at,
            "created_by": by,
            "updated_at": max(updated_at, at),
            "updated_by": by,
        }

    def _is_workday(self, o: int) -> bool:
        if o in self.makeup:
            return True
        return o % 7 not in (0, 6) and o not in self.holidays  # ordinal % 7: 0 is a Sunday

    def _is_open_day(self, o: int) -> bool:
        """渝馨家园 opens Monday to Friday except public holidays."""
        return o % 7 not in (0, 6) and o not in self.holidays

    def _next_workday(self, o: int) -> int:
        while not self._is_workday(o):
            o += 1
        return o

    def _stamp(self, o: int, hour_lo: int = 9, hour_hi: int = 17) -> str:
        rng = self.rng
        return f"{iso(o)}T{rng.randint(hour_lo, hour_hi):02d}:{rng.randrange(60):02d}:00"

    def _chance(self, p: float) -> bool:
        return self.rng.random() < p

    def _most_frequent(self, tiers: Iterable[str]) -> str:
        """The most frequently visited of `tiers` (the first in the site's order)."""
        found = set(tiers)
        return next((t for t in self.tier_settings.order if t in found), "")
