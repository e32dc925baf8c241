"""Emergency events and the roll call in the store: events, the list, statuses,
history, follow-ups, progress, scope, narrowing, closing, and the cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from canxie_tui.domain.emergency import Priority
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Person
from canxie_tui.store import emergency, records, register
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import NotFoundError
from tests.conftest import NOW, Clock, Make, open_store


@dataclass
class People:
    wang: Person  # 3栋, 第1网格, alone, oxygen, 87
    li: Person  # 13栋, 第2网格, low-lying, needs help to evacuate
    zhang: Person  # 5栋 北城三路, 第2网格, nothing special
    xiaoming: Person  # 张伟's son, no certificate
    zhao: Person  # bedridden, moved away


@pytest.fixture
def people(store: Store, make: Make) -> People:
    h1 = make.household(
        "建新东路12号 3栋1单元201",
        building="3栋",
        unit="1单元",
        room="201",
        grid="第1网格",
        flags=["alone"],
        emergency_contact="王强",
        emergency_phone="13900001111",
    )
    wang = make.person(
        h1,
        "王芳",
        birth=date(1939, 5, 1),
        care_flags=["powered_device"],
        device_kind="制氧机",
        phone="13812345678",
    )
    h2 = make.household(
        "建新东路12号 13栋2单元301",
        building="13栋",
        unit="2单元",
        room="301",
        grid="第2网格",
        flags=["low_lying"],
    )
    li = make.person(h2, "李强", care_flags=["evac_help"])
    h3 = make.household(
        "北城三路8号 5栋1单元502", building="5栋", unit="1单元", room="502", grid="第2网格"
    )
    zhang = make.person(h3, "张伟", level=3)
    xiaoming = make.person(h3, "张小明", category=None, relation="子女")
    zhao = make.person(make.household("建新东路20号"), "赵敏", care_flags=["bedridden"])
    zhao = register.change_status(store, zhao, "moved", "2026-11-01", "迁往外地")
    return People(wang, li, zhang, xiaoming, zhao)


def names(rows: list[Priority]) -> list[str]:
    return [r.person.name for r in rows]


# -- events --------------------------------------------------------------------------------
def test_a_new_event_becomes_the_current_one(store: Store) -> None:
    assert emergency.current_event(store) is None
    flood = emergency.start_event(store, "flood", "11月暴雨")
    assert flood.is_current and flood.started_at == NOW.isoformat()
    assert emergency.current_event(store) == flood
    power = emergency.start_event(store, "power", started_at="2026-11-29 08:30")
    assert (power.name, power.started_at) == ("11月29日停电", "2026-11-29T08:30:00")
    assert emergency.current_event(store) == power
    assert not emergency.get_event(store, flood.id).is_current
    assert [e.id for e in emergency.list_events(store)] == [power.id, flood.id]
    again = emergency.set_current(store, flood)
    assert again.is_current and not emergency.get_event(store, power.id).is_current
    actions = [
        r["action"]
        for r in store.query(
            "SELECT action FROM audit_log WHERE table_name = 'emergency_events' ORDER BY seq"
        )
    ]
    assert actions == [
        "启动急难事件",
        "取消当前急难事件",
        "启动急难事件",
        "取消当前急难事件",
        "设为当前急难事件",
    ]


def test_event_input_is_checked(store: Store) -> None:
    with pytest.raises(InputError, match="请选择事件类型"):
        emergency.start_event(store, "storm", "风暴")
    with pytest.raises(InputError, match="太长"):
        emergency.start_event(store, "heat", "高" * 41)
    with pytest.raises(InputError, match="开始时间的时间“25:00”不对"):
        emergency.start_event(store, "heat", "高温", started_at="2026-11-29 25:00")
    event = emergency.start_event(store, "heat", "高温", started_at="今天 7:05")
    assert event.started_at == "2026-11-29T07:05:00"
    assert emergency.find_event(store, event.id[:6]) == event
    with pytest.raises(NotFoundError):
        emergency.find_event(store, "ffffffff")
    with pytest.raises(InputError, match="至少要写前4位"):
        emergency.find_event(store, "ab")


# -- the list ----------------------------------------------------------------------------------
def test_only_active_certified_people_with_a_factor(store: Store, people: People) -> None:
    rows = emergency.priority_list(store, None, kind="power")
    assert names(rows) == ["王芳", "李强"]
    assert rows[0].reasons_text == "依赖制氧机 · 独居 · 87岁"
    assert rows[0].person.contacts == "紧急联系人王强 13900001111"
    assert rows[0].person.place == "3栋1单元201" and rows[0].person.phone == "13812345678"
    everyone = emergency.priority_list(store, None, kind="power", include_all=True)
    assert names(everyone) == ["王芳", "李强", "张伟"]  # not the son, not the one who moved
    assert names(emergency.priority_list(store, None, kind="flood")) == ["李强", "王芳"]


def test_scope_limits_to_grids_buildings_addresses(store: Store, people: People) -> None:
    def listed(scope: list[str]) -> list[str]:
        event = emergency.start_event(store, "flood", "暴雨", scope=scope)
        return names(emergency.priority_list(store, event, include_all=True))

    assert listed(["第1网格"]) == ["王芳"]
    assert listed(["3栋"]) == ["王芳"]  # a bare building is exact: not 13栋
    assert listed(["13栋", "北城三路8号"]) == ["李强", "张伟"]
    assert listed(["第2网格"]) == ["李强", "张伟"]
    assert listed(["建新东路12号 13栋"]) == ["李强"]
    assert listed([" ", "不存在的网格"]) == []
    assert emergency.start_event(store, "flood", "暴雨", scope=[" 第1网格 ", ""]).scope == (
        "第1网格",
    )


def test_query_narrows_by_building_name_pinyin(store: Store, people: People) -> None:
    event = emergency.start_event(store, "flood", "暴雨")

    def found(query: str) -> list[str]:
        call = emergency.roll_call(store, event, query=query, include_all=True)
        assert call.progress.total == 3  # narrowing never changes the progress
        return names(call.rows)

    assert found("3栋") == ["王芳"]
    assert found("13栋") == ["李强"]
    assert found("13栋2单元") == ["李强"]
    assert found("3栋2单元") == []
    assert found("王芳") == ["王芳"]
    assert found("wf") == ["王芳"]
    assert found("zhang") == ["张伟"]
    assert found("北城三路") == ["张伟"]
    assert found("5678") == ["王芳"]  # phone tail
    assert found("  ") == ["李强", "王芳", "张伟"]


def test_group_by_grid(store: Store, people: People) -> None:
    event = emergency.start_event(store, "power", "停电")
    rows = emergency.priority_list(store, event, group_by_grid=True, include_all=True)
    assert [(r.person.grid, r.person.name) for r in rows] == [
        ("第1网格", "王芳"),
        ("第2网格", "李强"),
        ("第2网格", "张伟"),
    ]


# -- the roll call ---------------------------------------------------------------------------------
def test_status_time_operator_and_history(store: Store, people: People) -> None:
    clock = Clock(NOW)
    store.clock = clock
    event = emergency.start_event(store, "power", "停电")
    check = emergency.set_status(store, event, people.wang.id, "safe", " 电话确认，有备用电池 ")
    assert (check.status, check.note, check.checked_at) == (
        "safe",
        "电话确认，有备用电池",
        "2026-11-29T10:00:00",
    )
    assert (check.operator_id, check.checked_by) == (store.operator_id, "李明")
    clock.set(datetime(2026, 11, 29, 12, 15))
    emergency.set_status(store, event, people.wang.id, "help", "备用电池快没电了")
    clock.set(datetime(2026, 11, 29, 13, 40))
    emergency.set_status(store, event, people.wang.id, "safe")  # the note stays
    unchanged = emergency.set_status(store, event, people.wang.id, "safe")
    assert unchanged.version == 3  # nothing changed: nothing written

    history = emergency.history(store, event, people.wang.id)
    assert [(h.at, h.status_label, h.note, h.operator_name) for h in history] == [
        ("2026-11-29T10:00:00", "安全", "电话确认，有备用电池", "李明"),
        ("2026-11-29T12:15:00", "需要帮助", "备用电池快没电了", "李明"),
        ("2026-11-29T13:40:00", "安全", "备用电池快没电了", "李明"),
    ]
    assert [h.action for h in history] == [
        "点名：安全",
        "点名：需要帮助",
        "点名：安全",
    ]
    [row] = [r for r in emergency.priority_list(store, event) if r.person.name == "王芳"]
    assert (row.status, row.note, row.checked_at) == (
        "safe",
        "备用电池快没电了",
        "2026-11-29T13:40:00",
    )
    assert emergency.history(store, event, people.li.id) == []
    assert records.verify_audit_chain(store) == []


def test_status_input_is_checked(store: Store, people: People) -> None:
    event = emergency.start_event(store, "power", "停电")
    with pytest.raises(InputError, match="请选择点名状态"):
        emergency.set_status(store, event, people.wang.id, "fine")
    with pytest.raises(InputError, match="备注太长"):
        emergency.set_status(store, event, people.wang.id, "safe", "很" * 201)
    with pytest.raises(NotFoundError):
        emergency.set_status(store, event, "no-such-person", "safe")
    with pytest.raises(InputError, match="未知的点名状态"):
        emergency.priority_list(store, event, status="fine")
    with pytest.raises(InputError, match="请选择急难事件"):
        emergency.priority_list(store, None)
    assert store.scalar("SELECT count(*) FROM emergency_checks") == 0


def test_help_and_unreachable_raise_one_followup(store: Store, people: People) -> None:
    event = emergency.start_event(store, "flood", "11月暴雨")

    def raised() -> list[tuple[str, str, int, str]]:
        return [
            (r["person_id"], r["what"], r["urgent"], r["due_date"])
            for r in store.query(
                "SELECT person_id, what, urgent, due_date FROM followups "
                "WHERE source = 'emergency' ORDER BY pk"
            )
        ]

    emergency.set_status(store, event, people.zhang.id, "safe")
    emergency.set_status(store, event, people.li.id, "unreachable")
    emergency.set_status(store, event, people.li.id, "unreachable", "敲门无人应")
    assert raised() == [(people.li.id, "11月暴雨：联系不上李强，请上门查看", 0, "2026-11-29")]
    followup = emergency.followup_for(store, event, people.li.id)
    assert followup is not None and followup.source_id == f"{event.id}:{people.li.id}"

    emergency.set_status(store, event, people.li.id, "help", "家中进水，需要转移")
    assert raised() == [
        (people.li.id, "11月暴雨：李强需要帮助——家中进水，需要转移", 1, "2026-11-29")
    ]
    emergency.set_status(store, event, people.wang.id, "help")
    emergency.set_status(store, event, people.wang.id, "safe")
    emergency.set_status(store, event, people.wang.id, "help")
    assert len(raised()) == 2 and raised()[1][2] == 1
    # An urgent follow-up puts the household on the weekly visit list.
    assert register.get_person(store, people.li.id).status == "active"
    assert store.scalar("SELECT tier FROM persons WHERE id = ?", (people.li.id,)) == "A"

    other = emergency.start_event(store, "cold", "寒潮")
    emergency.set_status(store, other, people.li.id, "unreachable")
    assert len(raised()) == 3  # once per event and person


def test_progress_counts_everyone_on_the_list(store: Store, people: People) -> None:
    event = emergency.start_event(store, "flood", "暴雨")
    assert emergency.progress(store, event).text == (
        "已联系 0/2 · 安全 0 · 需要帮助 0 · 已转移 0 · 联系不上 0"
    )
    emergency.set_status(store, event, people.wang.id, "moved", "已转移到社区服务中心")
    emergency.set_status(store, event, people.li.id, "unreachable")
    # 张伟 has no risk factor; once checked he is on this event's list.
    emergency.set_status(store, event, people.zhang.id, "safe")
    progress = emergency.progress(store, event)
    assert progress.text == "已联系 2/3 · 安全 1 · 需要帮助 0 · 已转移 1 · 联系不上 1"
    assert names(emergency.priority_list(store, event, status="unreachable")) == ["李强"]
    assert names(emergency.priority_list(store, event, status="pending")) == []
    assert names(emergency.priority_list(store, event)) == ["李强", "王芳", "张伟"]


def test_closing_keeps_the_event_and_its_totals(store: Store, people: People, make: Make) -> None:
    clock = Clock(datetime(2026, 11, 28, 8, 0))
    store.clock = clock
    event = emergency.start_event(store, "flood", "11月暴雨")
    emergency.set_status(store, event, people.wang.id, "help", "送药")
    emergency.set_status(store, event, people.li.id, "moved")
    clock.set(datetime(2026, 11, 29, 10, 30))
    with pytest.raises(InputError, match="结束时间不能早于开始时间"):
        emergency.close_event(store, event, "2026-11-27 09:00")
    summary = emergency.close_event(store, event)
    assert summary.event.ended_at == "2026-11-29T10:30:00" and not summary.event.is_current
    assert summary.duration_text == "1天2小时"
    assert (summary.progress.total, summary.progress.help, summary.progress.moved) == (2, 1, 1)
    assert summary.helped == 2
    assert emergency.current_event(store) is None

    with pytest.raises(InputError, match="已结束，不能再登记点名"):
        emergency.set_status(store, event, people.wang.id, "safe")
    with pytest.raises(InputError, match="已于2026-11-29 10:30结束"):
        emergency.close_event(store, event)
    with pytest.raises(InputError, match="不能设为当前事件"):
        emergency.set_current(store, event)

    # The register changes later; the event keeps the totals it closed with.
    make.person(make.household("建新东路30号", flags=["low_lying"]), "孙丽")
    assert emergency.progress(store, event).total == 3
    kept = emergency.event_summary(store, event)
    assert (kept.progress.total, kept.helped, kept.duration_text) == (2, 2, "1天2小时")
    assert [s.event.name for s in emergency.events_in_month(store, 2026, 11)] == ["11月暴雨"]
    assert emergency.events_in_month(store, 2026, 10) == []
    assert emergency.events_in_month(store, 2026, 12) == []


def test_open_events_count_in_each_month_they_run(store: Store) -> None:
    store.clock = Clock(datetime(2026, 10, 30, 8, 0))
    event = emergency.start_event(store, "cold", "寒潮")
    assert [s.event.id for s in emergency.events_in_month(store, 2026, 11)] == [event.id]
    assert [s.event.id for s in emergency.events_in_month(store, 2026, 10)] == [event.id]
    assert emergency.events_in_month(store, 2026, 9) == []


# -- the cache follows the register ------------------------------------------------------------------
def test_list_follows_register_changes(store: Store, people: People, make: Make) -> None:
    emergency.clear_cache()
    assert names(emergency.priority_list(store, None, kind="power")) == ["王芳", "李强"]
    zhang = people.zhang
    register.update_person(
        store,
        zhang,
        {
            "name": zhang.name,
            "id_number": zhang.id_number,
            "cert_number": zhang.cert_number,
            "category": zhang.category,
            "level": zhang.level,
            "relation": zhang.relation,
            "care_flags": ["powered_device"],
            "device_kind": "呼吸机",
        },
    )
    rows = emergency.priority_list(store, None, kind="power")
    assert names(rows)[0] in ("王芳", "张伟") and "张伟" in names(rows)
    make.person(make.household("建新东路40号", flags=["alone"]), "钱进")
    assert "钱进" in names(emergency.priority_list(store, None, kind="power"))
    register.change_status(
        store, register.get_person(store, people.li.id), "deceased", "今天", "病故"
    )
    assert "李强" not in names(emergency.priority_list(store, None, kind="power"))
    # Writes of other tables keep the cache (and the list is still right).
    event = emergency.start_event(store, "power", "停电")
    emergency.set_status(store, event, people.wang.id, "safe")
    assert names(emergency.priority_list(store, event, status="safe")) == ["王芳"]


def test_the_clone_of_another_thread_sees_the_same_list(store: Store, people: People) -> None:
    event = emergency.start_event(store, "power", "停电")
    other = store.clone()
    try:
        emergency.set_status(other, event, people.li.id, "help")
        assert emergency.progress(store, event).help == 1
    finally:
        other.close()


def test_a_replaced_file_is_not_mistaken_for_the_old_one(tmp_path: Path) -> None:
    """Same path, same number of audit entries and rows, another history (a restore)."""
    path = tmp_path / "x.db"

    def build(name: str) -> list[str]:
        store = open_store(path)
        make = Make(store)
        make.person(make.household("建新东路1号", flags=["alone"]), name)
        try:
            return names(emergency.priority_list(store, None, kind="cold"))
        finally:
            store.close()

    assert build("王芳") == ["王芳"]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert build("李强") == ["李强"]


def test_preload(store: Store, people: People) -> None:
    emergency.clear_cache()
    emergency.preload(store)
    event = emergency.start_event(store, "heat", "高温", scope=["第2网格"])
    emergency.preload(store, event)
    assert names(emergency.priority_list(store, event)) == ["李强"]


# -- the list a page at a time (the roll-call screen) ------------------------------------------
def test_view_holds_everyone_and_builds_the_first_rows(store: Store, people: People) -> None:
    assert emergency.view(store) is None  # no event current
    event = emergency.start_event(store, "power", "停电")
    emergency.set_status(store, event, people.li.id, "safe")
    listed = emergency.roll_call(store, event)
    view = emergency.view(store, first=1)
    assert view is not None and view.event.id == event.id
    assert len(view) == view.total == len(listed.rows) == 2
    assert view.progress == listed.progress
    assert view.rows == list(listed.rows[:1])  # the first only, its roll call with it
    assert list(view.ranks) == [1, 2] and list(view.groups) == ["", ""]
    assert emergency.page(store, event, view.pks[1:]) == list(listed.rows[1:])
    assert emergency.page(store, event, view.pks[1:])[0].status == "safe"
    narrowed = emergency.view(store, status="safe", first=5)
    assert narrowed is not None and names(narrowed.rows) == ["李强"]
    assert list(narrowed.ranks) == [1] and narrowed.total == 2


def test_view_grouped_by_grid_keeps_the_risk_numbers(store: Store, people: People) -> None:
    emergency.start_event(store, "power", "停电")
    ranked = names(emergency.priority_list(store, emergency.current_event(store)))
    for grouping, expected in (("grid", ["第1网格", "第2网格"]), ("building", ["3栋", "13栋"])):
        view = emergency.view(store, grouping=grouping, first=5)
        assert view is not None
        assert list(view.groups) == expected
        assert [ranked.index(name) + 1 for name in names(view.rows)] == list(view.ranks)


def test_a_page_leaves_out_who_left_the_register_since(store: Store, people: People) -> None:
    event = emergency.start_event(store, "power", "停电")
    view = emergency.view(store)
    assert view is not None and len(view) == 2 and view.rows == []
    register.change_status(
        store, register.get_person(store, people.li.id), "deceased", "今天", "病故"
    )
    assert names(emergency.page(store, event, view.pks)) == ["王芳"]
