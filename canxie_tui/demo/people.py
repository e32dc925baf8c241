"""The demo builder's people: names, ID and certificate numbers, disability, care
needs, benefits (with realistic shortfalls) and leaving the register."""

from __future__ import annotations

from datetime import date

from canxie_tui.demo.base import BuilderBase, DemoHousehold, DemoPerson
from canxie_tui.demo.holidays import iso
from canxie_tui.demo.places import DISTRICT_CODE, DISTRICT_NAME
from canxie_tui.demo.tables import (
    CATEGORY_BY_AGE,
    CHONGQING,
    COMMON,
    ELSEWHERE,
    GIVEN,
    HUKOU_ELSEWHERE_CQ,
    HUKOU_OUTSIDE,
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
        }
        # Insured or not (the scheme is drawn in _register_facts); drawn here, in this
        # order, since the demo's other content follows these draws.
        pension_insured = age >= 16 and not in_school and chance(0.87)
        medical_insured = chance(0.96)
        got["family_doctor"] = chance(0.88)
        if chance(0.6 if severe else 0.35):
            got["rehab_needed"], got["rehab_received"] = True, chance(0.8)
        if cat in (1, 2, 4, 7) and chance(0.35):
            got["device_needed"], got["device_fitted"] = True, chance(0.8)
        if (hh.poor or severe) and cat in (1, 4, 7) and chance(0.6):
            got["barrier_free_needed"], got["barrier_free_done"] = True, chance(0.7)
        self._register_facts(p, hh, got, pension_insured, medical_insured)
        p.benefits = [code for code in codes.BENEFITS if got.get(code)]

    # -- register facts (issue 12), from their own generator ------------------------
    def _register_facts(
        self,
        p: DemoPerson,
        hh: DemoHousehold,
        got: dict[str, bool],
        pension_insured: bool,
        medical_insured: bool,
    ) -> None:
        """户籍 (a few outside Chongqing or in another district: 人户分离), the insurance
        schemes (urban retirees often 城镇职工), the certificate's dates (a few expired
        or expiring within 90 days), training this year, 工伤保险护理费."""
        f = self.facts_rng
        age, village = p.age, hh.community.village
        # 户籍: people whose ID was first assigned far away sometimes still have it there;
        # they receive neither 补贴 (which need 重庆户籍).
        area = p.id_number[:6]
        local = area.startswith("50") or area in SICHUAN_CQ or area in ("510211", "510224")
        if not got["care_subsidy"] and f.random() < (0.005 if local else 0.2):
            p.hukou, p.apart = "outside", True
            places = HUKOU_OUTSIDE.get(area[:2]) or HUKOU_OUTSIDE[f.choice(sorted(HUKOU_OUTSIDE))]
            p.hukou_address = f"{f.choice(places)}{f.randint(1, 60)}号"
            got["living_subsidy"] = False
        elif f.random() < 0.05:
            p.apart = True
            p.hukou_address = f"{f.choice(HUKOU_ELSEWHERE_CQ)}{f.randint(1, 200)}号"
        else:
            p.hukou_address = f"重庆市{DISTRICT_NAME}{hh.address}"
        # 养老保险 (16 and over, not in school) and 医疗保险: 城镇职工 for many urban
        # retirees and some people in work, 城乡居民 for the rest; the uninsured are
        # 未参保, or not yet recorded.
        if pension_insured:
            employee = (0.08 if village else 0.55) if age >= 60 else (0.05 if village else 0.25)
            p.pension = "employee" if f.random() < employee else "resident"
        elif age >= 16 and not got["in_school"]:
            p.pension = "none" if f.random() < 0.6 else ""
        if medical_insured:
            employee = p.pension == "employee" and f.random() < 0.95
            p.medical = "employee" if employee else "resident"
        else:
            p.medical = "none" if f.random() < 0.5 else ""
        # 残疾人证: valid ten years from 发证日期; issued up to ten years ago (a few
        # longer: expired, not yet renewed; a few more due for renewal within 90 days),
        # after the first birthday; a few not recorded.
        if f.random() >= 0.03:
            lived = (self.today - p.birth).days
            soon = f.random() < 0.02
            back = f.randint(3650 - 85, 3650) if soon else f.randint(20, 3650 + 70)
            back = min(back, max(20, lived - 365))
            issued = date.fromordinal(self.today_o - back)
            p.cert_issued = issued.isoformat()
            until = _years_after(issued, 10)
            p.cert_valid_until = until.isoformat() if f.random() >= 0.03 else ""  # 长期
        # 职业技能培训: some working-age people this year, a few last year.
        if 16 <= age <= 59:
            r = f.random()
            year_start = date(self.today.year, 1, 1).toordinal()
            if r < 0.08:
                p.trained_on = iso(year_start + f.randrange(self.today_o - year_start + 1))
            elif r < 0.11:
                p.trained_on = iso(year_start - 1 - f.randrange(365))
        # 工伤保险护理费 instead of the 护理补贴 for some severe people injured at work.
        if p.severe and not got["care_subsidy"] and age >= 18 and f.random() < 0.45:
            got["injury_care"] = True

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


def _years_after(day: date, years: int) -> date:
    """The same day `years` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
