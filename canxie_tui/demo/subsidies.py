"""The demo's 两项补贴 histories: a realistic mix, with what the monthly check should find.

Built last, from a generator of its own, so the rest of the demo (names, visits,
attendance) stays as it was; the few register rows it changes are updated here:

- everyone the register marks as receiving gets a 享受 period, most from the
  month the roster was loaded, some approved later after a month 申请中;
- people who left the register were mostly stopped the month after (停发 with the
  reason); a few were not (应停未停);
- most 特困 people once marked for 生活补贴 were moved to 特困供养 (停发), a few not;
- a couple of 护理补贴 paid at the level before a reassessment (变更);
- some eligible people 申请中 this month;
- and two the issue names: a 重度 person who died two months ago and is still
  marked 享受, and an eligible 一级 person who never applied.
"""

from __future__ import annotations

import json
import random
import uuid

from canxie_tui.demo.base import BuilderBase, DemoPerson
from canxie_tui.demo.holidays import iso
from canxie_tui.domain import codes
from canxie_tui.domain.subsidies import (
    APPLYING,
    BENEFIT_CODES,
    CARE,
    KIND_OF_CODE,
    LIVING,
    RECEIVING,
    STOPPED,
    next_month,
    prev_month,
)

DIED_UNREPORTED = "病故（家属未告知社区）"


class SubsidyBuilder(BuilderBase):
    """Adds `build_subsidies` to the demo builder (see `demo.builder`)."""

    def build_subsidies(self) -> None:
        rng = random.Random(f"subsidies:{self.seed}")
        self.report("生成两项补贴记录", 0, 1)
        by = self.operators[0].name
        roster_month = self.roster_at[:7]
        this_month = iso(self.today_o)[:7]
        people = [p for hh in self.households for p in hh.certified()]
        active = [p for p in people if p.status == codes.ACTIVE]
        changed: dict[str, DemoPerson] = {}  # whose register row this changes

        def entitled(p: DemoPerson, levels: frozenset[int] = frozenset({1})) -> bool:
            cq = p.hukou == codes.HUKOU_CQ and "injury_care" not in p.benefits
            return cq and p.level in levels

        # The two the issue names.  Picked among what the register already holds, so
        # the rest of the demo (visits, attendance) stays as it was: the latest 重度
        # death before the 8th two months ago becomes a death on that day, not reported.
        target = f"{prev_month(prev_month(this_month))}-08"
        gone = [
            p
            for p in people
            if p.status == "deceased"
            and entitled(p, codes.SEVERE_LEVELS)
            and "" < p.status_date <= target
        ]
        if gone:
            died = max(gone, key=lambda p: p.status_date)
            died.status_date, died.status_reason = target, DIED_UNREPORTED
            died.benefits = sorted({*died.benefits, "care_subsidy"})
            changed[died.id] = died
        never = [p for p in active if entitled(p)]
        if never and all("care_subsidy" in p.benefits for p in never):
            never[0].benefits = [b for b in never[0].benefits if b != "care_subsidy"]
            changed[never[0].id] = never[0]
        tekun_ids = {p.id for hh in self.households if "tekun" in hh.flags for p in hh.certified()}

        def add(p: DemoPerson, kind: str, state: str, first: str, last: str, why: str) -> None:
            at = f"{first}-0{rng.randint(1, 9)}T10:00:00"
            self.out.add(
                "subsidies",
                {
                    # UUIDs from this generator: the demo's own draws stay as they were.
                    **self._record(
                        max(at, self.roster_at),
                        by,
                        record_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    ),
                    "person_id": p.id,
                    "kind": kind,
                    "state": state,
                    "from_month": first,
                    "to_month": last,
                    "level": p.level if kind == CARE else None,
                    "reason": why,
                },
            )

        restated = 0
        for p in people:
            for code in sorted(set(p.benefits) & set(KIND_OF_CODE)):
                kind = KIND_OF_CODE[code]
                start = roster_month
                if rng.random() < 0.15 and roster_month < this_month:
                    # Approved later: a month 申请中 first.
                    start = min(this_month, _months_after(roster_month, rng.randint(1, 5)))
                    add(p, kind, APPLYING, prev_month(start), prev_month(start), "本人申请")
                stop_why = _stop_reason(p, kind, tekun_ids, rng)
                if stop_why is not None:
                    left = p.status_date[:7] if p.status_date else prev_month(this_month)
                    stop = max(next_month(max(left, start)), next_month(start))
                    if stop <= this_month:
                        add(p, kind, RECEIVING, start, prev_month(stop), "审核通过")
                        add(p, kind, STOPPED, stop, "", stop_why)
                        p.benefits = [b for b in p.benefits if b != code]
                        changed[p.id] = p
                        continue
                level = p.level
                if kind == CARE and level == 1 and restated < 2 and rng.random() < 0.1:
                    restated += 1
                    p.level = 2  # paid as 二级; reassessed 一级 since
                add(p, kind, RECEIVING, start, "", "审核通过")
                p.level = level
        # Eligible for 生活补贴, not receiving: some applied this month.
        for hh in self.households:
            if "dibao" not in hh.flags or "tekun" in hh.flags:
                continue
            for p in hh.certified():
                waiting = p.status == codes.ACTIVE and p.hukou == codes.HUKOU_CQ
                if waiting and BENEFIT_CODES[LIVING] not in p.benefits and rng.random() < 0.3:
                    add(p, LIVING, APPLYING, this_month, "", "本人申请，待街道审核")
        self.out.flush()
        self.out.conn.executemany(
            "UPDATE persons SET benefits = ?, status_date = ?, status_reason = ? WHERE id = ?",
            [
                (json.dumps(sorted(p.benefits)), p.status_date, p.status_reason, p.id)
                for p in changed.values()
            ],
        )
        self.report("生成两项补贴记录", 1, 1)


def _months_after(month: str, n: int) -> str:
    for _ in range(n):
        month = next_month(month)
    return month


def _stop_reason(p: DemoPerson, kind: str, tekun_ids: set[str], rng: random.Random) -> str | None:
    """Why this subsidy was stopped properly (most who left; most 特困), None to keep it."""
    if p.status_reason == DIED_UNREPORTED:
        return None
    if p.status != codes.ACTIVE and rng.random() < 0.85:
        label = codes.PERSON_STATUSES[p.status]
        return f"{label}（{p.status_date}），次月停发"
    if kind == LIVING and p.id in tekun_ids and rng.random() < 0.7:
        return "纳入特困供养，改发特困供养金"
    return None
