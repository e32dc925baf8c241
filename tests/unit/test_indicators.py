"""The 专栏1 indicator rules on a hand-worked register (domain, pure).

Each case below is one the plan's rules decide and the old rules got wrong:
a 四级 member of a 低保边缘 household (not short of 低保), a 特困 person without
the 生活补贴 (not eligible: 特困供养 instead), an employee-scheme retiree (insured),
someone with 户籍 outside Chongqing (no 两项补贴), someone on 工伤护理费 (no 护理
补贴), a 困难 household whose 重度 member needs no renovation (not counted).
"""

from __future__ import annotations

import pytest

from canxie_tui.domain.indicators import INDICATORS, Indicator, Options, PersonFacts, compute
from canxie_tui.domain.subsidies import KIND_OF_CODE


def person(
    pid: str,
    hid: str,
    flags: set[str],
    *,
    age: int | None = 40,
    category: int = 4,
    level: int = 3,
    benefits: frozenset[str] | set[str] = frozenset(),
    school: str = "",
    hukou: str = "cq",
    pension: str = "resident",
    medical: str = "resident",
    trained: bool = False,
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
        hukou=hukou,
        pension_scheme=pension,
        medical_scheme=medical,
        trained=trained,
        # The 两项补贴 are the history's (享受 that month); the codes stand for it here.
        receiving=frozenset(KIND_OF_CODE[b] for b in benefits if b in KIND_OF_CODE),
    )


# fmt: off
REGISTER = [
    # 低保 household: 一级 with both subsidies; a 四级 member short of 生活补贴.
    person("A1", "HA", {"dibao"}, level=1, benefits={"living_subsidy", "care_subsidy", "family_doctor"}),
    person("A2", "HA", {"dibao"}, level=4, pension="none", trained=True),
    # 特困: covered by 低保 (特困供养); no 生活补贴 and not short of it.  二级 without
    # 护理补贴: short.
    person("B1", "HB", {"tekun"}, level=2, benefits={"barrier_free_needed"}),
    # 低保边缘: the 一级 member is short of 低保 (单人户纳入); the 四级 member is not.
    person("C1", "HC", {"dibao_edge"}, level=1, benefits={"care_subsidy", "barrier_free_needed"}),
    person("C2", "HC", {"dibao_edge"}, level=4),
    # 低保 but 户籍 outside Chongqing: in 低保, not eligible for either subsidy.
    person("D1", "HD", {"dibao"}, level=1, hukou="outside"),
    # An employee-scheme retiree: insured for both.  No 困难 flags.
    person("E1", "HE", set(), age=67, level=4, pension="employee", medical="employee"),
    # 一级 on 工伤保险护理费: no 护理补贴 due.  Medical insurance not recorded: short.
    person("F1", "HF", set(), level=1, benefits={"injury_care"}, medical=""),
    # A 困难 household whose 重度 member needs no renovation: not counted.
    person("G1", "HG", {"dibao"}, level=2, benefits={"living_subsidy", "care_subsidy"}),
    # 特困 with a 重度 member, renovated: counted and covered.
    person("H1", "HH", {"tekun"}, level=1, benefits={"care_subsidy", "barrier_free_done"}),
    # Children: 6-15 enrolled / not; a student of 17 outside the pension denominator.
    person("K1", "HK", set(), age=10, category=5, level=3, school="special", pension=""),
    person("K2", "HK", set(), age=8, category=6, level=4, school="not_enrolled", pension=""),
    person("K3", "HK", set(), age=17, category=2, level=4, benefits={"in_school"}, pension=""),
    # Unknown birth date: in neither age-based indicator.
    person("U1", "HU", {"low_income"}, age=None, category=6, level=3, pension=""),
]
# fmt: on


@pytest.fixture(scope="module")
def results() -> dict[str, Indicator]:
    return {i.key: i for i in compute(REGISTER)}


def counts(ind: Indicator) -> tuple[int, int, list[str]]:
    return ind.numerator, ind.denominator, list(ind.shortfall)


def test_all_eleven_rows_in_the_plans_order_and_words() -> None:
    out = compute(REGISTER)
    assert [i.number for i in out] == [*range(1, 12), 0]
    assert [i.key for i in out] == [spec.key for spec in INDICATORS]
    assert out[0].name == "残疾人家庭人均收入年均增长"
    assert out[0].rate_text == "由区残联统计"
    assert out[5].name == "残疾人城乡居民基本养老保险参保率"
    assert [i.target_text for i in out][2:11] == [
        "100%",
        "100%",
        "100%",
        "＞90%",
        "＞95%",
        "85%",
        "85%",
        "100%",
        "97%",
    ]
    assert out[-1].key == "family_doctor" and not out[-1].in_table  # below the table
    assert all(i.in_table for i in out[:-1])


def test_dibao_counts_the_severe_of_dibao_edge_only(results: dict[str, Indicator]) -> None:
    # Eligible: HA×2, HB, C1 (一级 低保边缘), D1, G1, H1 = 7; C2 (四级) is not.
    assert counts(results["dibao_coverage"]) == (6, 7, ["C1"])


def test_living_subsidy_is_dibao_with_cq_hukou_not_tekun(results: dict[str, Indicator]) -> None:
    # A1, A2, G1 (低保, 重庆户籍); not B1/H1 (特困), not D1 (市外), not 低保边缘.
    assert counts(results["living_subsidy"]) == (2, 3, ["A2"])


def test_care_subsidy_is_severe_cq_without_injury_care(results: dict[str, Indicator]) -> None:
    # 重度: A1, B1, C1, D1 (市外: no), F1 (工伤护理费: no), G1, H1.
    assert counts(results["care_subsidy"]) == (4, 5, ["B1"])


def test_pension_counts_employee_schemes_as_insured(results: dict[str, Indicator]) -> None:
    # 16+ not at school: everyone but K1, K2, K3 (student), U1 (age unknown) = 10.
    assert counts(results["pension"]) == (9, 10, ["A2"])
    assert "E1" not in results["pension"].shortfall


def test_medical_counts_everyone(results: dict[str, Indicator]) -> None:
    assert counts(results["medical"]) == (13, 14, ["F1"])


def test_renovation_counts_households_that_need_it(results: dict[str, Indicator]) -> None:
    # HB (特困, 二级, needs), HC (低保边缘, 一级, needs), HH (done); HG needs none;
    # HA's 一级 member needs none either.
    ind = results["barrier_free"]
    assert (ind.numerator, ind.denominator, ind.short) == (1, 3, 2)
    assert list(ind.shortfall) == ["B1", "C1"]


def test_education_and_training(results: dict[str, Indicator]) -> None:
    assert counts(results["education"]) == (1, 2, ["K2"])
    training = results["training"]
    assert (training.kind, training.numerator, training.rate_text) == ("count", 1, "1人")
    assert training.target_text == "0.2万人（全区）"


def test_the_districts_extensions() -> None:
    out = {i.key: i for i in compute(REGISTER, Options(living_low_income=True, care_extended=True))}
    # 生活补贴 reaches 低保边缘 and 低收入 households (C1, C2, U1).
    assert counts(out["living_subsidy"]) == (2, 6, ["A2", "C1", "C2", "U1"])
    # 护理补贴 reaches 三、四级 智力/精神 with 重庆户籍 (K1, K2, U1).
    assert counts(out["care_subsidy"]) == (4, 8, ["B1", "K1", "K2", "U1"])


def test_fixing_the_shortfall_meets_the_targets(results: dict[str, Indicator]) -> None:
    fixed = []
    for p in REGISTER:
        benefits = set(p.benefits)
        flags = set(p.household_flags)
        if p.person_id == "C1":  # enters 低保 as a single-person household, so the 补贴 is due
            flags.add("dibao")
            benefits.add("living_subsidy")
        if p.person_id in results["living_subsidy"].shortfall:
            benefits.add("living_subsidy")
        if p.person_id in results["care_subsidy"].shortfall:
            benefits.add("care_subsidy")
        if p.household_id in ("HB", "HC"):
            benefits.add("barrier_free_done")
        fixed.append(
            person(
                p.person_id,
                p.household_id,
                flags,
                age=p.age,
                category=p.category or 4,
                level=p.level or 4,
                benefits=benefits,
                school="regular" if p.person_id == "K2" else p.school,
                hukou=p.hukou,
                pension=p.pension_scheme or "resident" if (p.age or 0) >= 16 else "",
                medical=p.medical_scheme or "employee",
            )
        )
    out = {i.key: i for i in compute(fixed)}
    for key in ("dibao_coverage", "living_subsidy", "care_subsidy", "barrier_free", "education"):
        assert out[key].met and out[key].short == 0, key
    assert out["medical"].rate == 1.0


def test_empty_register() -> None:
    out = compute([])
    assert all(i.denominator == 0 and i.short == 0 and i.met for i in out)
    assert {i.rate_text for i in out if i.kind == "rate"} == {"—"}


def _indicator(numerator: int, denominator: int, target: float, strict: bool) -> Indicator:
    return Indicator("x", "x", "人", numerator, denominator, target, strict, (), number=3)


@pytest.mark.parametrize(
    ("numerator", "denominator", "target", "strict", "met"),
    [
        (9, 10, 0.90, True, False),  # exactly 90% is not "＞90%"
        (91, 100, 0.90, True, True),
        (19, 20, 0.95, True, False),
        (97, 100, 0.97, False, True),
        (96, 100, 0.97, False, False),
        (10, 10, 1.0, False, True),
        (99, 100, 1.0, False, False),
        (17, 20, 0.85, False, True),  # exactly 85% reaches 85%
    ],
)
def test_met_at_the_boundary(
    numerator: int, denominator: int, target: float, strict: bool, met: bool
) -> None:
    assert _indicator(numerator, denominator, target, strict).met is met
