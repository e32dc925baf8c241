"""Tests for visit tiers: rules, precedence, reasons, settings and due dates."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from canxie_tui.domain.errors import InputError
from canxie_tui.domain.tiers import (
    CONDITIONS,
    DEFAULT_TIER_SETTINGS,
    TIER_LABELS,
    Rule,
    TierFacts,
    TierResult,
    TierSettings,
    conditions_met,
    interval_label,
    next_due,
    overdue_days,
    tier_for,
)

# A 四级肢体 person in an ordinary household: matches no rule.
PLAIN = TierFacts(
    category=4,
    level=4,
    care_flags=frozenset(),
    device_kind="",
    household_flags=frozenset(),
    certified_in_household=1,
    urgent_followup=False,
)


def facts(**changes: Any) -> TierFacts:
    for key in ("care_flags", "household_flags"):
        if key in changes:
            changes[key] = frozenset(changes[key])
    return replace(PLAIN, **changes)


# --- conditions --------------------------------------------------------------------------


def test_plain_person_meets_no_condition() -> None:
    assert conditions_met(PLAIN) == {}


def test_every_condition_has_a_label() -> None:
    assert set(CONDITIONS) == {
        "alone",
        "severe",
        "powered_device",
        "bedridden",
        "no_carer",
        "urgent_followup",
        "poor",
        "intellectual_or_mental",
        "multi_disabled",
        "elderly_carer",
    }
    assert CONDITIONS["alone"] == "独居"
    assert CONDITIONS["powered_device"] == "依赖电动设备"


def test_concrete_labels() -> None:
    assert conditions_met(facts(household_flags={"alone"})) == {
        "alone": "独居",
        "no_carer": "无人照料",  # living alone means nobody cares for them at home
    }
    assert conditions_met(facts(household_flags={"no_carer"})) == {"no_carer": "无人照料"}
    assert conditions_met(facts(level=1)) == {"severe": "重度"}
    assert conditions_met(facts(level=2)) == {"severe": "重度"}
    assert conditions_met(facts(level=3)) == {}
    assert conditions_met(facts(level=None)) == {}
    assert conditions_met(facts(care_flags={"powered_device"}, device_kind="制氧机")) == {
        "powered_device": "依赖制氧机"
    }
    assert conditions_met(facts(care_flags={"powered_device"})) == {
        "powered_device": "依赖电动设备"
    }
    assert conditions_met(facts(care_flags={"powered_device"}, device_kind="其他")) == {
        "powered_device": "依赖电动设备"
    }
    assert conditions_met(facts(care_flags={"bedridden"})) == {"bedridden": "卧床"}
    assert conditions_met(facts(urgent_followup=True)) == {"urgent_followup": "有紧急跟进事项"}
    assert conditions_met(facts(household_flags={"dibao"})) == {"poor": "低保"}
    assert conditions_met(facts(household_flags={"tekun"})) == {"poor": "特困"}
    assert conditions_met(facts(household_flags={"dibao_edge"})) == {"poor": "低保边缘"}
    assert conditions_met(facts(category=5)) == {"intellectual_or_mental": "智力残疾"}
    assert conditions_met(facts(category=6)) == {"intellectual_or_mental": "精神残疾"}
    assert conditions_met(facts(category=7)) == {}
    assert conditions_met(facts(household_flags={"multi_disabled"})) == {
        "multi_disabled": "一户多残"
    }
    assert conditions_met(facts(certified_in_household=2)) == {"multi_disabled": "一户多残"}
    assert conditions_met(facts(household_flags={"elderly_carer"})) == {"elderly_carer": "以老养残"}
    # Flags that no rule looks at change nothing.
    assert conditions_met(facts(household_flags={"empty_nest", "unsafe_house"})) == {}


# --- default rules, one by one -----------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "tier", "text"),
    [
        (facts(household_flags={"alone"}, level=1), "A", "独居 + 重度 → 每周"),
        (facts(care_flags={"powered_device"}, device_kind="制氧机"), "A", "依赖制氧机 → 每周"),
        (facts(care_flags={"powered_device"}, device_kind="呼吸机"), "A", "依赖呼吸机 → 每周"),
        (
            facts(care_flags={"bedridden"}, household_flags={"no_carer"}),
            "A",
            "卧床 + 无人照料 → 每周",
        ),
        (facts(urgent_followup=True), "A", "有紧急跟进事项 → 每周"),
        (facts(household_flags={"dibao"}), "B", "低保 → 每月"),
        (facts(household_flags={"tekun"}), "B", "特困 → 每月"),
        (facts(household_flags={"dibao_edge"}), "B", "低保边缘 → 每月"),
        (facts(level=2), "B", "重度 → 每月"),
        (facts(category=5, level=4), "B", "智力残疾 → 每月"),
        (facts(category=6, level=3), "B", "精神残疾 → 每月"),
        (facts(household_flags={"multi_disabled"}), "B", "一户多残 → 每月"),
        (facts(certified_in_household=3), "B", "一户多残 → 每月"),
        (facts(household_flags={"elderly_carer"}), "B", "以老养残 → 每月"),
        (PLAIN, "C", "其他在册人员 → 每季度"),
        # Half a rule is not enough.
        (facts(household_flags={"alone"}), "C", "其他在册人员 → 每季度"),
        (facts(care_flags={"bedridden"}), "C", "其他在册人员 → 每季度"),
    ],
)
def test_default_rules(person: TierFacts, tier: str, text: str) -> None:
    result = tier_for(person)
    assert result.tier == tier
    assert result.interval_days == {"A": 7, "B": 30, "C": 90}[tier]
    assert result.text == text


def test_bedridden_and_alone_is_weekly_through_no_carer() -> None:
    result = tier_for(facts(care_flags={"bedridden"}, household_flags={"alone"}))
    assert result.tier == "A"
    assert result.reasons == ("卧床 + 无人照料",)


def test_c_has_no_reasons() -> None:
    result = tier_for(PLAIN)
    assert result == TierResult("C", 90, ())


# --- precedence --------------------------------------------------------------------------


def test_a_wins_over_b_with_only_the_a_reasons() -> None:
    # 独居 + 一级 + 低保 + 智力: matches A (独居 + 重度) and B (低保, 重度, 智力残疾).
    person = facts(category=5, level=1, household_flags={"alone", "dibao"})
    result = tier_for(person)
    assert result.tier == "A"
    assert result.interval_days == 7
    assert result.reasons == ("独居 + 重度",)
    assert result.text == "独居 + 重度 → 每周"


def test_all_matching_rules_of_the_winning_tier_are_reasons() -> None:
    person = facts(
        level=1,
        care_flags={"powered_device", "bedridden"},
        device_kind="制氧机",
        household_flags={"alone"},
        urgent_followup=True,
    )
    result = tier_for(person)
    assert result.reasons == ("独居 + 重度", "依赖制氧机", "卧床 + 无人照料", "有紧急跟进事项")
    assert result.text == "独居 + 重度；依赖制氧机；卧床 + 无人照料；有紧急跟进事项 → 每周"

    b_person = facts(category=6, level=2, household_flags={"dibao", "elderly_carer"})
    assert tier_for(b_person).reasons == ("低保", "重度", "精神残疾", "以老养残")
    assert tier_for(b_person).text == "低保；重度；精神残疾；以老养残 → 每月"


# --- custom settings ---------------------------------------------------------------------


def test_changed_intervals() -> None:
    settings = TierSettings({"A": 3, "B": 14, "C": 60}, DEFAULT_TIER_SETTINGS.rules)
    assert tier_for(facts(urgent_followup=True), settings).text == "有紧急跟进事项 → 每3天"
    assert tier_for(facts(level=1), settings).text == "重度 → 每两周"
    assert tier_for(PLAIN, settings) == TierResult("C", 60, ())
    assert tier_for(PLAIN, settings).text == "其他在册人员 → 每两个月"


def test_a_rule_removed() -> None:
    rules = tuple(r for r in DEFAULT_TIER_SETTINGS.rules if r.all_of != ("severe",))
    settings = TierSettings(DEFAULT_TIER_SETTINGS.intervals, rules)
    assert tier_for(facts(level=1), settings).tier == "C"
    assert tier_for(facts(level=1), DEFAULT_TIER_SETTINGS).tier == "B"
    # The other rules still hold.
    assert tier_for(facts(household_flags={"alone"}, level=1), settings).tier == "A"


def test_a_rule_added() -> None:
    rules = (*DEFAULT_TIER_SETTINGS.rules, Rule("A", ("poor", "severe")))
    settings = TierSettings(DEFAULT_TIER_SETTINGS.intervals, rules)
    result = tier_for(facts(level=2, household_flags={"tekun"}), settings)
    assert result.text == "特困 + 重度 → 每周"


def test_order_is_by_interval_not_letter() -> None:
    # A district that swaps the meaning of A and B: B is now the weekly tier.
    settings = TierSettings(
        {"A": 30, "B": 7, "C": 90},
        (Rule("A", ("poor",)), Rule("B", ("poor", "severe"))),
    )
    assert settings.order == ("B", "A", "C")
    result = tier_for(facts(level=1, household_flags={"dibao"}), settings)
    assert (result.tier, result.text) == ("B", "低保 + 重度 → 每周")
    assert tier_for(facts(household_flags={"dibao"}), settings).tier == "A"
    assert tier_for(PLAIN, settings).tier == "C"


def test_fallback_is_the_longest_interval() -> None:
    settings = TierSettings({"A": 7, "B": 120, "C": 30}, (Rule("A", ("severe",)),))
    assert settings.fallback == "B"
    assert tier_for(PLAIN, settings) == TierResult("B", 120, ())


def test_settings_are_not_changed_through_the_callers_dict() -> None:
    intervals = {"A": 7, "B": 30, "C": 90}
    settings = TierSettings(intervals, DEFAULT_TIER_SETTINGS.rules)
    intervals["A"] = 1
    assert settings.intervals["A"] == 7
    assert settings == DEFAULT_TIER_SETTINGS


def test_labels() -> None:
    assert TIER_LABELS == {"A": "每周", "B": "每月", "C": "每季度"}
    for tier, days in DEFAULT_TIER_SETTINGS.intervals.items():
        assert interval_label(days) == TIER_LABELS[tier]
    assert interval_label(10) == "每10天"


# --- JSON --------------------------------------------------------------------------------


def test_json_round_trip() -> None:
    data = DEFAULT_TIER_SETTINGS.to_json()
    assert data["intervals"] == {"A": 7, "B": 30, "C": 90}
    assert data["rules"][0] == {"tier": "A", "all_of": ["alone", "severe"]}
    assert len(data["rules"]) == 9
    # Through real JSON text, as the settings table stores it.
    again = TierSettings.from_json(json.loads(json.dumps(data, ensure_ascii=False)))
    assert again == DEFAULT_TIER_SETTINGS
    assert again.to_json() == data


def test_json_round_trip_of_custom_settings() -> None:
    custom = TierSettings({"A": 5, "B": 21, "C": 60}, (Rule("B", ("alone", "elderly_carer")),))
    assert TierSettings.from_json(custom.to_json()) == custom


def _json(**changes: Any) -> dict[str, Any]:
    data = DEFAULT_TIER_SETTINGS.to_json()
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([], "tiers", "走访分级设置格式不对：应为包含 intervals 和 rules 的对象"),
        ({"rules": []}, "intervals", "走访分级设置缺少各级走访间隔（intervals）"),
        (
            _json(intervals={"A": 7, "B": 30, "C": 90, "D": 365}),
            "intervals",
            "未知的走访等级“D”，只能是 A、B、C",
        ),
        (
            _json(intervals={"A": 0, "B": 30, "C": 90}),
            "intervals",
            "A级的走访间隔应为正整数天数，现为“0”",
        ),
        (
            _json(intervals={"A": 7, "B": -30, "C": 90}),
            "intervals",
            "B级的走访间隔应为正整数天数，现为“-30”",
        ),
        (
            _json(intervals={"A": 7, "B": 30, "C": "90"}),
            "intervals",
            "C级的走访间隔应为正整数天数，现为“90”",
        ),
        (
            _json(intervals={"A": 7.5, "B": 30, "C": 90}),
            "intervals",
            "A级的走访间隔应为正整数天数，现为“7.5”",
        ),
        (
            _json(intervals={"A": True, "B": 30, "C": 90}),
            "intervals",
            "A级的走访间隔应为正整数天数，现为“True”",
        ),
        (_json(intervals={"A": 7, "B": 30}), "intervals", "缺少C级的走访间隔"),
        (_json(rules=None), "rules", "走访分级设置缺少规则列表（rules）"),
        (_json(rules=["alone"]), "rules", "第1条规则格式不对"),
        (
            _json(rules=[{"tier": "E", "all_of": ["alone"]}]),
            "rules",
            "第1条规则的等级“E”未知，只能是 A、B、C",
        ),
        (
            _json(rules=[{"tier": "A", "all_of": ["alone"]}, {"tier": "A", "all_of": []}]),
            "rules",
            "第2条规则至少要有一个条件",
        ),
        (_json(rules=[{"tier": "A", "all_of": "alone"}]), "rules", "第1条规则至少要有一个条件"),
        (
            _json(rules=[{"tier": "A", "all_of": ["alone", "rich", "famous"]}]),
            "rules",
            "第1条规则有未知的条件：rich、famous",
        ),
    ],
)
def test_json_rejections(data: Any, field: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        TierSettings.from_json(data)
    assert err.value.message == message
    assert err.value.field == field


# --- due dates ---------------------------------------------------------------------------


def test_next_due_after_a_visit() -> None:
    registered = date(2020, 1, 1)
    assert next_due(date(2026, 11, 22), 7, registered) == date(2026, 11, 29)
    # Across a leap February: 2028-02-22 + 7 days.
    assert next_due(date(2028, 2, 22), 7, registered) == date(2028, 2, 29)
    assert next_due(date(2027, 2, 22), 7, registered) == date(2027, 3, 1)
    # Monthly is 30 days, not "same day next month": 2027-01-31 + 30 = 2027-03-02
    # (28 days to 02-28, two more).
    assert next_due(date(2027, 1, 31), 30, registered) == date(2027, 3, 2)
    assert next_due(date(2028, 1, 31), 30, registered) == date(2028, 3, 1)  # leap year
    # Quarterly across the year end: 2026-11-15 + 90 = 2027-02-13 (16 + 31 + 31 + 12).
    assert next_due(date(2026, 11, 15), 90, registered) == date(2027, 2, 13)


def test_never_visited_is_due_at_registration() -> None:
    assert next_due(None, 7, date(2026, 11, 3)) == date(2026, 11, 3)
    assert next_due(None, 90, date(2026, 11, 3)) == date(2026, 11, 3)


def test_overdue_days() -> None:
    due = date(2028, 2, 29)
    assert overdue_days(due, date(2028, 2, 28)) == 0  # not yet due
    assert overdue_days(due, date(2028, 2, 29)) == 0  # due today: not overdue
    assert overdue_days(due, date(2028, 3, 1)) == 1
    assert overdue_days(date(2027, 2, 28), date(2027, 3, 1)) == 1  # no 02-29 in 2027
    assert overdue_days(date(2026, 12, 31), date(2027, 1, 31)) == 31
    # Never visited, registered 2026-11-03: 26 days overdue on 2026-11-29.
    assert overdue_days(next_due(None, 90, date(2026, 11, 3)), date(2026, 11, 29)) == 26


def test_weekly_visits_chain_through_the_leap_day() -> None:
    # A weekly person visited on every due day from 2028-02-15.
    day = date(2028, 2, 15)
    seen = []
    for _ in range(3):
        day = next_due(day, 7, date(2020, 1, 1))
        seen.append(day)
    assert seen == [date(2028, 2, 22), date(2028, 2, 29), date(2028, 3, 7)]
