"""The demo builder's 渝馨家园: closed days, members and their services, daily
attendance, and the follow-ups that runs of absences raised."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from canxie_tui.demo.base import CHUNK, BuilderBase, DemoHousehold, DemoPerson
from canxie_tui.demo.holidays import iso
from canxie_tui.demo.tables import CLOSURE_EXTRA, LEAVE_NOTES, MEMBER_END_REASONS, WEEKDAY_PLANS
from canxie_tui.domain import codes

__all__ = ["DaycareBuilder"]


class DaycareBuilder(BuilderBase):
    """Makes the 渝馨家园's records since `start_o`."""

    # -- 渝馨家园 ------------------------------------------------------------------------
    def build_daycare(self) -> None:
        closures = self._closures()
        open_days = [
            o
            for o in range(self.start_o, self.today_o + 1)
            if self._is_open_day(o) and o not in closures
        ]
        members = self._choose_members()
        for index, (hh, person) in enumerate(members, 1):
            self._member(hh, person, open_days)
            if self.out.size() >= CHUNK:
                self.out.flush()
                self.report("生成渝馨家园考勤", index, len(members))
        self.out.flush()
        self.report("生成渝馨家园考勤", len(members), len(members))

    def _closures(self) -> set[int]:
        """Closed days: public holidays on weekdays (and the next weeks'), a few others."""
        closures: dict[int, str] = {}
        for o in range(self.start_o, self.today_o + 46):
            if o in self.holidays and o % 7 not in (0, 6):
                closures[o] = self.holidays[o]
        for year in range(date.fromordinal(self.start_o).year, self.today.year + 1):
            o = self._next_workday(date(year, 3, 1).toordinal() + self.rng.randrange(200))
            if self.start_o <= o <= self.today_o and o not in closures:
                closures[o] = self.rng.choice(CLOSURE_EXTRA)
        by = self.operators[0].name
        for o, reason in sorted(closures.items()):
            at = f"{iso(min(o, self.today_o) - 7)}T16:00:00"
            self.out.add(
                "daycare_closures", {**self._record(at, by), "day": iso(o), "reason": reason}
            )
        return set(closures)

    def _choose_members(self) -> list[tuple[DemoHousehold, DemoPerson]]:
        """Active adults, 智力/精神 most likely, then 肢体 and 多重."""
        candidates: list[tuple[DemoHousehold, DemoPerson]] = []
        weights: list[float] = []
        for hh in self.households:
            for p in hh.certified():
                if p.status == codes.ACTIVE and 16 <= p.age <= 75:
                    candidates.append((hh, p))
                    weights.append({5: 3.0, 6: 3.0, 4: 1.5, 7: 1.0}.get(p.category or 0, 0.5))
        chosen: dict[str, tuple[DemoHousehold, DemoPerson]] = {}
        while len(chosen) < min(self.scale.daycare_members, len(candidates)):
            hh, p = self.rng.choices(candidates, weights)[0]
            chosen.setdefault(p.id, (hh, p))
        return list(chosen.values())

    def _member(self, hh: DemoHousehold, p: DemoPerson, open_days: list[int]) -> None:
        rng = self.rng
        chance = self._chance
        cat = p.category
        wanted = {
            "day_care": chance(0.9 if cat in (5, 6) else 0.5),
            "residential": chance(0.05),
            "rehab": chance(0.8 if cat in (4, 7) else 0.35),
            "work": chance(0.45 if cat in (5, 6) and p.age < 55 else 0.1),
            "training": chance(0.2),
            "culture": chance(0.4),
            "counselling": chance(0.4 if cat == 6 else 0.1),
            "errands": chance(0.1),
        }
        services = [s for s in codes.DAYCARE_SERVICES if wanted[s]] or ["day_care"]
        weekdays = rng.choices([w for w, _ in WEEKDAY_PLANS], [n for _, n in WEEKDAY_PLANS])[0]
        if rng.random() < 0.7:
            start = self.start_o - rng.randint(30, 700)
        else:
            start = self.start_o + rng.randrange(max(1, self.today_o - self.start_o - 20))
        end = 0
        member = {
            **self._record(f"{iso(start)}T10:00:00", self.operators[0].name),
            "person_id": p.id,
            "services": json.dumps(services),
            "weekdays": weekdays,
            "start_date": iso(start),
            "end_date": "",
            "end_reason": "",
        }
        if rng.random() < 0.1 and self.today_o - start > 60:
            end = min(self.today_o - 5, max(start, self.start_o) + rng.randint(30, 300))
            member.update(
                end_date=iso(end),
                end_reason=rng.choice(MEMBER_END_REASONS),
                version=2,
                updated_at=f"{iso(end)}T10:00:00",
            )
        self.out.add("daycare_members", member)
        days = [
            o
            for o in open_days
            if o >= start and (not end or o <= end) and str(o % 7 or 7) in weekdays
        ]
        streak = self._absence_streak(hh, p, member["id"], days)
        self._attendance(member, days, streak, services)

    def _absence_streak(
        self, hh: DemoHousehold, p: DemoPerson, member_id: str, days: list[int]
    ) -> set[int]:
        """Now and then 3-5 absences in a row, and the follow-up they raised."""
        rng = self.rng
        if len(days) <= 10 or rng.random() >= 0.12:
            return set()
        k = rng.randrange(len(days) - 5)
        streak = days[k : k + rng.randint(3, 5)]
        due = self._next_workday(streak[-1] + 2)
        owner = self.operators[hh.owner]
        row = {
            **self._record(f"{iso(streak[-1])}T17:00:00", owner.name),
            "household_id": hh.id,
            "person_id": p.id,
            "source": "attendance",
            "source_id": member_id,
            "what": f"连续缺勤{len(streak)}天，请电话或上门了解情况",
            "due_date": iso(due),
            "urgent": int(p.category in (5, 6)),
            "owner_id": owner.id,
            "status": "open",
            "closed_date": "",
            "outcome": "",
        }
        if self.today_o - due > 10:
            closed = iso(min(due, self.today_o))
            row.update(
                status="closed",
                closed_date=closed,
                outcome="已电话联系，身体不适在家休养",
                version=2,
                updated_at=f"{closed}T11:00:00",
            )
        self.out.add("followups", row)
        return set(streak)

    def _attendance(
        self, member: dict[str, Any], days: list[int], streak: set[int], services: list[str]
    ) -> None:
        rng = self.rng
        by = self.operators[0].name
        rate = rng.uniform(0.8, 0.97)
        for o in days:
            day = iso(o)
            r = rng.random()
            row = {
                "member_id": member["id"],
                "day": day,
                "status": "absent",
                "half_day": 0,
                "meal": 0,
                "services": "[]",
                "arrival_time": "",
                "note": "",
            }
            if o not in streak and r < rate:
                half = rng.random() < 0.2
                got = [s for s in services if rng.random() < 0.7] or services[:1]
                hour, minute = (
                    (8, rng.randint(20, 59)) if rng.random() < 0.7 else (9, rng.randint(0, 40))
                )
                if half and rng.random() < 0.4:  # came for the afternoon
                    hour, minute = 13, rng.randint(20, 59)
                row.update(
                    status="present",
                    half_day=int(half),
                    meal=int(rng.random() < (0.3 if half else 0.75)),
                    services=member["services"] if got == services else json.dumps(got),
                    arrival_time=f"{hour:02d}:{minute:02d}",
                )
            elif o not in streak and r < rate + (1 - rate) * 0.6:
                row.update(status="leave", note=rng.choice(LEAVE_NOTES))
            elif rng.random() < 0.5:
                row["note"] = "未到，未请假"
            at = f"{day}T{row['arrival_time'] or '10:30'}:00"
            self.out.add("attendance", {**self._record(at, by), **row})
