"""The due list: the worker's daily to-do of who is overdue for a visit or due soon.

The register below is registered on 2026-08-01 and visited on chosen dates; "today" is
2026-11-29.  Tiers: A 每周 (7 days), B 每月 (30), C 每季度 (90).  "Due within 7 days"
is today up to and including 7 days out.  The overdue come first: an open urgent
follow-up, then tier A, then the rest, each most days overdue first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from canxie_tui.domain.models import Household, Person
from canxie_tui.domain.tiers import DEFAULT_TIER_SETTINGS, TierSettings
from canxie_tui.store import dashboard, followups, register, tiers
from canxie_tui.store.connection import Store
from canxie_tui.store.duelist import DueFilters, DueItem, due_counts, due_list, due_page, grids
from tests.conftest import NOW, TODAY, Clock, Make, open_store

REGISTERED = date(2026, 8, 1)


@dataclass
class Register:
    zhao: Person  # A: 独居 + 重度, visited 11-15 → due 11-22 (逾期7天)
    qian: Person  # B: 低保, visited 10-30 → due 11-29 (今天到期)
    qian_mother: Person  # no certificate: never listed
    sun: Person  # C, visited 09-03 → due 12-02 (3天后到期)
    li: Person  # B: 智力残疾, visited 11-04 → due 12-04
    zhou: Person  # C, visited 09-06 → due 12-05 (6 days out: listed)
    wu: Person  # C, visited 09-07 → due 12-06 (7 days out: listed)
    zheng: Person  # C, never visited → due from registration 08-01 (逾期120天)
    wang: Person  # C, never visited, moved out: never listed


@pytest.fixture
def reg(store: Store, make: Make) -> Register:
    clock = Clock(REGISTERED)
    store.clock = clock

    def home(n: int, building: str, grid: str, **values: Any) -> Household:
        return make.household(
            f"建新东路{n}号", building=building, room=f"{n}01", grid=grid, **values
        )

    h1 = home(1, "1栋", "第一网格", flags=["alone"], phone="13800000001")
    zhao = make.person(h1, "赵一", category=4, level=1)
    h2 = home(2, "2栋", "第一网格", flags=["dibao"])
    qian = make.person(h2, "钱二", category=4, level=3, phone="13800000002")
    qian_mother = make.person(h2, "钱母", category=None, relation="父母")
    sun = make.person(home(3, "3栋", "第二网格"), "孙三", category=4, level=4)
    li = make.person(home(4, "4栋", "第二网格"), "李四", category=5, level=4)
    zhou = make.person(home(5, "4栋", "第二网格"), "周五", category=4, level=3)
    wu = make.person(home(6, "5栋", "第一网格"), "吴六", category=4, level=4)
    zheng = make.person(home(7, "5栋", "第一网格"), "郑七", category=4, level=4)
    wang = make.person(home(8, "6栋", "第三网格"), "王八", category=4, level=4)

    clock.set(NOW)
    make.visit("2026-11-15", zhao)
    make.visit("2026-10-30", qian, qian_mother, method="phone")
    make.visit("2026-09-03", sun)
    make.visit("2026-11-04", li)
    make.visit("2026-09-06", zhou)
    make.visit("2026-09-07", wu)
    register.change_status(store, wang, "moved", "2026-11-01", "迁往渝北区")
    return Register(zhao, qian, qian_mother, sun, li, zhou, wu, zheng, wang)


def _names(items: list[DueItem]) -> list[str]:
    return [i.name for i in items]


def _by_name(items: list[DueItem]) -> dict[str, DueItem]:
    return {i.name: i for i in items}


def test_tiers_of_the_hand_built_register(store: Store, reg: Register) -> None:
    tier = {
        p.name: store.scalar("SELECT tier FROM persons WHERE id = ?", (p.id,))
        for p in (reg.zhao, reg.qian, reg.sun, reg.li, reg.zhou, reg.zheng)
    }
    assert tier == {"赵一": "A", "钱二": "B", "孙三": "C", "李四": "B", "周五": "C", "郑七": "C"}


def test_due_list_tier_a_overdue_first_within_seven_days(store: Store, reg: Register) -> None:
    items, total = due_list(store, TODAY)

    assert _names(items) == ["赵一", "郑七", "钱二", "孙三", "李四", "周五", "吴六"]
    assert total == 7
    due = {i.name: (i.next_due_date, i.overdue_days, i.due_text) for i in items}
    assert due == {
        "郑七": ("2026-08-01", 120, "逾期120天"),
        "赵一": ("2026-11-22", 7, "逾期7天"),
        "钱二": ("2026-11-29", 0, "今天到期"),
        "孙三": ("2026-12-02", -3, "3天后到期"),
        "李四": ("2026-12-04", -5, "5天后到期"),
        "周五": ("2026-12-05", -6, "6天后到期"),
        "吴六": ("2026-12-06", -7, "7天后到期"),
    }


def test_urgent_followup_first_then_tier_a_then_most_overdue(
    store: Store, make: Make, reg: Register
) -> None:
    clock = Clock(REGISTERED)
    store.clock = clock
    late = make.person(make.household("建新东路40号"), "冯九", category=4, level=4)
    clock.set(NOW)
    make.visit("2026-08-20", late)  # C: due 11-18, 逾期11天 (less than 郑七's 120)
    followups.add_followup(store, late.household_id, "漏水，尽快上门", "2026-12-01", urgent=True)
    names = _names(due_list(store, TODAY, DueFilters(overdue_only=True))[0])
    assert names[:3] == ["冯九", "赵一", "郑七"]


def test_due_item_shows_where_and_when_last_seen(store: Store, reg: Register) -> None:
    items = _by_name(due_list(store, TODAY)[0])

    zhao = items["赵一"]
    assert (zhao.tier, zhao.place, zhao.grid, zhao.address) == (
        "A",
        "1栋101",
        "第一网格",
        "建新东路1号",
    )
    assert "独居 + 重度" in zhao.tier_reason
    assert zhao.phone == "13800000001"  # the household's phone when the person has none
    assert zhao.last_visit_text == "2026-11-15 入户"
    assert items["钱二"].phone == "13800000002"
    assert items["钱二"].last_visit_text == "2026-10-30 电话"
    assert items["郑七"].last_visit_text == "从未走访"


def test_never_listed_moved_out_or_without_certificate(store: Store, reg: Register) -> None:
    names = _names(due_list(store, TODAY, DueFilters(within_days=3650))[0])
    assert "王八" not in names
    assert "钱母" not in names
    assert store.scalar("SELECT next_due_date FROM persons WHERE id = ?", (reg.wang.id,)) == ""
    assert "吴六" in names


def test_moving_out_takes_someone_off_the_list(store: Store, reg: Register) -> None:
    register.change_status(
        store, register.get_person(store, reg.zheng.id), "deceased", "2026-11-28", "病故"
    )
    items, total = due_list(store, TODAY)
    assert "郑七" not in _names(items)
    assert total == 6
    # And back in the register: due again from the registration date.
    register.change_status(store, register.get_person(store, reg.zheng.id), "active", "", "")
    assert _names(due_list(store, TODAY)[0])[:2] == ["赵一", "郑七"]


def test_never_visited_person_is_due_from_registration(store: Store, make: Make) -> None:
    clock = Clock(date(2026, 11, 20))
    store.clock = clock
    late = make.person(make.household("建新东路30号"), "新登记", category=4, level=4)
    clock.set(NOW)

    (item,) = due_list(store, TODAY)[0]
    assert item.person_id == late.id
    assert (item.next_due_date, item.due_text) == ("2026-11-20", "逾期9天")


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        (DueFilters(tier="A"), ["赵一"]),
        (DueFilters(tier="B"), ["钱二", "李四"]),
        (DueFilters(tier="C"), ["郑七", "孙三", "周五", "吴六"]),
        (DueFilters(grid="第二网格"), ["孙三", "李四", "周五"]),
        (DueFilters(building="4栋"), ["李四", "周五"]),
        (DueFilters(building="5栋"), ["郑七", "吴六"]),
        (DueFilters(grid="第一网格", tier="C"), ["郑七", "吴六"]),
        (DueFilters(overdue_only=True), ["赵一", "郑七"]),
        (DueFilters(grid="第二网格", overdue_only=True), []),
        (DueFilters(within_days=0), ["赵一", "郑七", "钱二"]),
        (DueFilters(within_days=6), ["赵一", "郑七", "钱二", "孙三", "李四", "周五"]),
    ],
)
def test_due_list_filters(
    store: Store, reg: Register, filters: DueFilters, names: list[str]
) -> None:
    items, total = due_list(store, TODAY, filters)
    assert _names(items) == names
    assert total == len(names)


def test_total_counts_beyond_the_limit(store: Store, reg: Register) -> None:
    items, total = due_list(store, TODAY, limit=2)
    assert _names(items) == ["赵一", "郑七"]
    assert total == 7


def test_overdue_counted_beyond_the_limit(store: Store, reg: Register) -> None:
    # 赵一 and 郑七 are overdue, 钱二 due today: the page of one still counts both.
    page = due_page(store, TODAY, limit=1)
    assert _names(page.items) == ["赵一"]
    assert (page.total, page.overdue) == (7, 2)
    assert due_page(store, TODAY, DueFilters(grid="第二网格"), limit=1).overdue == 0


def test_due_counts(store: Store, reg: Register) -> None:
    assert due_counts(store, TODAY) == {"overdue": 2, "due_today": 1}
    # A week on: 钱二, 孙三, 李四, 周五 are overdue too, 吴六 (12-06) due that day.
    assert due_counts(store, date(2026, 12, 6)) == {"overdue": 6, "due_today": 1}
    board = dashboard.dashboard(store)
    assert (board.overdue, board.due_today) == (2, 1)


def test_grids_for_the_filter(store: Store, reg: Register) -> None:
    # In number order, not by code point (which puts 第三 before 第二).
    assert grids(store) == ["第一网格", "第二网格", "第三网格"]


def test_grids_in_natural_order(store: Store, make: Make) -> None:
    for grid in ("第十网格", "10网格", "第二十网格", "第二网格", "2网格", "第十一网格", "东区"):
        make.household("建新东路1号", grid=grid)
    assert grids(store) == [
        "2网格",
        "10网格",
        "东区",
        "第二网格",
        "第十网格",
        "第十一网格",
        "第二十网格",
    ]


def test_visit_today_makes_someone_due_in_7_days(store: Store, make: Make, reg: Register) -> None:
    make.visit("今天", reg.zhao, method="phone")

    assert due_counts(store, TODAY) == {"overdue": 1, "due_today": 1}
    assert _by_name(due_list(store, TODAY)[0])["赵一"].due_text == "7天后到期"
    assert "赵一" not in _names(due_list(store, TODAY, DueFilters(overdue_only=True))[0])
    # Still weekly: back on the list the next day, due in 6 days.
    items = _by_name(due_list(store, date(2026, 11, 30))[0])
    assert (items["赵一"].next_due_date, items["赵一"].due_text) == ("2026-12-06", "6天后到期")
    assert items["赵一"].last_visit_text == "2026-11-29 电话"


def test_household_flag_change_moves_person_to_weekly(store: Store, make: Make) -> None:
    household = make.household("建新东路20号", building="20栋")
    severe = make.person(household, "陈重", category=4, level=2)
    make.visit("2026-11-20", severe)
    row = store.query(
        "SELECT tier, tier_reason, next_due_date FROM persons WHERE id = ?", (severe.id,)
    )[0]
    assert (row["tier"], row["next_due_date"]) == ("B", "2026-12-20")
    assert due_list(store, TODAY)[0] == []

    register.update_household(
        store,
        register.get_household(store, household.id),
        {"address": "建新东路20号", "building": "20栋", "flags": ["alone"]},
    )

    row = store.query(
        "SELECT tier, tier_reason, next_due_date FROM persons WHERE id = ?", (severe.id,)
    )[0]
    assert row["tier"] == "A"
    assert "独居 + 重度" in row["tier_reason"]
    assert row["next_due_date"] == "2026-11-27"
    (item,) = due_list(store, TODAY)[0]
    assert (item.name, item.tier, item.due_text) == ("陈重", "A", "逾期2天")


def test_new_tier_settings_retier_everyone(store: Store, reg: Register) -> None:
    longer = TierSettings(
        intervals={"A": 14, "B": 60, "C": 180},
        rules=tuple(
            r for r in DEFAULT_TIER_SETTINGS.rules if r.all_of != ("intellectual_or_mental",)
        ),
    )
    updated = tiers.save_settings(store, longer)

    assert updated == 7  # everyone active with a certificate
    assert tiers.get_settings(store) == longer
    rows = {
        r["name"]: (r["tier"], r["next_due_date"])
        for r in store.query(
            "SELECT name, tier, next_due_date FROM persons WHERE status = 'active' AND category IS NOT NULL"
        )
    }
    assert rows == {
        "赵一": ("A", "2026-11-29"),  # 11-15 + 14
        "钱二": ("B", "2026-12-29"),  # 10-30 + 60
        "孙三": ("C", "2027-03-02"),  # 09-03 + 180
        "李四": ("C", "2027-05-03"),  # 智力 no longer a B rule: 11-04 + 180
        "周五": ("C", "2027-03-05"),
        "吴六": ("C", "2027-03-06"),
        "郑七": ("C", "2026-08-01"),  # never visited: still due from registration
    }
    reason = store.scalar("SELECT tier_reason FROM persons WHERE id = ?", (reg.zhao.id,))
    assert "每两周" in reason
    items = due_list(store, TODAY)[0]
    assert _names(items) == ["郑七", "赵一"]
    assert items[1].due_text == "今天到期"

    tiers.save_settings(store, DEFAULT_TIER_SETTINGS)
    assert _names(due_list(store, TODAY)[0]) == [
        "赵一",
        "郑七",
        "钱二",
        "孙三",
        "李四",
        "周五",
        "吴六",
    ]


# -- month ends and a leap year ----------------------------------------------------------


@pytest.fixture
def leap_store(tmp_path: Path) -> Iterator[Store]:
    clock = Clock(date(2027, 11, 1))
    store = open_store(tmp_path / "leap.db", clock=clock)
    make = Make(store)
    weekly = make.person(make.household("江北城1号", flags=["alone"]), "周A", category=4, level=1)
    monthly = make.person(make.household("江北城2号", flags=["dibao"]), "月B", category=4, level=4)
    early = make.person(make.household("江北城3号", flags=["dibao"]), "早B", category=4, level=4)
    quarterly = make.person(make.household("江北城4号"), "季C", category=4, level=4)
    clock.set(date(2028, 3, 1))
    make.visit("2028-02-22", weekly)  # + 7  → 2028-02-29
    make.visit("2028-01-30", monthly)  # + 30 → 2028-02-29
    make.visit("2028-02-01", early)  # + 30 → 2028-03-02
    make.visit("2027-12-01", quarterly)  # + 90 → 2028-02-29, across the year end
    yield store
    store.close()


def test_due_dates_across_month_end_and_leap_day(leap_store: Store) -> None:
    store = leap_store
    assert store.today() == date(2028, 3, 1)
    items = due_list(store, store.today())[0]
    due = {i.name: (i.tier, i.next_due_date, i.due_text) for i in items}
    assert due == {
        "周A": ("A", "2028-02-29", "逾期1天"),
        "月B": ("B", "2028-02-29", "逾期1天"),
        "季C": ("C", "2028-02-29", "逾期1天"),
        "早B": ("B", "2028-03-02", "1天后到期"),
    }
    assert _names(items)[-1] == "早B"
    assert due_counts(store, store.today()) == {"overdue": 3, "due_today": 0}
    assert due_counts(store, date(2028, 2, 29)) == {"overdue": 0, "due_today": 3}
    on_leap_day = {i.name: i.due_text for i in due_list(store, date(2028, 2, 29))[0]}
    assert on_leap_day == {
        "周A": "今天到期",
        "月B": "今天到期",
        "季C": "今天到期",
        "早B": "2天后到期",
    }


def test_leap_store_visit_on_leap_day(leap_store: Store) -> None:
    store = leap_store
    person = next(i for i in due_list(store, store.today())[0] if i.name == "周A")
    make = Make(store)
    make.visit("2-29", register.get_person(store, person.person_id))
    item = next(i for i in due_list(store, date(2028, 3, 7))[0] if i.name == "周A")
    assert (item.next_due_date, item.due_text) == ("2028-03-07", "今天到期")


def test_second_member_moving_out_ends_multi_disabled(store: Store, make: Make) -> None:
    household = make.household("建新东路40号")
    stays = make.person(household, "留下", category=4, level=4)
    leaves = make.person(household, "离开", category=4, level=4, relation="子女")
    make.visit("2026-11-20", stays)

    def tier() -> tuple[str, str, str]:
        row = store.query(
            "SELECT tier, tier_reason, next_due_date FROM persons WHERE id = ?", (stays.id,)
        )[0]
        return row["tier"], row["tier_reason"], row["next_due_date"]

    assert tier() == ("B", "一户多残 → 每月", "2026-12-20")
    register.change_status(store, leaves, "moved", "2026-11-28", "随子女迁居")
    assert tier() == ("C", "其他在册人员 → 每季度", "2027-02-18")
    assert [i.name for i in due_list(store, TODAY, DueFilters(within_days=3650))[0]] == ["留下"]
