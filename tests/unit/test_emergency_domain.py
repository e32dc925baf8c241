"""Emergency ranking: what each event kind raises, the reasons in words, stable ties,
how to reach people, what to check, and the roll-call progress line."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import (
    CHECKLISTS,
    FACTOR_BITS,
    OLDEST,
    OLDEST_BIT,
    VERY_OLD,
    EmergencyEvent,
    PersonRisk,
    Priority,
    Ranker,
    assess,
    contact_advice,
    factors_of,
    format_duration,
    group,
    parse_kind,
    parse_status,
    profile,
    profile_bits,
    profile_score,
    rank,
    summarize,
    weights_for,
)
from canxie_tui.domain.errors import InputError

_ids = itertools.count(1)


def risk(name: str = "某人", **values: Any) -> PersonRisk:
    """A certificate holder (肢体三级, 50 years old, a phone) with nothing else unless given."""
    n = next(_ids)
    base: dict[str, Any] = {
        "person_id": f"p{n}",
        "household_id": f"h{n}",
        "name": name,
        "age": 50,
        "category": 4,
        "level": 3,
        "phone": "13800000000",
    }
    return PersonRisk(**(base | values))


def order(kind: str, *people: PersonRisk) -> list[str]:
    return [row.person.name for row in rank(people, kind)]


# -- each kind raises the right people ---------------------------------------------------
# (kind, who it raises, someone who outranks them on an ordinary day)
RAISED = [
    ("power", {"care_flags": frozenset({"powered_device"}), "device_kind": "制氧机"},
     {"household_flags": frozenset({"alone", "elderly_carer"})}),
    ("heat", {"care_flags": frozenset({"bedridden"})},
     {"household_flags": frozenset({"alone", "multi_disabled"})}),
    ("heat", {"age": 85}, {"care_flags": frozenset({"deaf_text"}), "certified_in_household": 2}),
    ("flood", {"care_flags": frozenset({"evac_help"})}, {"household_flags": frozenset({"alone"})}),
    ("flood", {"household_flags": frozenset({"unsafe_house"})},
     {"household_flags": frozenset({"alone"})}),
    ("flood", {"household_flags": frozenset({"low_lying"})},
     {"household_flags": frozenset({"alone"})}),
    ("cold", {"age": 85}, {"care_flags": frozenset({"evac_help"})}),
    ("cold", {"household_flags": frozenset({"alone"})},
     {"care_flags": frozenset({"powered_device"})}),
    ("epidemic", {"household_flags": frozenset({"alone"})},
     {"care_flags": frozenset({"bedridden"})}),
    ("epidemic", {"household_flags": frozenset({"no_carer"})},
     {"care_flags": frozenset({"bedridden"})}),
    ("epidemic", {"category": 6, "level": 1}, {"care_flags": frozenset({"powered_device"})}),
    ("quake", {"care_flags": frozenset({"evac_help"})}, {"household_flags": frozenset({"alone"})}),
    ("quake", {"care_flags": frozenset({"blind"})}, {"household_flags": frozenset({"alone"})}),
    ("quake", {"care_flags": frozenset({"deaf_text"})}, {"household_flags": frozenset({"alone"})}),
    ("quake", {"care_flags": frozenset({"bedridden"})},
     {"household_flags": frozenset({"alone", "multi_disabled"})}),
    ("fire", {"care_flags": frozenset({"evac_help"})}, {"household_flags": frozenset({"alone"})}),
    ("fire", {"care_flags": frozenset({"blind"})}, {"household_flags": frozenset({"alone"})}),
    ("fire", {"care_flags": frozenset({"deaf_text"})}, {"household_flags": frozenset({"alone"})}),
    ("landslide", {"household_flags": frozenset({"unsafe_house"})},
     {"household_flags": frozenset({"alone"})}),
    ("landslide", {"care_flags": frozenset({"evac_help"})},
     {"household_flags": frozenset({"alone"})}),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "raised", "usual"), RAISED)
def test_each_kind_raises_its_people(
    kind: str, raised: dict[str, Any], usual: dict[str, Any]
) -> None:
    a, b = risk("甲", **raised), risk("乙", **usual)
    assert order("other", a, b) == ["乙", "甲"]  # an ordinary day: 乙 first
    assert order(kind, a, b) == ["甲", "乙"]  # this event: 甲 first
    assert order(kind, b, a) == ["甲", "乙"]  # whatever the input order


def test_power_cut_puts_every_device_user_first() -> None:
    device = risk("甲", care_flags=frozenset({"powered_device"}), device_kind="呼吸机")
    many = risk(
        "乙",
        age=88,
        care_flags=frozenset({"bedridden", "evac_help", "blind"}),
        household_flags=frozenset({"alone", "no_carer"}),
    )
    assert order("other", device, many) == ["乙", "甲"]
    assert order("power", device, many) == ["甲", "乙"]


def test_only_priority_people_are_listed_unless_all_are_asked_for() -> None:
    plain, old = risk("普通"), risk("高龄", age=80)
    assert order("heat", plain, old) == ["高龄"]
    rows = rank([plain, old], "heat", include_all=True)
    assert [(r.person.name, r.score > 0) for r in rows] == [("高龄", True), ("普通", False)]
    # 79 is not very old; a severe certificate alone puts nobody on the list.
    assert rank([risk(age=79, level=1)], "heat") == []


def test_severe_intellectual_or_mental_only() -> None:
    assert factors_of(risk(category=5, level=2)) == {"severe_mental": "重度智力残疾"}
    assert factors_of(risk(category=6, level=1)) == {"severe_mental": "重度精神残疾"}
    assert factors_of(risk(category=6, level=3)) == {}
    assert factors_of(risk(category=4, level=1)) == {}


def test_multi_disabled_from_the_flag_or_the_count() -> None:
    assert "multi_disabled" in factors_of(risk(certified_in_household=2))
    assert "multi_disabled" in factors_of(risk(household_flags=frozenset({"multi_disabled"})))
    assert "multi_disabled" not in factors_of(risk(certified_in_household=1))


# -- reasons in words ------------------------------------------------------------------------
def test_reasons_text_heaviest_first() -> None:
    p = risk(
        age=87,
        care_flags=frozenset({"powered_device"}),
        device_kind="制氧机",
        household_flags=frozenset({"alone"}),
    )
    assert assess(p, "other").reasons == ("依赖制氧机", "独居", "87岁")
    [row] = rank([p], "other")
    assert row.reasons_text == "依赖制氧机 · 独居 · 87岁"
    assert rank([p], "power")[0].reasons_text == "依赖制氧机 · 独居 · 87岁"
    assert rank([p], "heat")[0].reasons_text == "87岁 · 依赖制氧机 · 独居"  # heat: age first


def test_reason_words_for_every_factor() -> None:
    p = risk(
        age=91,
        category=2,
        level=1,
        care_flags=frozenset({"powered_device", "bedridden", "evac_help", "blind"}),
        device_kind="其他",
        household_flags=frozenset(
            {"alone", "no_carer", "elderly_carer", "unsafe_house", "low_lying"}
        ),
        certified_in_household=3,
    )
    words = set(assess(p, "other").reasons)
    assert words == {
        "依赖电动设备",  # 其他 is not a device name
        "卧床",
        "独居",
        "无人照料",
        "需协助撤离",
        "听障",  # 听力一级 without the flag
        "视障",
        "91岁",
        "以老养残",
        "一户多残",
        "危房",
        "低洼地带",
    }


def test_ninety_and_severity_weigh_a_little_more() -> None:
    a, b = risk("八十九", age=89), risk("九十", age=90)
    assert order("heat", a, b) == ["九十", "八十九"]
    mild = risk("三级", household_flags=frozenset({"alone"}))
    severe = risk("一级", level=1, household_flags=frozenset({"alone"}))
    assert order("other", mild, severe) == ["一级", "三级"]


def test_memo_does_not_mix_up_ages() -> None:
    rows = rank([risk("甲", age=81), risk("乙", age=95), risk("丙", age=81)], "cold")
    assert [(r.person.name, r.reasons_text) for r in rows] == [
        ("乙", "95岁"),
        ("丙", "81岁"),  # a tie: by name (丙 U+4E19 < 甲 U+7532)
        ("甲", "81岁"),
    ]


# -- ties ------------------------------------------------------------------------------------
def test_ties_by_building_unit_room_name_numbers_as_numbers() -> None:
    alone = frozenset({"alone"})
    people = [
        risk("赵", building="12栋", unit="1单元", room="101", household_flags=alone),
        risk("钱", building="3栋", unit="2单元", room="101", household_flags=alone),
        risk("孙", building="3栋", unit="1单元", room="1101", household_flags=alone),
        risk("李", building="3栋", unit="1单元", room="201", household_flags=alone),
        risk("周", building="3栋", unit="1单元", room="201", household_flags=alone),
    ]
    # 201 < 1101; 1单元 < 2单元; 3栋 < 12栋; names by character code (周 U+5468 < 李 U+674E)
    expected = ["周", "李", "孙", "钱", "赵"]
    assert order("other", *people) == expected
    assert order("other", *reversed(people)) == expected


def test_ties_are_stable() -> None:
    """Everything equal (same place and name): the input order is kept."""
    twins = [risk("王芳", building="1栋", household_flags=frozenset({"alone"})) for _ in range(5)]
    for arrangement in (twins, twins[::-1], twins[2:] + twins[:2]):
        rows = rank(arrangement, "flood")
        assert [r.person.person_id for r in rows] == [p.person_id for p in arrangement]


# -- how to reach them, what to check -------------------------------------------------------------
def test_deaf_get_text_not_calls() -> None:
    deaf = risk(care_flags=frozenset({"deaf_text"}))
    assert contact_advice(deaf) == "发短信/微信文字，不要打电话"
    assert contact_advice(risk(category=2, level=2)) == "发短信/微信文字，不要打电话"
    no_phone = risk(care_flags=frozenset({"deaf_text"}), phone="")
    assert contact_advice(no_phone).startswith("发短信/微信文字，不要打电话；无手机号")
    [row] = rank([deaf], "quake")
    assert row.contact == "发短信/微信文字，不要打电话"


def test_severe_speech_disability_gets_text_and_the_guardian() -> None:
    # They hear the call but cannot confirm their safety by voice (言语残疾).
    mute = risk(category=3, level=1, guardian_phone="13900000000")
    assert contact_advice(mute) == "发短信/微信文字，不要打电话；同时联系监护人"
    assert contact_advice(risk(category=3, level=2)) == "发短信/微信文字，不要打电话"
    assert contact_advice(risk(category=3, level=4)) == "电话"  # 四级 can talk


def test_landslide_checks_the_slope_and_the_way_out() -> None:
    checks = assess(risk(household_flags=frozenset({"unsafe_house"})), "landslide").checks
    assert any(c.startswith("是否已撤离到安全地带") for c in checks)
    assert "房屋及屋后山体有无裂缝、渗水、掉块" in checks


def test_blind_and_others() -> None:
    assert contact_advice(risk(care_flags=frozenset({"blind"}))) == "电话或上门，勿只发文字"
    assert contact_advice(risk(category=1, level=1)) == "电话或上门，勿只发文字"
    both = risk(care_flags=frozenset({"blind", "deaf_text"}))
    assert contact_advice(both).startswith("上门当面确认")
    assert contact_advice(risk()) == "电话"
    assert contact_advice(risk(phone="")).startswith("无电话")
    guarded = risk(category=5, level=1, guardian_phone="13900001111")
    assert contact_advice(guarded) == "电话；同时联系监护人"


def test_checks_per_kind_and_person() -> None:
    device = risk(care_flags=frozenset({"powered_device"}), device_kind="制氧机")
    assert assess(device, "power").checks[0] == "制氧机备用电源还能用多久"
    assert assess(device, "heat").checks[0] == "制氧机供电是否正常"
    low = risk(household_flags=frozenset({"low_lying"}), care_flags=frozenset({"evac_help"}))
    flood = assess(low, "flood").checks
    assert flood[:2] == ("安排人手协助撤离", "低洼进水风险，是否需要提前转移")
    assert "撤离路线和安置点" in flood
    assert "安排人手协助撤离" not in assess(low, "heat").checks
    # Every kind asks about water or food and medicine; heat about cooling, cold about heating.
    for kind, items in CHECKLISTS.items():
        text = "、".join(items)
        assert "药品" in text, kind
        assert "水" in text or "食物" in text, kind
    assert any("降温" in c for c in CHECKLISTS["heat"])
    assert any("取暖" in c for c in CHECKLISTS["cold"])
    assert any("燃气" in c or "用气" in c for c in CHECKLISTS["quake"])
    assert set(CHECKLISTS) == set(codes.EMERGENCY_KINDS)


# -- progress --------------------------------------------------------------------------------
def test_progress_header() -> None:
    statuses = ["safe"] * 31 + ["help"] * 4 + ["moved"] * 2 + ["unreachable"] * 3
    progress = summarize(statuses + ["pending"] * 12)
    assert progress.text == "已联系 37/52 · 安全 31 · 需要帮助 4 · 已转移 2 · 联系不上 3"
    assert progress.counts() == {
        "pending": 12,
        "safe": 31,
        "help": 4,
        "moved": 2,
        "unreachable": 3,
    }
    assert progress.helped == 6
    assert summarize([]).text == "已联系 0/0 · 安全 0 · 需要帮助 0 · 已转移 0 · 联系不上 0"


def test_row_labels() -> None:
    row = rank([risk(age=85)], "heat")[0]._replace(status="unreachable")
    assert isinstance(row, Priority)
    assert row.status_label == "联系不上"
    assert row.person.disability == "肢体三级"


# -- grouping, parsing, events ------------------------------------------------------------------
def test_group_by_grid() -> None:
    alone = frozenset({"alone"})
    rows = rank(
        [
            risk("甲", grid="第10网格", household_flags=alone),
            risk("乙", grid="第2网格", household_flags=alone, age=85),
            risk("丙", grid="", household_flags=alone),
            risk("丁", grid="第2网格", household_flags=alone),
        ],
        "heat",
    )
    groups = group(rows)
    assert [(label, [r.person.name for r in members]) for label, members in groups] == [
        ("第2网格", ["乙", "丁"]),
        ("第10网格", ["甲"]),
        ("未分网格", ["丙"]),
    ]
    two = rank(
        [
            risk("甲", grid="第1网格", division_name="建新东路社区", household_flags=alone),
            risk("乙", grid="第1网格", division_name="北城天街社区", household_flags=alone),
        ],
        "other",
    )
    assert [label for label, _ in group(two)] == ["北城天街社区·第1网格", "建新东路社区·第1网格"]
    with pytest.raises(ValueError):
        group(rows, by="street")


@pytest.mark.parametrize(
    ("text", "code"),
    [("停电", "power"), ("power", "power"), ("暴雨", "flood"), ("汛期", "flood"),
     ("汛期/暴雨", "flood"), (" 高温 ", "heat"), ("寒潮", "cold"), ("疫情", "epidemic"),
     ("滑坡", "landslide"), ("崩塌", "landslide"), ("地质灾害", "landslide")],
)  # fmt: skip
def test_parse_kind(text: str, code: str) -> None:
    assert parse_kind(text) == code


def test_parse_kind_and_status_refuse_unknown() -> None:
    with pytest.raises(InputError, match="未知的事件类型“雷电”"):
        parse_kind("雷电")
    with pytest.raises(InputError, match="未知的点名状态"):
        parse_status("好")
    assert parse_status("已联系·安全") == parse_status("安全") == "safe"
    assert parse_status("联系不上") == "unreachable"
    assert parse_status("已转移") == parse_status("已转移安置") == "moved"


def test_event_duration() -> None:
    assert format_duration(timedelta(minutes=15)) == "15分钟"
    assert format_duration(timedelta(hours=5, minutes=20)) == "5小时20分钟"
    assert format_duration(timedelta(days=2, hours=3)) == "2天3小时"
    assert format_duration(timedelta(days=1)) == "1天"
    assert format_duration(timedelta(minutes=-5)) == "0分钟"
    event = EmergencyEvent("e", "flood", "暴雨", "2026-11-28T08:00:00")
    now = datetime(2026, 11, 29, 10, 30)
    assert event.duration_text(now) == "进行中（已1天2小时）"
    closed = EmergencyEvent("e", "flood", "暴雨", "2026-11-28T08:00:00", "2026-11-28T20:00:00")
    assert closed.duration_text(now) == "12小时"
    assert (closed.is_closed, closed.state_text, closed.scope_text) == (True, "已结束", "全部")


# -- properties --------------------------------------------------------------------------------
_people = st.builds(
    risk,
    name=st.sampled_from(["王芳", "李强", "张伟", "刘洋"]),
    age=st.one_of(st.none(), st.integers(0, 105)),
    category=st.integers(1, 7),
    level=st.integers(1, 4),
    care_flags=st.frozensets(st.sampled_from(list(codes.CARE_FLAGS))),
    device_kind=st.sampled_from(["", "制氧机", "其他"]),
    household_flags=st.frozensets(st.sampled_from(list(codes.HOUSEHOLD_FLAGS))),
    certified_in_household=st.integers(1, 3),
    building=st.sampled_from(["", "1栋", "3栋", "12栋"]),
    phone=st.sampled_from(["", "13800000000"]),
)


@given(st.lists(_people, max_size=30), st.sampled_from(list(codes.EMERGENCY_KINDS)))
def test_rank_is_the_sorted_priority_people(people: list[PersonRisk], kind: str) -> None:
    rows = rank(people, kind)
    assert {r.person.person_id for r in rows} == {p.person_id for p in people if factors_of(p)}
    scores = [r.score for r in rows]
    assert scores == sorted(scores, reverse=True)
    for row in rows:  # the memo gives each person their own assessment
        assert tuple(row[1:5]) == tuple(assess(row.person, kind))
        assert row.reasons and row.checks and row.status == "pending"


@given(
    st.lists(_people, max_size=20),
    st.lists(_people, max_size=10),
    st.sampled_from(list(codes.EMERGENCY_KINDS)),
    st.booleans(),
)
def test_a_ranker_kept_ranks_as_a_fresh_one(
    first: list[PersonRisk], second: list[PersonRisk], kind: str, include_all: bool
) -> None:
    """The store keeps one Ranker per kind across loads and edits: its memo never
    gives anyone another person's assessment, and its row is the row in the list."""
    ranker = Ranker(kind)
    assert ranker.rank(first, include_all=include_all) == rank(first, kind, include_all=include_all)
    both = first + second
    rows = ranker.rank(both, include_all=include_all)
    assert rows == rank(both, kind, include_all=include_all)
    listed = {r.person.person_id: r for r in rows}
    for p in both:
        assert ranker.row(p, include_all=include_all) == listed.get(p.person_id)
        assert ranker.assess(p) == assess(p, kind)


def test_profile_is_what_an_assessment_depends_on() -> None:
    a = risk("甲", age=83, phone="13800000001", household_flags=frozenset({"alone"}))
    b = risk("乙", age=83, phone="13900000002", household_flags=frozenset({"alone"}))
    assert profile(a) == profile(b) and assess(a, "heat") == assess(b, "heat")
    assert profile(a) != profile(a._replace(age=84))  # the reason says 83岁
    assert profile(risk(age=40)) == profile(risk(age=79))  # no age factor below 80
    assert profile(a) != profile(a._replace(phone=""))  # the contact advice changes


@given(_people, st.sampled_from(list(codes.EMERGENCY_KINDS)))
def test_a_stored_profile_scores_as_the_person(p: PersonRisk, kind: str) -> None:
    """The store keeps `profile_bits` and adds the age bits of the day (≥ 80, ≥ 90):
    ranking by the profile's score is ranking by the person's assessment."""
    age_bits = 0
    if p.age is not None and p.age >= VERY_OLD:
        age_bits |= FACTOR_BITS["very_old"]
    if p.age is not None and p.age >= OLDEST:
        age_bits |= OLDEST_BIT
    weights = weights_for(kind)
    assert profile_score(profile_bits(p) | age_bits, weights) == assess(p, kind).score
