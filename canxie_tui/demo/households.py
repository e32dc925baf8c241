"""The demo builder's register: communities' quotas, addresses, households with
their families, flags, contacts and visit tiers, written in one batch."""

from __future__ import annotations

import json
from collections.abc import Iterable

from canxie_tui.demo.base import Compound, DemoHousehold, DemoPerson
from canxie_tui.demo.people import PeopleBuilder
from canxie_tui.demo.places import COMMUNITY_SITE, RIVERSIDE, STREETS, Community, communities_of
from canxie_tui.demo.tables import AGE_BANDS, AGE_WEIGHTS, HOUSEHOLD_NOTES, surname_of
from canxie_tui.domain import codes
from canxie_tui.domain.tiers import TierFacts, tier_for

__all__ = ["RegisterBuilder"]


def _codes_json(values: Iterable[str]) -> str:
    """A list of codes as the register stores it (sorted JSON array)."""
    return json.dumps(sorted(values))


class RegisterBuilder(PeopleBuilder):
    """Makes the register: every community's households, then writes them."""

    # -- addresses -------------------------------------------------------------------
    def _compounds(self, community: Community, households: int) -> list[Compound]:
        if community.village:  # 村民小组, about 60 households with a disabled member each
            groups = max(6, households // 60 + 1)
            return [Compound("", g, 0, 0, 0, (g - 1) // 2 + 1) for g in range(1, groups + 1)]
        rng = self.rng
        n = max(6, households // 12)
        grids = max(3, min(12, households // 40 + 3))
        return [
            Compound(
                road=community.roads[i % len(community.roads)],
                number=rng.randint(1, 180),
                buildings=rng.randint(1, 12),
                units=rng.randint(1, 4),
                floors=rng.choice((6, 7, 8, 11, 18, 26, 32)),
                grid=i * grids // n + 1,
            )
            for i in range(n)
        ]

    def _address(
        self, hh_id: str, community: Community, compounds: list[Compound], used: set[str]
    ) -> DemoHousehold:
        """A household at a free address: 观音桥街道建新东路12号 3栋2单元301."""
        rng = self.rng
        prefix = community.street.name
        for _ in range(10_000):
            c = rng.choice(compounds)
            building = unit = room = ""
            if community.village:
                address = f"{prefix}{community.name}{c.number}组{rng.randint(1, 150)}号"
            else:
                floor, door = rng.randint(1, c.floors), rng.randint(1, 4)
                if c.floors <= 8 and rng.random() < 0.15:  # old style: 12号3-2
                    room = f"{floor}-{door}"
                    address = f"{prefix}{c.road}{c.number}号{room}"
                else:
                    building = f"{rng.randint(1, c.buildings)}栋"
                    unit = f"{rng.randint(1, c.units)}单元"
                    room = f"{floor}{door:02d}"
                    address = f"{prefix}{c.road}{c.number}号 {building}{unit}{room}"
            if address not in used:
                used.add(address)
                return DemoHousehold(
                    hh_id, community, address, building, unit, room, f"第{c.grid}网格"
                )
        raise AssertionError(f"no free address left in {community.name}")

    # -- households --------------------------------------------------------------------
    def _household(
        self, community: Community, compounds: list[Compound], used: set[str], n_cert: int
    ) -> DemoHousehold:
        rng = self.rng
        hh = self._address(self._uuid(), community, compounds, used)
        sex = "男" if rng.random() < 0.55 else "女"
        age = rng.randint(*rng.choices(AGE_BANDS, AGE_WEIGHTS)[0])
        primary = self._person(age, sex, "户主", community.town, common=True)
        self._certify(primary)
        hh.persons = [primary]
        carer_age = self._family(hh, primary)
        self._more_certified(hh, primary, n_cert - 1)
        certified = hh.certified()

        flags = hh.flags
        r = rng.random()
        poor_p = 0.11 + 0.06 * any(p.severe for p in certified) + 0.1 * (len(certified) > 1)
        if "alone" in flags and age >= 70 and r < 0.05:
            flags.append("tekun")
        elif r < poor_p:
            flags.append("dibao")
        elif r < poor_p + 0.04:
            flags.append("dibao_edge")
        elif self.facts_rng.random() < 0.06:  # its own generator: see base.BuilderBase
            flags.append("low_income")
        if len(certified) > 1:
            flags.append("multi_disabled")
        if carer_age >= 60 and primary.relation == "子女" and hh.guardian is not None:
            flags.append("elderly_carer")
        if self._chance(0.06 if community.village else 0.015):
            flags.append("unsafe_house")
        low = community.village or community.street.name in RIVERSIDE
        if self._chance(0.08 if low else 0.01):
            flags.append("low_lying")
        for p in certified:
            self._care(p)
            self._benefits(p, hh)
        needs_care = any("bedridden" in p.care or p.severe for p in certified)
        if "alone" in flags and needs_care and self._chance(0.5):
            flags.append("no_carer")
        self._contacts(hh, primary)
        for p in certified:
            self._status(p)
        hh.tier = self._tier(hh)
        hh.owner = rng.randrange(len(self.operators))
        return hh

    def _family(self, hh: DemoHousehold, primary: DemoPerson) -> int:
        """Add the family members who are recorded; return the main carer's age."""
        rng = self.rng
        town = hh.community.town
        age, sex, cat = primary.age, primary.sex, primary.category
        surname = surname_of(primary.name)
        other_sex = "女" if sex == "男" else "男"

        def add(member: DemoPerson, guardian_relation: str = "") -> int:
            hh.persons.append(member)
            if guardian_relation:
                hh.guardian, hh.guardian_relation = member, guardian_relation
            return member.age

        def relative(age: int, sex: str, relation: str, kin: bool) -> DemoPerson:
            """`kin`: carries the family surname (father, or child of a father)."""
            return self._person(age, sex, relation, town, surname if kin else None)

        child_kin = sex == "男"  # children take their father's surname

        if age < 22:  # a child or young adult: a parent heads the household
            primary.relation = "子女"
            father = relative(age + rng.randint(24, 38), "男", "户主", kin=True)
            mother = relative(father.age + rng.randint(-4, 2), "女", "配偶", kin=False)
            main = mother if rng.random() < 0.65 else father
            if rng.random() < 0.35:  # both parents recorded: father 户主, mother 配偶
                hh.persons += [father, mother]
            else:
                main.relation = "户主"
                hh.persons.append(main)
            if age < 18 or cat in (5, 6, 7):
                hh.guardian, hh.guardian_relation = main, "母亲" if main is mother else "父亲"
                return main.age
            return 0
        if cat in (5, 6) or (cat == 7 and primary.level == 1) or (age >= 75 and self._chance(0.3)):
            if age < 58:  # a parent cares for the disabled adult child
                primary.relation = "子女"
                parent_sex = "女" if rng.random() < 0.6 else "男"
                parent = relative(age + rng.randint(22, 34), parent_sex, "户主", parent_sex == "男")
                return add(parent, "母亲" if parent_sex == "女" else "父亲")
            if age < 75 and self._chance(0.5):
                spouse = relative(age + rng.randint(-5, 5), other_sex, "配偶", kin=False)
                return add(spouse, "配偶")
            primary.relation = "父母"
            child_sex = "男" if rng.random() < 0.5 else "女"
            child = relative(age - rng.randint(24, 34), child_sex, "户主", child_kin)
            return add(child, "儿子" if child_sex == "男" else "女儿")
        if age >= 60:
            r = rng.random()
            if r < 0.22:
                hh.flags.append("alone")
                return 0
            if r < 0.72:
                carer = 0
                if self._chance(0.3):
                    spouse = relative(age + rng.randint(-5, 5), other_sex, "配偶", kin=False)
                    carer = add(spouse)
                if self._chance(0.5):
                    hh.flags.append("empty_nest")
                return carer
            if self._chance(0.45):
                primary.relation = "父母"
                child_sex = "男" if rng.random() < 0.5 else "女"
                return add(relative(age - rng.randint(24, 34), child_sex, "户主", child_kin))
            return 0
        if self._chance(0.3):
            spouse = relative(age + rng.randint(-5, 5), other_sex, "配偶", kin=False)
            if self._chance(0.3):
                primary.relation, spouse.relation = "配偶", "户主"
            return add(spouse)
        return 0

    def _more_certified(self, hh: DemoHousehold, primary: DemoPerson, extra: int) -> None:
        """一户多残: family members hold a certificate too (or one is added)."""
        for member in hh.persons[1:]:
            if extra and member.age >= 16:
                self._certify(member)
                extra -= 1
        surname = surname_of(primary.name)
        for _ in range(extra):
            if primary.relation == "户主" and primary.age >= 40:
                relation, age = "子女", primary.age - self.rng.randint(22, 32)
            else:  # a brother or sister (a child of the head when the primary is one)
                relation = "子女" if primary.relation == "子女" else "兄弟姐妹"
                age = primary.age + self.rng.randint(-6, 6)
            sex = "男" if self.rng.random() < 0.5 else "女"
            member = self._person(max(age, 4), sex, relation, hh.community.town, surname)
            self._certify(member)
            hh.persons.append(member)

    def _contacts(self, hh: DemoHousehold, primary: DemoPerson) -> None:
        rng = self.rng
        for p in hh.persons:
            if p.age >= 16 and (p.age < 80 or self._chance(0.6)) and self._chance(0.93):
                p.phone = self._mobile()
        if self._chance(0.3):
            hh.phone = self._landline()
        else:
            hh.phone = next((p.phone for p in hh.persons if p.phone), "")
        if hh.guardian is not None and not hh.guardian.phone:
            hh.guardian.phone = self._mobile()
        if self._chance(0.9):
            relative = rng.choice(("儿子", "女儿", "侄子", "外甥女", "邻居", "兄弟"))
            sex = "男" if relative in ("儿子", "侄子", "兄弟") else "女"
            surname = surname_of(primary.name) if relative in ("儿子", "女儿", "兄弟") else None
            hh.emergency_contact = f"{self._name(sex, 1975, surname)}（{relative}）"
            hh.emergency_phone = self._mobile()
        if self._chance(0.05):
            hh.note = rng.choice(HOUSEHOLD_NOTES)

    def _tier(self, hh: DemoHousehold) -> str:
        """Each certificate holder's tier by the site's rules; the household visits
        follow the most frequent one among those still in the register."""
        settings = self.tier_settings
        active = [p for p in hh.certified() if p.status == codes.ACTIVE]
        flags = frozenset(hh.flags)
        for p in hh.certified():
            facts = TierFacts(
                category=p.category,
                level=p.level,
                care_flags=frozenset(p.care),
                device_kind=p.device,
                household_flags=flags,
                certified_in_household=len(active),
                urgent_followup=False,
            )
            p.tier = tier_for(facts, settings).tier
        return self._most_frequent(p.tier for p in active or hh.certified())

    def _plan(self) -> list[tuple[Community, int]]:
        """How many certificate holders each community gets."""
        rng = self.rng
        home = next(s for s in STREETS if s.name == COMMUNITY_SITE[0])
        if self.scale_name == "community":
            community = next(c for c in communities_of(home) if c.name == COMMUNITY_SITE[1])
            return [(community, self.certified_target)]
        weighted: list[tuple[Community, float]] = []
        for street in [home] if self.scale_name == "street" else STREETS:
            communities = communities_of(street)
            for community in communities:
                size = rng.uniform(0.6, 1.4) * (0.6 if community.village else 1.0)
                weighted.append((community, street.weight / len(communities) * size))
        total = sum(w for _, w in weighted)
        plan = [(c, max(1, round(self.certified_target * w / total))) for c, w in weighted]
        first, n = plan[0]
        plan[0] = (first, max(1, n + self.certified_target - sum(n for _, n in plan)))
        return plan

    def build_register(self) -> None:
        plan = self._plan()
        total = sum(n for _, n in plan)
        done = 0
        for community, quota in plan:
            compounds = self._compounds(community, int(quota / 1.2))
            used: set[str] = set()
            made = 0
            while made < quota:
                r = self.rng.random()
                n_cert = min(quota - made, 1 if r < 0.84 else 2 if r < 0.98 else 3)
                hh = self._household(community, compounds, used, n_cert)
                self.households.append(hh)
                made += len(hh.certified())
                if len(self.households) % 1000 == 0:
                    self.report("生成户籍", done + made, total)
            done += made
        self.report("生成户籍", done, total)

    def write_register(self) -> None:
        by = self.operators[0].name
        at = self.roster_at
        for hh in self.households:
            guardian = hh.guardian
            self.out.add(
                "households",
                {
                    **self._record(at, by, record_id=hh.id),
                    "division_code": hh.community.code,
                    "division_name": hh.community.name,
                    "address": hh.address,
                    "building": hh.building,
                    "unit": hh.unit,
                    "room": hh.room,
                    "grid": hh.grid,
                    "phone": hh.phone,
                    "flags": _codes_json(hh.flags),
                    "guardian_name": guardian.name if guardian else "",
                    "guardian_phone": guardian.phone if guardian else "",
                    "guardian_relation": hh.guardian_relation,
                    "emergency_contact": hh.emergency_contact,
                    "emergency_phone": hh.emergency_phone,
                    "note": hh.note,
                },
            )
            for p in hh.persons:
                self.out.add(
                    "persons",
                    {
                        **self._record(
                            at, by, updated_at=p.updated_at, version=p.version, record_id=p.id
                        ),
                        "household_id": hh.id,
                        "name": p.name,
                        "id_number": p.id_number,
                        "sex": p.sex,
                        "birth_date": p.birth.isoformat(),
                        "cert_number": p.cert,
                        "category": p.category,
                        "level": p.level,
                        "relation": p.relation,
                        "phone": p.phone,
                        "status": p.status,
                        "status_date": p.status_date,
                        "status_reason": p.status_reason,
                        "care_flags": _codes_json(p.care),
                        "device_kind": p.device,
                        "benefits": _codes_json(p.benefits),
                        "school": p.school,
                        "hukou": p.hukou,
                        "hukou_address": p.hukou_address,
                        "apart": int(p.apart),
                        "pension_scheme": p.pension,
                        "medical_scheme": p.medical,
                        "cert_issued": p.cert_issued,
                        "cert_valid_until": p.cert_valid_until,
                        "trained_on": p.trained_on,
                    },
                )
        self.out.flush()
        self.report("写入户籍", 1, 1)
