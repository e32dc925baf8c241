"""The demo builder's history: visits by tier (with festival, survey and heat-wave
calls), the follow-ups they raised, and case notes with their revisions."""

from __future__ import annotations

import json
from datetime import date

from canxie_tui.demo.base import CHUNK, BuilderBase, DemoHousehold, DemoPerson
from canxie_tui.demo.holidays import iso
from canxie_tui.demo.tables import (
    CHECKLIST_JSON,
    EMERGENCY_NOTE,
    FESTIVAL_HELP,
    FOLLOWUP_TEXT,
    HELP_TEXT,
    METHODS_BY_TIER,
    NOTE_DRAFTS,
    NOTE_TEXT,
    OUTCOMES,
    PROBLEM_REFERRAL,
    PROBLEM_TEXT,
    VISIT_NOTES,
)
from canxie_tui.domain import codes
from canxie_tui.domain.models import Operator

__all__ = ["ActivityBuilder"]


class ActivityBuilder(BuilderBase):
    """Makes the register's history since `start_o`: visits, follow-ups, notes."""

    # -- visits ----------------------------------------------------------------------
    def _schedule(self, hh: DemoHousehold, start: int, end: int) -> list[tuple[int, str]]:
        """Visit days and purposes for one household, in date order."""
        rng = self.rng
        interval = self.tier_settings.intervals[hh.tier]
        out: list[tuple[int, str]] = []
        stop = end
        if rng.random() < 0.06:  # not visited lately: overdue now
            stop = end - int(interval * (1.3 + 2 * rng.random()))
        o = start + rng.randrange(interval)
        while o <= stop:
            if rng.random() >= 0.03:  # now and then a call at the weekend
                o = self._next_workday(o)
            if o > end:
                break
            out.append((o, "routine"))
            o += max(1, int(interval * (0.6 + 0.55 * rng.random())))
        if hh.tier != "C" or hh.poor:
            for eve in self.festivals:  # 春节/中秋 慰问
                o = self._next_workday(eve - rng.randint(3, 12))
                if start <= o <= end and o < eve:
                    out.append((o, "festival"))
        for year in range(date.fromordinal(start).year, date.fromordinal(end).year + 1):
            o = self._next_workday(date(year, 4, 1).toordinal() + rng.randrange(80))
            if start <= o <= end:  # 残疾人动态更新调查, April to June
                out.append((o, "survey"))
            heat = date(year, 8, 8).toordinal() + rng.randrange(10)
            if start <= heat <= end and (hh.tier == "A" or "alone" in hh.flags):
                out.append((heat, "emergency"))
        out.sort()
        return out

    def _problem_codes(self, hh: DemoHousehold, person: DemoPerson) -> list[str]:
        rng = self.rng
        options = ["health", "other"]
        if hh.poor:
            options += ["living", "living"]
        if person.severe or "bedridden" in person.care:
            options += ["care", "health"]
        if "unsafe_house" in hh.flags:
            options += ["housing", "housing"]
        if person.category in (5, 6):
            options += ["mental", "mental"]
        if 6 <= person.age <= 15:
            options += ["education", "education"]
        elif 16 <= person.age <= 59:
            options.append("employment")
        if (person.severe and "care_subsidy" not in person.benefits) or rng.random() < 0.3:
            options += ["policy", "policy"]
        if "barrier_free_needed" in person.benefits and "barrier_free_done" not in person.benefits:
            options.append("barrier")
        first = rng.choice(options)
        second = rng.choice(options) if rng.random() < 0.2 else first
        return sorted({first, second})

    def _method(self, hh: DemoHousehold, day: int, purpose: str) -> str:
        rng = self.rng
        if purpose == "festival":
            return "home"
        if purpose == "survey":
            return "home" if rng.random() < 0.75 else "phone"
        if purpose == "emergency":
            return "phone"
        if day % 7 in (0, 6):
            return "phone" if rng.random() < 0.7 else "wechat"
        methods, weights = METHODS_BY_TIER[hh.tier]
        return rng.choices(methods, weights)[0]

    def build_visits(self) -> None:
        total = len(self.households)
        for index, hh in enumerate(self.households):
            certified = hh.certified()
            end = min(self.today_o, max(p.until for p in certified) - 1)
            if end >= self.start_o:
                self._household_visits(hh, certified, end)
            if self.out.size() >= CHUNK:
                self.out.flush()
                self.report("生成走访记录", index + 1, total)
        self.out.flush()
        self.report("生成走访记录", total, total)

    def _household_visits(self, hh: DemoHousehold, certified: list[DemoPerson], end: int) -> None:
        schedule = self._schedule(hh, self.start_o, end)
        revisits: list[tuple[int, str]] = []
        last_day = -1
        while schedule or revisits:
            if revisits and (not schedule or revisits[0] <= schedule[0]):
                day, purpose = revisits.pop(0)
            else:
                day, purpose = schedule.pop(0)
            active = [p for p in certified if p.until > day]
            if day == last_day or day > end or not active:
                continue
            last_day = day
            revisit = self._visit(hh, day, purpose, active)
            if revisit and revisit <= end:
                revisits.append((revisit, "revisit"))
                revisits.sort()

    def _visit(self, hh: DemoHousehold, day: int, purpose: str, active: list[DemoPerson]) -> int:
        """Write one visit; return the day of a revisit it calls for (0 for none)."""
        rng = self.rng
        ops = self.operators
        method = self._method(hh, day, purpose)
        focus = rng.choice(active)
        people = [focus]
        if method == "home":
            people = active + [p for p in hh.persons if not p.certified and rng.random() < 0.5]
        first = hh.owner if rng.random() < 0.85 else rng.randrange(len(ops))
        visitors = [ops[first]]
        if method == "home" and len(ops) > 1 and rng.random() < 0.4:
            visitors.append(ops[(first + 1 + rng.randrange(len(ops) - 1)) % len(ops)])
        row = {
            **self._record(self._stamp(day), visitors[0].name),
            "household_id": hh.id,
            "visit_date": iso(day),
            "method": method,
            "purpose": purpose,
            "checklist": rng.choice(CHECKLIST_JSON[method]),
            "problems": "[]",
            "problem_text": "",
            "help_given": FESTIVAL_HELP if purpose == "festival" else "",
            "referrals": "[]",
            "note": EMERGENCY_NOTE if purpose == "emergency" else "",
            "tier": self._most_frequent(p.tier for p in people if p.certified),
        }
        revisit = 0
        problem_p = {"A": 0.15, "B": 0.1, "C": 0.06}[hh.tier]
        if purpose == "survey":
            problem_p = 0.15
        elif purpose in ("festival", "revisit"):
            problem_p = 0.04
        if rng.random() < problem_p:
            found = self._problem_codes(hh, focus)
            row["problems"] = json.dumps(found)
            row["problem_text"] = "；".join(rng.choice(PROBLEM_TEXT[c]) for c in found)
            row["help_given"] = rng.choice(HELP_TEXT)
            if rng.random() < 0.3:
                referred = {rng.choice(PROBLEM_REFERRAL[c]) for c in found}
                row["referrals"] = json.dumps(sorted(referred))
            if rng.random() < 0.3:
                revisit = self._next_workday(day + rng.randint(7, 20))
            if rng.random() < 0.5:
                self._followup(hh, focus, row["id"], day, found[0], visitors[0])
        if not row["note"] and rng.random() < 0.4:
            row["note"] = rng.choice(VISIT_NOTES[method])
        self.out.add("visits", row)
        for op in visitors:
            self.out.add("visit_visitors", {"visit_id": row["id"], "operator_id": op.id})
        for p in people:
            self.out.add("visit_persons", {"visit_id": row["id"], "person_id": p.id})
            self.last_visit[p.id] = (row["visit_date"], method)
        return revisit

    def _followup(
        self,
        hh: DemoHousehold,
        person: DemoPerson,
        visit_id: str,
        day: int,
        code: str,
        owner: Operator,
    ) -> None:
        rng = self.rng
        urgent = code in ("care", "health", "housing") and rng.random() < 0.3
        due = day + (rng.randint(2, 7) if urgent else rng.randint(7, 30))
        late = self.today_o - due
        created = self._stamp(day, 14, 18)
        row = {
            **self._record(created, owner.name),
            "household_id": hh.id,
            "person_id": person.id,
            "source": "visit",
            "source_id": visit_id,
            "what": FOLLOWUP_TEXT[code],
            "due_date": iso(due),
            "urgent": int(urgent),
            "owner_id": owner.id,
            "status": "open",
            "closed_date": "",
            "outcome": "",
        }
        if rng.random() < (0.997 if late > 90 else 0.9 if late > 14 else 0.5 if late > 0 else 0.2):
            closed = min(self.today_o, day + rng.randint(1, max(2, due - day + 10)))
            row.update(
                status="closed",
                closed_date=iso(closed),
                outcome=rng.choice(OUTCOMES),
                version=2,
                updated_at=max(self._stamp(closed), created),
            )
        self.out.add("followups", row)

    def write_last_visits(self) -> None:
        self.out.conn.executemany(
            "UPDATE persons SET last_visit_date = ?, last_visit_method = ? WHERE id = ?",
            [(day, method, pid) for pid, (day, method) in self.last_visit.items()],
        )

    # -- notes -------------------------------------------------------------------------
    def build_notes(self) -> None:
        rng = self.rng
        rate = {"A": 0.3, "B": 0.1, "C": 0.03}  # notes per household and month
        span = self.today_o - self.start_o
        for hh in self.households:
            expected = rate[hh.tier] * self.scale.months
            n = int(expected) + (rng.random() < expected - int(expected))
            certified = hh.certified()
            for _ in range(n):
                day = self.start_o + rng.randrange(span + 1)
                alive = [p for p in certified if p.until > day]
                if alive:
                    self._note(hh, rng.choice(alive), day)
        self.out.flush()
        self.report("生成个案记录", 1, 1)

    def _note(self, hh: DemoHousehold, person: DemoPerson, day: int) -> None:
        """A case note; some were edited once or twice (the earlier texts are revisions)."""
        rng = self.rng
        ops = self.operators
        category = rng.choices(tuple(codes.NOTE_CATEGORIES), (25, 20, 20, 25, 10))[0]
        body = rng.choice(NOTE_TEXT[category]).format(n=person.name)
        author = ops[hh.owner if rng.random() < 0.8 else rng.randrange(len(ops))]
        created = self._stamp(day, 9, 18)
        r = rng.random()
        edits = 2 if r < 0.03 else 1 if r < 0.13 else 0
        texts = [rng.choice(NOTE_DRAFTS).format(b=body), body][:edits]  # the replaced texts
        if edits == 2:
            body += "已电话核实。"
        row = {
            **self._record(created, author.name, version=1 + len(texts)),
            "household_id": hh.id,
            "person_id": person.id if rng.random() < 0.7 else None,
            "category": category,
            "body": body,
            "author_id": author.id,
            "author_name": author.name,
        }
        written = created  # when the text being replaced was written
        for revision, text in enumerate(texts, 1):
            edited = self._stamp(min(self.today_o, day + revision * rng.randint(1, 10)), 9, 18)
            self.out.add(
                "note_revisions",
                {
                    "note_id": row["id"],
                    "revision": revision,
                    "category": category,
                    "body": text,
                    "author_name": author.name,
                    "revised_at": written,
                },
            )
            written = row["updated_at"] = max(edited, written)
        self.out.add("notes", row)
