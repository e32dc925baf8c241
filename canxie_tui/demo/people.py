"""The demo builder's people: names, ID and certificate numbers, disability, care
needs, benefits (with realistic shortfalls) and leaving the register."""

from __future__ import annotations

from datetime import date

from canxie_tui.demo.base import BuilderBase, DemoHousehold, DemoPerson
from canxie_tui.demo.holidays import iso
from canxie_tui.demo.places import DISTRICT_CODE
from canxie_tui.demo.tables import (
    CATEGORY_BY_AGE,
    CHONGQING,
    COMMON,
    ELSEWHERE,
    GIVEN,
    LEVEL_BY_CATEGORY,
    MOBILE_PREFIXES,
    SICHUAN,
    SICHUAN_CQ,
    STATUS_REASONS,
    SURNAME_LIST,
    SURNAME_WEIGHTS,
)
from canxie_tui.domain import codes, ids
from canxie_tui.domain.dates import age_on

__all__ = ["PeopleBuilder"]


class PeopleBuilder(BuilderBase):
    """Makes one person at a time: who they are, their certificate and needs."""

    # -- phones ----------------------------------------------------------------------
    def _mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _landline(self) -> str:
        exchange = self.rng.choice(("67", "86", "88", "89"))
        return f"023{exchange}{self.rng.randrange(10**6):06d}"

    # -- names and ID numbers --------------------------------------------------------
    def _name(
        self, sex: str, birth_year: int, surname: str | None = None, common: bool = False
    ) -> str:
        """A name; `common` lets a primary person take a forced or very common name."""
        rng = self.rng
        if surname is None and common:
            for i, (forced_sex, forced) in enumerate(self.forced):
                if forced_sex == sex and 1950 <= birth_year <= 1995:
                    del self.forced[i]
                    return forced
            if 1955 <= birth_year <= 2000 and rng.random() < 0.03:
                return rng.choice(COMMON[sex])
        if surname is None:
            surname = rng.choices(SURNAME_LIST, SURNAME_WEIGHTS)[0]
        era = 0 if birth_year < 1965 else 1 if birth_year < 2000 else 2
        return surname + rng.choice(GIVEN[sex, era])

    def _area_code(self, birth_year: int, town: bool) -> str:
        """Where a number was first assigned: Sichuan-era codes for the older people."""
        rng = self.rng
        r = rng.random()
        home_old = "510224" if town else "510211"  # 江北县 (the towns) / 江北区, 1983-1997
        if birth_year < 1990:
            if r < 0.75:
                return home_old
            if r < 0.85:
                return rng.choice(SICHUAN_CQ)
            return rng.choice(SICHUAN if r < 0.94 else ELSEWHERE)
        if birth_year < 1997:
            if r < 0.5:
                return home_old
            return DISTRICT_CODE if r < 0.9 else rng.choice(CHONGQING)
        if birth_year >= 2019 and self.today >= date(2025, 11, 1) and r < 0.08:
            return "500157"  # household registration done late, after the move to 两江新区
        if r < 0.85:
            return DISTRICT_CODE
        return rng.choice(CHONGQING if r < 0.95 else ELSEWHERE)

    def _id_number(self, birth: date, sex: str, town: bool) -> str:
        area = self._area_code(birth.year, town)
        parity = 1 if sex == "男" else 0
        while True:
            number = ids.make_id(area, birth, self.rng.randrange(500) * 2 + parity)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def _person(
        self,
        age: int,
        sex: str,
        relation: str,
        town: bool,
        surname: str | None = None,
        common: bool = False,
    ) -> DemoPerson:
        days = int(max(0, min(age, 99)) * 365.2425) + self.rng.randrange(365)
        birth = date.fromordinal(self.today_o - days)
        if (birth.month, birth.day) == (2, 29):
            birth = birth.replace(day=28)
        t = self.today
        return DemoPerson(
            id=self._uuid(),
            name=self._name(sex, birth.year, surname, common),
            sex=sex,
            birth=birth,
            age=age_on(birth, t),
            id_number=self._id_number(birth, sex, town),
            relation=relation,
        )

    # -- disability, care and benefits ---------------------------------------------
    def _certify(self, p: DemoPerson) -> None:
        rng = self.rng
        group = "child" if p.age < 16 else "old" if p.age >= 60 else "adult"
        category = rng.choices(range(1, 8), CATEGORY_BY_AGE[group])[0]
        level = rng.choices(range(1, 5), LEVEL_BY_CATEGORY[category])[0]
        r = rng.random()
        reissue = 1 if r < 0.06 else 2 if r < 0.07 else 0  # 补发 B1/B2
        p.category, p.level = category, level
        p.cert = ids.make_certificate(p.id_number, category, level, reissue)

    def _care(self, p: DemoPerson) -> None:
        chance = self._chance
        cat, severe, age = p.category, p.severe, p.age
        bedridden = (
            (cat in (4, 7) and p.level == 1 and chance(0.3))
            or (p.level == 2 and age >= 70 and chance(0.1))
            or (age >= 85 and chance(0.05))
        )
        device = ""
        if bedridden and age >= 55 and chance(0.3):
            device = "制氧机"
        elif bedridden and chance(0.04):
            device = "呼吸机"
        elif cat == 4 and severe and chance(0.12):
            device = "电动轮椅"
        elif age >= 50 and severe and chance(0.005):
            device = "透析设备"
        evac = (
            bedridden
            or (cat == 4 and severe and chance(0.8))
            or (cat == 1 and severe and age >= 60)
            or (age >= 85 and chance(0.6))
            or device == "电动轮椅"
        )
        deaf_text = (cat == 2 and ((severe and chance(0.8)) or chance(0.3))) or (
            cat == 7 and chance(0.1)
        )
        blind = cat == 1 and (severe or chance(0.3))
        p.care = [
            flag
            for flag, on in (
                ("bedridden", bedridden),
                ("powered_device", bool(device)),
                ("evac_help", evac),
                ("deaf_text", deaf_text),
                ("blind", blind),
            )
            if on
        ]
        p.device = device
        if 6 <= age <= 15:
            weights = (58, 27, 11, 4) if severe else (80, 15, 3, 2)
            p.school = self.rng.choices(("regular", "special", "home", "not_enrolled"), weights)[0]

    def _benefits(self, p: DemoPerson, hh: DemoHousehold) -> None:
        """Roughly what the rules give, with shortfalls (the indicators' point)."""
        chance = self._chance
        cat, severe, age = p.category, p.severe, p.age
        in_school = p.school in codes.ENROLLED_SCHOOL or (16 <= age <= 20 and chance(0.4))
        got = {
            # Most 重度 receive 护理补贴, some do not; a few districts extend it to 智力/精神.
            "care_subsidy": chance(0.88) if severe else cat in (5, 6) and chance(0.05),
            "living_subsidy": ("dibao" in hh.flags and chance(0.9))
            or ("tekun" in hh.flags and chance(0.5)),
            "in_school": in_school,
            "pension_ins": age >= 16 and not in_school and chance(0.87),
            "medical_ins": chance(0.96),
            "family_doctor": chance(0.88),
        }
        if chance(0.6 if severe else 0.35):
            got["rehab_needed"], got["rehab_received"] = True, chance(0.8)
        if cat in (1, 2, 4, 7) and chance(0.35):
            got["device_needed"], got["device_fitted"] = True, chance(0.8)
        if (hh.poor or severe) and cat in (1, 4, 7) and chance(0.6):
            got["barrier_free_needed"], got["barrier_free_done"] = True, chance(0.7)
        p.benefits = [code for code in codes.BENEFITS if got.get(code)]

    def _status(self, p: DemoPerson) -> None:
        """About 5% have left the register (迁出/死亡/注销), with a date and a reason."""
        rng = self.rng
        r = rng.random()
        death = 0.10 if p.age >= 80 else 0.03 if p.age >= 60 else 0.005
        if r < death:
            status = "deceased"
        elif r < death + 0.02:
            status = "moved"
        elif r < death + 0.025:
            status = "cancelled"
        else:
            return
        o = self.today_o - 1 - rng.randrange(self.today_o - self.start_o + 180)
        p.status, p.until, p.status_date = status, o, iso(o)
        p.status_reason = rng.choice(STATUS_REASONS[status])
        p.version = 2
        p.updated_at = f"{iso(max(o, self.start_o - 20))}T10:{rng.randrange(60):02d}:00"
