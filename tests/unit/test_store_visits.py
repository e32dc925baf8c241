"""Home visits (走访探视): what a logged, corrected or withdrawn visit leaves behind.

The clock is fixed at 2026-11-29 10:00.  The household used throughout has three
certificate holders (一户多残, so all three are tier B, monthly) and one family member
without a certificate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Household, Operator, Person
from canxie_tui.store import dashboard, followups, register, site, visits
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StaleEditError
from tests.conftest import TODAY, Make


@dataclass
class Family:
    household: Household
    wang: Person  # 肢体二级 (重度)
    zhang: Person  # 肢体四级
    xiao: Person  # 智力三级
    mother: Person  # no certificate
    second: Operator  # 张华, the second visitor


@pytest.fixture
def family(store: Store, make: Make) -> Family:
    household = make.household("建新东路8号", building="8栋", unit="1单元", room="201")
    wang = make.person(household, "王芳", category=4, level=2)
    zhang = make.person(household, "张强", category=4, level=4, relation="配偶")
    xiao = make.person(household, "王小红", category=5, level=3, relation="子女")
    mother = make.person(household, "刘秀英", category=None, relation="父母")
    return Family(household, wang, zhang, xiao, mother, site.add_operator(store, "张华"))


def _person(store: Store, person: Person) -> dict[str, Any]:
    return store.query(
        "SELECT last_visit_date, last_visit_method, tier, tier_reason, next_due_date "
        "FROM persons WHERE id = ?",
        (person.id,),
    )[0]


def _last(store: Store, person: Person) -> tuple[str, str]:
    row = _person(store, person)
    return row["last_visit_date"], row["last_visit_method"]


def _table_counts(store: Store) -> dict[str, int]:
    tables = ("visits", "visit_visitors", "visit_persons", "followups", "audit_log")
    return {t: store.scalar(f"SELECT count(*) FROM {t}") for t in tables}


# -- logging a visit ---------------------------------------------------------------------


def test_add_visit_records_visitors_people_seen_and_audit(
    store: Store, make: Make, family: Family
) -> None:
    values = make.visit_values(
        "2026-11-20",
        [family.wang, family.zhang],
        visitors=[store.operator_id, family.second.id],
        checklist=["address", "phone", "living"],
        problems=["housing"],
        problem_text="厨房漏水",
        help_given="联系物业维修",
        referrals=["housing"],
        note="精神状态好",
    )
    visit = visits.add_visit(store, family.household.id, values)

    assert visit.visit_date == "2026-11-20"
    assert visit.method_label == "入户"
    assert visit.visitor_names == ("李明", "张华")
    assert set(visit.persons_seen) == {family.wang.id, family.zhang.id}
    assert visit.checklist == {"address", "phone", "living"}
    assert visit.problems == {"housing"}
    assert visit.problem_text == "厨房漏水"
    assert visit.referrals == {"housing"}

    row = store.query("SELECT * FROM visits WHERE id = ?", (visit.id,))[0]
    assert row["household_id"] == family.household.id
    assert row["created_by"] == "李明"
    assert json.loads(row["checklist"]) == ["address", "living", "phone"]
    visitors = store.query("SELECT operator_id FROM visit_visitors WHERE visit_id = ?", (visit.id,))
    assert {r["operator_id"] for r in visitors} == {store.operator_id, family.second.id}
    seen = store.query("SELECT person_id FROM visit_persons WHERE visit_id = ?", (visit.id,))
    assert {r["person_id"] for r in seen} == {family.wang.id, family.zhang.id}

    audit = store.query(
        "SELECT operator_name, action, after FROM audit_log "
        "WHERE table_name = 'visits' AND record_id = ?",
        (visit.id,),
    )
    assert len(audit) == 1
    assert audit[0]["operator_name"] == "李明"
    assert audit[0]["action"] == "新增"
    assert json.loads(audit[0]["after"])["visit_date"] == "2026-11-20"

    assert [v.id for v in visits.household_visits(store, family.household.id)] == [visit.id]


def test_last_visit_and_next_due_updated_for_people_seen_only(
    store: Store, make: Make, family: Family
) -> None:
    before = _person(store, family.xiao)
    make.visit("2026-11-20", family.wang, family.zhang, method="phone")

    for person in (family.wang, family.zhang):
        row = _person(store, person)
        assert (row["last_visit_date"], row["last_visit_method"]) == ("2026-11-20", "phone")
        assert row["tier"] == "B"
        assert row["next_due_date"] == "2026-12-20"  # + 30 days (每月)
    # Not seen: still never visited, due from the day of registration.
    assert _last(store, family.xiao) == ("", "")
    assert _person(store, family.xiao) == before
    assert _person(store, family.xiao)["next_due_date"] == TODAY.isoformat()
    assert register.get_person(store, family.wang.id).last_visit_date == "2026-11-20"


def test_next_due_follows_the_tier_interval(store: Store, make: Make) -> None:
    alone = make.household("建新东路9号", flags=["alone"])
    severe_alone = make.person(alone, "赵一", category=4, level=1)
    plain = make.person(make.household("建新东路10号"), "孙三", category=4, level=4)

    make.visit("2026-11-20", severe_alone)
    make.visit("2026-11-20", plain)

    assert _person(store, severe_alone)["tier"] == "A"
    assert _person(store, severe_alone)["next_due_date"] == "2026-11-27"  # 每周
    assert _person(store, plain)["tier"] == "C"
    assert _person(store, plain)["next_due_date"] == "2027-02-18"  # 每季度, across the year


def test_visit_keeps_the_household_tier(store: Store, make: Make, family: Family) -> None:
    visit = make.visit("2026-11-20", family.wang)
    assert visit.tier == "B"
    assert store.scalar("SELECT tier FROM visits WHERE id = ?", (visit.id,)) == "B"

    alone = make.household("建新东路9号", flags=["alone"])
    a_visit = make.visit("2026-11-21", make.person(alone, "赵一", category=4, level=1))
    assert a_visit.tier == "A"


def test_visit_tier_is_the_household_tier_when_only_a_lower_tier_member_is_seen(
    store: Store, make: Make
) -> None:
    home = make.household("建新东路9号", flags=["alone"])
    weekly = make.person(home, "赵一", category=4, level=1)  # 独居 + 重度 → A
    monthly = make.person(home, "赵二", category=4, level=4)  # 一户多残 → B
    assert (_person(store, weekly)["tier"], _person(store, monthly)["tier"]) == ("A", "B")

    visit = make.visit("2026-11-20", monthly)

    assert visit.tier == "A"


def test_same_day_visits_last_logged_method_wins(store: Store, make: Make) -> None:
    # A phone call in the morning, a home visit in the afternoon; 20 people so that an
    # arbitrary pick cannot pass by chance (2**-20).
    methods = []
    for n in range(20):
        person = make.person(
            make.household(f"建新东路{n + 100}号"), f"同日{n}", category=4, level=4
        )
        make.visit("2026-11-20", person, method="phone")
        make.visit("2026-11-20", person, method="home")
        # The household timeline shows the home visit as the latest ...
        assert visits.household_visits(store, person.household_id)[0].method == "home"
        methods.append(_last(store, person)[1])
    # ... and so should the person's last visit (due list: "2026-11-20 入户").
    assert methods == ["home"] * 20


# -- follow-ups ---------------------------------------------------------------------------


def test_visit_with_followup_opens_one(store: Store, make: Make, family: Family) -> None:
    visit = make.visit(
        "2026-11-20", family.wang, followup_what="协助申请护理补贴", followup_due="2026-12-10"
    )

    rows = store.query("SELECT * FROM followups WHERE household_id = ?", (family.household.id,))
    assert len(rows) == 1
    row = rows[0]
    assert (row["source"], row["source_id"]) == ("visit", visit.id)
    assert (row["status"], row["what"], row["due_date"]) == (
        "open",
        "协助申请护理补贴",
        "2026-12-10",
    )
    assert row["urgent"] == 0
    assert row["owner_id"] == store.operator_id
    opened = followups.open_followups(store, household_id=family.household.id)
    assert [f.what for f in opened] == ["协助申请护理补贴"]
    assert opened[0].state_text(TODAY) == "未完成"
    # A routine follow-up does not change anyone's tier.
    assert _person(store, family.wang)["tier"] == "B"


def test_urgent_followup_makes_household_weekly_until_closed(
    store: Store, make: Make, family: Family
) -> None:
    make.visit(
        "2026-11-20",
        family.wang,
        followup_what="屋顶漏雨，联系住建",
        followup_due="2026-11-30",
        followup_urgent=True,
    )

    for person in (family.wang, family.zhang, family.xiao):
        row = _person(store, person)
        assert row["tier"] == "A"
        assert "有紧急跟进事项" in row["tier_reason"]
        assert "每周" in row["tier_reason"]
    assert _person(store, family.wang)["next_due_date"] == "2026-11-27"  # visit + 7
    assert _person(store, family.zhang)["next_due_date"] == TODAY.isoformat()  # never visited
    assert store.scalar("SELECT tier FROM persons WHERE id = ?", (family.mother.id,)) == "C"

    (followup,) = followups.open_followups(store, household_id=family.household.id)
    assert followup.urgent
    closed = followups.close_followup(store, followup, "已维修", "今天")
    assert (closed.status, closed.closed_date) == ("closed", "2026-11-29")

    for person in (family.wang, family.zhang, family.xiao):
        row = _person(store, person)
        assert row["tier"] == "B"
        assert "有紧急跟进事项" not in row["tier_reason"]
    assert _person(store, family.wang)["next_due_date"] == "2026-12-20"
    assert followups.open_followups(store, household_id=family.household.id) == []


def test_followup_due_before_visit_refused(store: Store, make: Make, family: Family) -> None:
    counts = _table_counts(store)
    values = make.visit_values(
        "2026-11-20", [family.wang], followup_what="回访", followup_due="2026-11-19"
    )
    with pytest.raises(InputError) as err:
        visits.add_visit(store, family.household.id, values)
    assert err.value.field == "followup_due"
    assert _table_counts(store) == counts


def test_followup_due_without_what_refused(store: Store, make: Make, family: Family) -> None:
    values = make.visit_values("2026-11-20", [family.wang], followup_due="2026-12-01")
    with pytest.raises(InputError) as err:
        visits.check_visit(store, values)
    assert err.value.field == "followup_what"


# -- correcting ---------------------------------------------------------------------------


def test_correct_visit_recomputes_last_visit_for_old_and_new_people(
    store: Store, make: Make, family: Family
) -> None:
    make.visit("2026-11-10", family.wang, method="phone")
    visit = make.visit("2026-11-20", family.wang, family.zhang)
    assert _last(store, family.wang) == ("2026-11-20", "home")

    corrected = visits.correct_visit(
        store, visit, make.visit_values("2026-11-15", [family.zhang, family.xiao], method="meet")
    )

    assert corrected.visit_date == "2026-11-15"
    assert corrected.version == visit.version + 1
    assert set(corrected.persons_seen) == {family.zhang.id, family.xiao.id}
    # 王芳 is no longer among those seen: back to her earlier phone call.
    assert _last(store, family.wang) == ("2026-11-10", "phone")
    assert _person(store, family.wang)["next_due_date"] == "2026-12-10"
    # 张强 stays, with the corrected date; 王小红 is newly seen.
    assert _last(store, family.zhang) == ("2026-11-15", "meet")
    assert _last(store, family.xiao) == ("2026-11-15", "meet")
    assert _person(store, family.xiao)["next_due_date"] == "2026-12-15"
    audit = store.query(
        "SELECT action, operator_name FROM audit_log WHERE record_id = ? ORDER BY seq",
        (visit.id,),
    )
    assert [a["action"] for a in audit] == ["新增", "更正走访"]


def test_correct_visit_to_someone_never_visited_before_clears_last_visit(
    store: Store, make: Make, family: Family
) -> None:
    visit = make.visit("2026-11-20", family.wang)
    visits.correct_visit(store, visit, make.visit_values("2026-11-20", [family.zhang]))
    assert _last(store, family.wang) == ("", "")
    assert _person(store, family.wang)["next_due_date"] == TODAY.isoformat()
    assert _last(store, family.zhang) == ("2026-11-20", "home")


def test_correct_visit_changing_only_people_seen_is_audited(
    store: Store, make: Make, family: Family
) -> None:
    visit = make.visit("2026-11-20", family.wang)

    corrected = visits.correct_visit(
        store, visit, make.visit_values("2026-11-20", [family.wang, family.zhang])
    )

    assert _last(store, family.zhang) == ("2026-11-20", "home")  # this part works
    assert corrected.version == visit.version + 1
    actions = store.query(
        "SELECT action FROM audit_log WHERE record_id = ? ORDER BY seq", (visit.id,)
    )
    assert [a["action"] for a in actions] == ["新增", "更正走访"]


def test_stale_correct_refused_and_nothing_changed(
    store: Store, make: Make, family: Family
) -> None:
    visit = make.visit("2026-11-20", family.wang, note="第一次")
    other = store.clone()
    try:
        site.switch_operator(other, family.second)
        theirs = visits.correct_visit(
            other,
            visit,
            make.visit_values("2026-11-19", [family.wang], note="张华更正", method="phone"),
        )
        counts = _table_counts(store)
        people = {p.id: _person(store, p) for p in (family.wang, family.zhang)}

        with pytest.raises(StaleEditError) as err:
            visits.correct_visit(
                store, visit, make.visit_values("2026-11-18", [family.zhang], note="李明更正")
            )

        assert "张华" in err.value.message
        assert _table_counts(store) == counts
        assert visits.get_visit(store, visit.id) == theirs
        assert {p.id: _person(store, p) for p in (family.wang, family.zhang)} == people
        assert _last(store, family.wang) == ("2026-11-19", "phone")
    finally:
        other.close()


# -- withdrawing --------------------------------------------------------------------------


def test_withdraw_visit_falls_back_to_previous_visit(
    store: Store, make: Make, family: Family
) -> None:
    first = make.visit("2026-11-10", family.wang, method="phone")
    second = make.visit("2026-11-20", family.wang, family.zhang)
    assert dashboard.month_stats(store, TODAY).visits == 2

    visits.withdraw_visit(store, second, "误录：走错户")

    assert _last(store, family.wang) == ("2026-11-10", "phone")
    assert _person(store, family.wang)["next_due_date"] == "2026-12-10"
    assert _last(store, family.zhang) == ("", "")
    assert _person(store, family.zhang)["next_due_date"] == TODAY.isoformat()
    assert [v.id for v in visits.household_visits(store, family.household.id)] == [first.id]

    month = dashboard.month_stats(store, TODAY)
    assert month.visits == 1
    assert month.households_visited == 1
    assert month.by_method == {"phone": 1}
    assert month.per_day[19] == 0  # the 20th
    assert month.per_day[9] == 1  # the 10th
    # Kept for the audit, with the reason.
    row = store.query("SELECT deleted, note FROM visits WHERE id = ?", (second.id,))[0]
    assert row["deleted"] == 1
    assert "误录：走错户" in row["note"]
    actions = store.query(
        "SELECT action FROM audit_log WHERE record_id = ? ORDER BY seq", (second.id,)
    )
    assert [a["action"] for a in actions] == ["新增", "撤销走访"]


def test_withdraw_only_visit_leaves_never_visited(store: Store, make: Make, family: Family) -> None:
    visit = make.visit("2026-11-20", family.wang)
    visits.withdraw_visit(store, visit, "重复录入")
    assert _last(store, family.wang) == ("", "")
    assert visits.household_visits(store, family.household.id) == []
    assert dashboard.dashboard(store).month.households_visited == 0


def test_withdraw_needs_a_reason(store: Store, make: Make, family: Family) -> None:
    visit = make.visit("2026-11-20", family.wang)
    with pytest.raises(InputError) as err:
        visits.withdraw_visit(store, visit, "  ")
    assert err.value.field == "reason"
    assert visits.get_visit(store, visit.id) == visit


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2026-11-30", "12-01", "2027-01-01"])
def test_future_visit_date_refused(store: Store, make: Make, family: Family, typed: str) -> None:
    counts = _table_counts(store)
    with pytest.raises(InputError) as err:
        visits.add_visit(store, family.household.id, make.visit_values(typed, [family.wang]))
    assert err.value.field == "visit_date"
    assert "不能晚于今天" in err.value.message
    assert _table_counts(store) == counts
    assert _last(store, family.wang) == ("", "")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("20261129", "2026-11-29"),
        ("11-29", "2026-11-29"),
        ("今天", "2026-11-29"),
        ("昨天", "2026-11-28"),
        ("2026/11/3", "2026-11-03"),
        ("１１月２７日", "2026-11-27"),
    ],
)
def test_visit_date_as_typed_stored_as_iso(
    store: Store, make: Make, family: Family, typed: str, stored: str
) -> None:
    visit = make.visit(typed, family.wang)
    assert store.scalar("SELECT visit_date FROM visits WHERE id = ?", (visit.id,)) == stored
    assert _last(store, family.wang)[0] == stored


def test_old_visit_date_warns(store: Store, make: Make, family: Family) -> None:
    _, warnings = visits.check_visit(store, make.visit_values("2026-10-29", [family.wang]))
    assert len(warnings) == 1
    assert "31天前" in warnings[0]
    _, warnings = visits.check_visit(store, make.visit_values("2026-10-30", [family.wang]))
    assert warnings == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"visitors": []}, "visitors"),
        ({"persons_seen": []}, "persons_seen"),
        ({"problems": ["other"]}, "problem_text"),
        ({"problems": ["other"], "problem_text": "   "}, "problem_text"),
        ({"method": ""}, "method"),
        ({"visit_date": ""}, "visit_date"),
        ({"visit_date": "2026-02-30"}, "visit_date"),
    ],
)
def test_incomplete_visit_refused(
    store: Store, make: Make, family: Family, change: dict[str, Any], field: str
) -> None:
    counts = _table_counts(store)
    values = make.visit_values("2026-11-20", [family.wang]) | change
    with pytest.raises(InputError) as err:
        visits.add_visit(store, family.household.id, values)
    assert err.value.field == field
    assert err.value.message
    assert _table_counts(store) == counts


def test_other_problem_with_text_accepted(store: Store, make: Make, family: Family) -> None:
    visit = make.visit("2026-11-20", family.wang, problems=["other"], problem_text="邻里纠纷")
    assert visit.problems == {"other"}
    assert visit.problem_text == "邻里纠纷"


def test_person_of_another_household_refused(store: Store, make: Make, family: Family) -> None:
    stranger = make.person(make.household("建新东路99号"), "陈九", category=4, level=4)
    counts = _table_counts(store)
    with pytest.raises(InputError) as err:
        visits.add_visit(
            store, family.household.id, make.visit_values("2026-11-20", [family.wang, stranger])
        )
    assert err.value.field == "persons_seen"
    assert _table_counts(store) == counts
    assert _last(store, stranger) == ("", "")


def test_open_followups_without_a_limit_gives_them_all(store: Store, make: Make) -> None:
    """The follow-up list asks for every open one (it pages the table itself), so its
    "未完成 N 件" is the true count even past the default limit of 500."""
    house = make.household()
    for n in range(503):
        followups.add_followup(store, house.id, f"事项{n}", "2026-12-01")
    assert len(followups.open_followups(store)) == 500
    every = followups.open_followups(store, limit=None)
    assert len(every) == 503 == followups.counts(store, TODAY)["open"]
