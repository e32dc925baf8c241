"""Tests for the 专栏1 indicators on a small hand-built register."""

from __future__ import annotations

import pytest

from canxie_tui.domain.indicators import (
    INDICATORS,
    Counts,
    HomesAlike,
    Indicator,
    PeopleAlike,
    PersonFacts,
    compute,
    tally,
)


def person(
    pid: str,
    hid: str,
    age: int | None,
    category: int,
    level: int,
    benefits: set[str],
    flags: set[str],
    school: str = "",
) -> PersonFacts:
    return PersonFacts(
        person_id=pid,
        household_id=hid,
        name=f"姓名{pid}",
        age=age,
        category=category,
        level=level,
        benefits=frozenset(benefits),
        school=school,
        household_flags=frozenset(flags),
    )


# Every household's flags are repeated on each of its members, as the store does.
H1 = {"dibao"}
H2 = {"tekun", "alone"}
H3 = {"dibao_edge"}
H4 = {"dibao_edge", "multi_disabled"}
H5: set[str] = set()
H6: set[str] = set()
H7 = {"elderly_carer"}
H8 = {"dibao"}
H9: set[str] = set()
H10 = {"tekun"}
H11 = {"dibao"}

# fmt: off
REGISTER = [
    #       id     hh     age   cat lvl  benefits                                              flags  school
    person("P01", "H1",  45,   4,  1,  {"living_subsidy", "care_subsidy", "pension_ins",
                                        "medical_ins", "family_doctor", "barrier_free_done"},  H1),
    person("P02", "H1",  12,   5,  2,  {"living_subsidy", "medical_ins", "in_school",
                                        "rehab_received"},                                    H1, "regular"),
    person("P03", "H2",  70,   1,  2,  {"pension_ins", "medical_ins", "device_needed"},       H2),
    person("P04", "H3",  50,   6,  1,  {"care_subsidy", "medical_ins", "family_doctor",
                                        "rehab_needed"},                                      H3),
    person("P05", "H4",  30,   4,  3,  {"pension_ins", "medical_ins", "family_doctor",
                                        "device_fitted"},                                     H4),
    person("P06", "H4",  8,    2,  3,  {"medical_ins"},                                       H4, "not_enrolled"),
    person("P07", "H5",  16,   4,  2,  {"in_school", "medical_ins", "family_doctor",
                                        "care_subsidy", "barrier_free_done"},                 H5),
    person("P08", "H5",  15,   3,  4,  {"medical_ins", "family_doctor"},                      H5, "home"),
    person("P09", "H6",  6,    5,  4,  {"medical_ins", "family_doctor", "rehab_received",
                                        "rehab_needed"},                                      H6, "special"),
    person("P10", "H6",  5,    2,  3,  {"medical_ins", "family_doctor", "device_needed"},     H6),
    person("P11", "H7",  60,   4,  4,  {"pension_ins", "family_doctor", "device_fitted",
                                        "device_needed"},                                     H7),
    person("P12", "H8",  55,   4,  4,  {"living_subsidy", "pension_ins", "medical_ins",
                                        "family_doctor"},                                     H8),
    person("P13", "H9",  None, 4,  1,  {"care_subsidy", "medical_ins", "family_doctor"},      H9),
    person("P14", "H9",  16,   1,  4,  {"medical_ins", "family_doctor"},                      H9),
    person("P15", "H10", 80,   4,  2,  {"living_subsidy", "care_subsidy", "pension_ins",
                                        "medical_ins", "family_doctor"},                      H10),
    person("P16", "H10", 40,   6,  4,  {"living_subsidy", "pension_ins", "medical_ins",
                                        "family_doctor", "barrier_free_done"},                H10),
    person("P17", "H11", 33,   4,  1,  {"living_subsidy", "care_subsidy", "pension_ins",
                                        "medical_ins", "family_doctor",
                                        "barrier_free_needed"},                               H11),
    person("P18", "H11", 35,   4,  2,  {"living_subsidy", "pension_ins", "medical_ins",
                                        "family_doctor"},                                     H11),
]
# fmt: on


@pytest.fixture(scope="module")
def results() -> dict[str, Indicator]:
    return {i.key: i for i in compute(REGISTER)}


def check(ind: Indicator, numerator: int, denominator: int, shortfall: list[str]) -> None:
    assert (ind.numerator, ind.denominator) == (numerator, denominator)
    assert list(ind.shortfall) == shortfall


def test_order_names_and_targets(results: dict[str, Indicator]) -> None:
    out = compute(REGISTER)
    assert [i.key for i in out] == [spec.key for spec in INDICATORS]
    assert [i.key for i in out] == [
        "dibao_coverage",
        "living_subsidy",
        "care_subsidy",
        "pension",
        "medical",
        "rehab",
        "device",
        "barrier_free",
        "education",
        "family_doctor",
    ]
    assert out[0].name == "符合条件的残疾人纳入最低生活保障比例"
    assert out[7].name == "困难重度残疾人家庭无障碍改造覆盖率"
    assert [i.target_text for i in out] == [
        "100%",
        "100%",
        "100%",
        "> 90%",
        "> 95%",
        "≥ 85%",
        "≥ 85%",
        "100%",
        "≥ 97%",
        "≥ 90%",
    ]
    assert [i.unit for i in out] == ["人"] * 7 + ["户"] + ["人"] * 2


def test_dibao_coverage(results: dict[str, Indicator]) -> None:
    # Eligible = in a 低保/特困/低保边缘 household:
    #   H1 P01 P02, H2 P03, H3 P04, H4 P05 P06, H8 P12, H10 P15 P16, H11 P17 P18 = 11
    # Covered = 低保 or 特困 household: all but H3 and H4 = 11 - 3 = 8
    # Shortfall = the 低保边缘-only people: P04, P05, P06
    ind = results["dibao_coverage"]
    check(ind, 8, 11, ["P04", "P05", "P06"])
    assert ind.rate == pytest.approx(8 / 11)
    assert ind.rate_text == "72.7%"
    assert not ind.met


def test_living_subsidy(results: dict[str, Indicator]) -> None:
    # Due = 低保/特困 households: P01 P02 P03 P12 P15 P16 P17 P18 = 8
    # Receiving living_subsidy: all but P03 (特困, alone) = 7
    check(results["living_subsidy"], 7, 8, ["P03"])
    assert not results["living_subsidy"].met


def test_care_subsidy(results: dict[str, Indicator]) -> None:
    # 一级/二级: P01 P02 P03 P04 P07 P13 P15 P17 P18 = 9
    # With care_subsidy: P01 P04 P07 P13 P15 P17 = 6; short: P02 P03 P18
    check(results["care_subsidy"], 6, 9, ["P02", "P03", "P18"])


def test_pension(results: dict[str, Indicator]) -> None:
    # Age >= 16 and not in_school: P01 P03 P04 P05 P11 P12 P14 P15 P16 P17 P18 = 11
    #   (P07 is 16 but a student; P13's age is unknown; P02 P06 P08 P09 P10 are under 16)
    # With pension_ins: all but P04 and P14 = 9.  9/11 = 81.8% is not > 90%.
    ind = results["pension"]
    check(ind, 9, 11, ["P04", "P14"])
    assert not ind.met


def test_medical(results: dict[str, Indicator]) -> None:
    # Everyone: 18.  Without medical_ins: P11.  17/18 = 94.4% is not > 95%.
    ind = results["medical"]
    check(ind, 17, 18, ["P11"])
    assert ind.rate_text == "94.4%"
    assert not ind.met


def test_rehab(results: dict[str, Indicator]) -> None:
    # Need or received: P02 (received), P04 (needed), P09 (needed and received) = 3
    # Received: P02 P09 = 2; short: P04
    check(results["rehab"], 2, 3, ["P04"])


def test_device(results: dict[str, Indicator]) -> None:
    # Need or fitted: P03 (need), P05 (fitted), P10 (need), P11 (need and fitted) = 4
    # Fitted: P05 P11 = 2; short: P03 P10
    check(results["device"], 2, 4, ["P03", "P10"])


def test_barrier_free(results: dict[str, Indicator]) -> None:
    # 困难 households with a 重度 member:
    #   H1 (低保; P01 一级, P02 二级)   done by P01
    #   H2 (特困; P03 二级)             not done
    #   H3 (低保边缘; P04 一级)         not done
    #   H10 (特困; P15 二级)            done by P16, a 四级 member: the house counts
    #   H11 (低保; P17 一级, P18 二级)  not done (P17 only *needs* it)
    # Not counted: H4 H8 (困难, no 重度 member), H5 H9 (重度, not 困难; P07 is done anyway).
    # 2 of 5 households; shortfall = the 重度 members of H2, H3, H11.
    ind = results["barrier_free"]
    assert ind.unit == "户"
    check(ind, 2, 5, ["P03", "P04", "P17", "P18"])
    assert ind.rate == pytest.approx(0.4)
    assert ind.short == 3  # households (H2 H3 H11), not the 4 members listed
    assert results["device"].short == 2  # a 人 indicator: the people listed


def test_education(results: dict[str, Indicator]) -> None:
    # Age 6..15: P02 (12, 普通学校), P06 (8, 未入学), P08 (15, 送教上门), P09 (6, 特教学校) = 4
    #   (P10 is 5, P07 is 16: not counted)
    # Enrolled: P02 P08 P09 = 3 -> 75%; short: P06
    check(results["education"], 3, 4, ["P06"])


def test_family_doctor(results: dict[str, Indicator]) -> None:
    # Everyone: 18.  Without family_doctor: P02 P03 P06.  15/18 = 83.3% < 90%.
    ind = results["family_doctor"]
    check(ind, 15, 18, ["P02", "P03", "P06"])
    assert not ind.met


def test_fixing_the_shortfall_meets_the_targets() -> None:
    # Give each short person what they lack (and put the 低保边缘 households in 低保):
    # every indicator then reaches its target and has an empty shortfall list.
    fixed = []
    for p in REGISTER:
        benefits = set(p.benefits) | {"medical_ins", "family_doctor", "pension_ins"}
        if p.level in (1, 2):
            benefits |= {"care_subsidy", "barrier_free_done"}
        if "rehab_needed" in benefits:
            benefits.add("rehab_received")
        if "device_needed" in benefits:
            benefits.add("device_fitted")
        flags = set(p.household_flags)
        if "dibao_edge" in flags:
            flags = (flags - {"dibao_edge"}) | {"dibao"}
        if flags & {"dibao", "tekun"}:
            benefits.add("living_subsidy")
        school = "regular" if p.school == "not_enrolled" else p.school
        fixed.append(
            person(
                p.person_id,
                p.household_id,
                p.age,
                p.category or 0,
                p.level or 0,
                benefits,
                flags,
                school,
            )
        )
    for ind in compute(fixed):
        assert ind.met, ind.key
        assert ind.shortfall == (), ind.key
        assert ind.rate == 1.0, ind.key


def test_empty_register() -> None:
    out = compute([])
    assert len(out) == len(INDICATORS)
    for ind in out:
        assert (ind.numerator, ind.denominator, ind.shortfall) == (0, 0, ())
        assert ind.rate is None
        assert ind.rate_text == "—"
        assert ind.met  # nobody to cover


def test_accepts_any_iterable() -> None:
    assert compute(iter(REGISTER)) == compute(REGISTER)
    assert compute(p for p in REGISTER) == compute(REGISTER)


def _indicator(numerator: int, denominator: int, target: float, strict: bool) -> Indicator:
    return Indicator("k", "名", "人", numerator, denominator, target, strict, ())


@pytest.mark.parametrize(
    ("numerator", "denominator", "target", "strict", "met"),
    [
        (17, 20, 0.85, False, True),  # exactly 85%: reaches "≥ 85%"
        (16, 20, 0.85, False, False),
        (9, 10, 0.90, True, False),  # exactly 90% is not "> 90%"
        (91, 100, 0.90, True, True),
        (19, 20, 0.95, True, False),  # 95% is not "> 95%"
        (97, 100, 0.97, False, True),
        (96, 100, 0.97, False, False),
        (10, 10, 1.0, False, True),
        (99, 100, 1.0, False, False),
        (9, 10, 0.90, False, True),  # exactly 90% reaches "≥ 90%"
    ],
)
def test_met_at_the_boundary(
    numerator: int, denominator: int, target: float, strict: bool, met: bool
) -> None:
    assert _indicator(numerator, denominator, target, strict).met is met


def test_target_text() -> None:
    assert _indicator(0, 0, 1.0, False).target_text == "100%"
    assert _indicator(0, 0, 0.9, True).target_text == "> 90%"
    assert _indicator(0, 0, 0.9, False).target_text == "≥ 90%"
    assert _indicator(0, 0, 0.97, False).target_text == "≥ 97%"


# -- tally: the same counts from the register counted in groups ---------------------------


def grouped(people: list[PersonFacts]) -> tuple[list[PeopleAlike], list[HomesAlike]]:
    """What store.indicators asks the database for: people by benefits, households by
    flags and renovation (here one group per person and per household)."""
    alike = [
        PeopleAlike(
            p.benefits,
            1,
            int(p.level in (1, 2)),
            int(p.age is not None and p.age >= 16),
            int(p.age is not None and 6 <= p.age <= 15),
            int(
                p.age is not None
                and 6 <= p.age <= 15
                and p.school in ("regular", "special", "home")
            ),
        )
        for p in people
    ]
    homes = []
    for hid in dict.fromkeys(p.household_id for p in people):
        members = [p for p in people if p.household_id == hid]
        severe = sum(p.level in (1, 2) for p in members)
        homes.append(
            HomesAlike(
                members[0].household_flags,
                any("barrier_free_done" in p.benefits for p in members),
                1,
                int(severe > 0),
                len(members),
                sum("living_subsidy" in p.benefits for p in members),
                severe,
            )
        )
    return alike, homes


def test_tally_gives_the_counts_of_compute() -> None:
    counted = tally(*grouped(REGISTER))
    assert list(counted) == [spec.key for spec in INDICATORS]
    for ind in compute(REGISTER):
        assert counted[ind.key] == Counts(ind.numerator, ind.denominator, len(ind.shortfall))
    # The hand-worked figures above, for the two that are not one person per short:
    assert counted["barrier_free"] == Counts(2, 5, 4)  # 5 households; 4 members short
    assert counted["pension"] == Counts(9, 11, 2)


def test_tally_counts_a_group_as_that_many_households() -> None:
    # Two more households like H2 (特困, one 二级 member without 生活补贴 or renovation),
    # given as one group of 2.
    people, homes = grouped(REGISTER)
    two = HomesAlike(frozenset(H2), False, 2, 2, 2, 0, 2)
    counted = tally(people, [*homes, two])
    assert counted["dibao_coverage"] == Counts(8 + 2, 11 + 2, 3)
    assert counted["living_subsidy"] == Counts(7, 8 + 2, 1 + 2)
    assert counted["barrier_free"] == Counts(2, 5 + 2, 4 + 2)


def test_tally_skips_households_that_are_not_poor() -> None:
    people, homes = grouped(REGISTER)
    not_poor = HomesAlike(frozenset({"alone"}), False, 7, 7, 9, 9, 9)
    assert tally(people, [*homes, not_poor]) == tally(people, homes)
    assert tally([], []) == {spec.key: Counts(0, 0, 0) for spec in INDICATORS}
