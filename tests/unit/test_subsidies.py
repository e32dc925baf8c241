"""两项补贴: rule sets by month, the monthly check on a hand-built register, the history,
the payroll and changes sheets read back, the roster import and the upgrade.

The register's clock is 2026-11-29 (tests/conftest.py): the month checked is 2026-11.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Person
from canxie_tui.domain.subsidies import (
    APPLYING,
    CARE,
    CHONGQING_2026,
    LIVING,
    PAUSED,
    RECEIVING,
    STOPPED,
    RuleSet,
)
from canxie_tui.excel.subsidy_sheets import export_subsidies
from canxie_tui.store import indicators as store_indicators
from canxie_tui.store import register, session, subsidies, subsidy_check
from canxie_tui.store.connection import Store
from canxie_tui.store.subsidy_check import check, naive_check
from tests.conftest import NOW, TODAY, Clock, Make, fixed_clock

MONTH = "2026-11"
# A made-up earlier rule set (tests only): the months before 2026 are judged by it.
OLD = RuleSet(start="2025-01", living_amount=80, care_level1=90, care_level2=80, source="测试")


def receive(store: Store, person: Person, kind: str, since: str = "2026-01") -> Person:
    """享受 from `since`; the person as now (the register's tick moved their version)."""
    subsidies.set_state(store, person.id, kind, RECEIVING, since, "审核通过")
    return register.get_person(store, person.id)


@dataclass
class Built:
    people: dict[str, Person]


@pytest.fixture
def built(store: Store, make: Make) -> Built:
    """One person per reason the check gives, each named for it."""
    p: dict[str, Person] = {}
    plain = make.household("建新东路1号")
    dibao = make.household("建新东路2号", flags=["dibao"])
    tekun = make.household("建新东路3号", flags=["tekun"])
    low = make.household("建新东路4号", flags=["low_income"])
    # 应享未享
    p["一级未申请"] = make.person(plain, "一级未申请", category=4, level=1)
    p["低保未申请"] = make.person(dibao, "低保未申请", category=1, level=3)
    p["低收入"] = make.person(low, "低收入", category=4, level=4)
    p["三级精神"] = make.person(plain, "三级精神", category=6, level=3)
    p["申请中"] = make.person(plain, "申请中", category=4, level=2)
    subsidies.set_state(store, p["申请中"].id, CARE, APPLYING, MONTH, "本人申请")
    # 应停未停
    for name, status, day in (
        ("已死亡", "deceased", "2026-09-10"),
        ("已迁出", "moved", "2026-10-20"),
        ("已注销", "cancelled", "2026-08-01"),
        ("本月死亡", "deceased", "2026-11-03"),  # this month is still paid: not listed
    ):
        p[name] = make.person(plain, name, category=4, level=1)
        p[name] = receive(store, p[name], CARE)
        p[name] = register.change_status(store, p[name], status, day, "测试")
    p["证件过期"] = make.person(
        plain,
        "证件过期",
        category=4,
        level=2,
        cert_issued="2016-08-31",
        cert_valid_until="2026-08-31",
    )
    receive(store, p["证件过期"], CARE)
    p["不在低保"] = make.person(plain, "不在低保", category=4, level=4)
    receive(store, p["不在低保"], LIVING)
    p["特困"] = make.person(tekun, "特困", category=4, level=4)
    receive(store, p["特困"], LIVING)
    p["市外户籍"] = make.person(dibao, "市外户籍", category=4, level=1, hukou="outside")
    receive(store, p["市外户籍"], CARE)
    p["三级肢体"] = make.person(plain, "三级肢体", category=4, level=3)
    receive(store, p["三级肢体"], CARE)
    p["工伤护理"] = make.person(plain, "工伤护理", category=4, level=1, benefits=["injury_care"])
    receive(store, p["工伤护理"], CARE)
    # 变更: paid as 二级, reassessed 一级
    p["等级变更"] = make.person(plain, "等级变更", category=4, level=2)
    p["等级变更"] = receive(store, p["等级变更"], CARE)
    p["等级变更"] = register.update_person(
        store,
        p["等级变更"],
        {
            **p["等级变更"].form_values(),
            "level": 1,
            "cert_number": make.certificate(p["等级变更"].id_number, 4, 1),
        },
    )
    # In order: 低保 and receiving both, and an 一级 receiving 护理补贴.
    p["正常"] = make.person(dibao, "正常", category=4, level=1)
    receive(store, p["正常"], CARE)
    receive(store, p["正常"], LIVING)
    return Built(p)


def _lines(found: Any) -> dict[tuple[str, str, str], Any]:
    return {(i.list, i.person.name, i.kind): i for i in found.items()}


def test_each_reason_the_check_gives(store: Store, built: Built) -> None:
    lines = _lines(check(store, MONTH))
    assert {k: v.reason for k, v in lines.items() if k[0] == "start"} == {
        ("start", "一级未申请", CARE): "一级肢体 · 重庆户籍",
        ("start", "低保未申请", LIVING): "城乡低保 · 重庆户籍 · 三级视力",
    }
    stops = {(k[1], k[2]): v for k, v in lines.items() if k[0] == "stop"}
    assert {k: (v.reason, v.since) for k, v in stops.items()} == {
        ("已死亡", CARE): ("死亡", "2026-09-10"),
        ("已迁出", CARE): ("迁出", "2026-10-20"),
        ("已注销", CARE): ("注销", "2026-08-01"),
        ("证件过期", CARE): ("残疾人证已过期（有效期至2026-08-31）", "2026-08-31"),
        ("不在低保", LIVING): ("不在城乡低保", ""),
        ("特困", LIVING): ("特困供养人员（享受特困供养，不享受生活补贴）", ""),
        ("市外户籍", CARE): ("户籍在重庆市外", ""),
        ("三级肢体", CARE): ("三级肢体，护理补贴限一、二级", ""),
        ("工伤护理", CARE): ("享受工伤保险护理费", ""),
    }
    [change] = [v for k, v in lines.items() if k[0] == "change"]
    assert (change.person.name, change.reason, change.old_amount, change.amount) == (
        "等级变更",
        "等级由二级变为一级",
        100,
        110,
    )


def test_overpaid_months_and_amount(store: Store, built: Built) -> None:
    stops = {(i.person.name, i.kind): i for i in check(store, MONTH).stop}
    died = stops[("已死亡", CARE)]  # died in September: October and November overpaid
    assert (died.overpaid_months, died.overpaid) == (("2026-10", "2026-11"), 220)
    expired = stops[("证件过期", CARE)]  # 二级 100 a month from September
    assert (expired.overpaid_months, expired.overpaid) == (("2026-09", "2026-10", "2026-11"), 300)
    # When the register cannot say since when: at least this month.
    assert (stops[("特困", LIVING)].overpaid_months, stops[("特困", LIVING)].overpaid) == (
        ("2026-11",),
        100,
    )


def test_extensions_come_from_the_rule_set_in_force(store: Store, built: Built) -> None:
    extended = replace(
        CHONGQING_2026,
        start=MONTH,
        living_low_income=True,
        care_extended=True,
        care_extended_amount=60,
    )
    subsidies.save_rule_set(store, extended)
    starts = {(i.person.name, i.kind): i for i in check(store, MONTH).start}
    assert starts[("低收入", LIVING)].reason.startswith("低收入家庭（扩面）")
    assert (starts[("三级精神", CARE)].reason, starts[("三级精神", CARE)].amount) == (
        "三级精神（扩面） · 重庆户籍",
        60,
    )
    assert ("三级肢体", CARE) in {(i.person.name, i.kind) for i in check(store, MONTH).stop}
    # October is still judged by the 2026-01 set: no extension there.
    assert ("低收入", LIVING) not in {
        (i.person.name, i.kind) for i in check(store, "2026-10").start
    }


def test_rule_sets_by_month(store: Store, make: Make) -> None:
    subsidies.save_rule_set(store, OLD)
    assert [r.start for r in subsidies.rule_sets(store)] == ["2025-01", "2026-01"]
    clock = Clock(date(2025, 1, 6))  # registered in January 2025
    store.clock = clock
    person = make.person(make.household(flags=["dibao"]), "甲", category=4, level=1)
    clock.set(NOW)
    assert check(store, "2025-12").rules == OLD
    assert check(store, "2026-01").rules.start == "2026-01"
    amounts = {
        m: {(i.kind): i.amount for i in check(store, m).start if i.person.name == "甲"}
        for m in ("2025-12", "2026-01")
    }
    assert amounts == {"2025-12": {LIVING: 80, CARE: 90}, "2026-01": {LIVING: 100, CARE: 110}}
    with pytest.raises(InputError, match="2024年12月没有生效的两项补贴标准"):
        check(store, "2024-12")
    # Overpaid across the two sets: died in 2025-10, paid until now by each month's set.
    person = receive(store, person, CARE, "2025-01")
    register.change_status(store, person, "deceased", "2025-10-05", "病故")
    [died] = [i for i in check(store, MONTH).stop if i.person.name == "甲"]
    assert died.overpaid_months[0] == "2025-11" and len(died.overpaid_months) == 13
    assert died.overpaid == 2 * 90 + 11 * 110


def test_the_sql_check_matches_the_per_person_one(store: Store, built: Built) -> None:
    for month in (MONTH, "2026-10", "2026-01"):
        fast, slow = check(store, month), naive_check(store, month)
        for key in ("start", "stop", "change"):
            assert sorted(map(_key, getattr(fast, key))) == sorted(map(_key, getattr(slow, key)))


def _key(item: Any) -> tuple[Any, ...]:
    return (
        item.list,
        item.person.person_id,
        item.kind,
        item.reason,
        item.since,
        item.amount,
        item.overpaid,
    )


def test_indicators_read_the_same_rules_and_history(store: Store, built: Built) -> None:
    got = {i.key: i for i in store_indicators.indicators(store, TODAY)}
    found = check(store, MONTH)
    # Everyone in the register eligible and not receiving is short: 应享未享 (and 申请中).
    short = set(got["care_subsidy"].shortfall)
    expected = {i.person.person_id for i in found.start if i.kind == CARE}
    assert short == expected | {built.people["申请中"].id}
    # Stopping a subsidy moves the numerator: the history is what counts.
    before = got["care_subsidy"].numerator
    subsidies.set_state(store, built.people["正常"].id, CARE, STOPPED, MONTH, "测试")
    after = {i.key: i for i in store_indicators.indicators(store, TODAY)}["care_subsidy"]
    assert after.numerator == before - 1


def test_history_closes_periods_and_keeps_the_cache(store: Store, built: Built) -> None:
    person = built.people["正常"]
    subsidies.set_state(store, person.id, CARE, STOPPED, "2026-12", "死亡次月停发")
    care = [e for e in subsidies.history(store, person.id) if e.kind == CARE]
    assert [(e.state, e.from_month, e.to_month) for e in care] == [
        (RECEIVING, "2026-01", "2026-11"),
        (STOPPED, "2026-12", ""),
    ]
    # The register's tick is the latest decision: 护理补贴 off, 生活补贴 on.
    assert register.get_person(store, person.id).benefits == {"living_subsidy"}
    with pytest.raises(InputError, match="不能在它之前插入"):
        subsidies.set_state(store, person.id, CARE, RECEIVING, "2026-06")
    audit = store.query(
        "SELECT action FROM audit_log WHERE table_name = 'subsidies' AND record_id = ?",
        (care[0].id,),
    )
    assert [a["action"] for a in audit] == ["两项补贴登记", "两项补贴登记"]  # added, closed


def test_a_month_typed_as_elsewhere_is_stored_as_yyyy_mm(store: Store, built: Built) -> None:
    """The form takes a month as --month does (2026/12, 2026年12月); stored as 2026-12."""
    person = built.people["正常"]
    entry = subsidies.set_state(store, person.id, CARE, STOPPED, "2026年12月", "迁出")
    assert entry.from_month == "2026-12"
    care = [e for e in subsidies.history(store, person.id) if e.kind == CARE]
    assert [(e.from_month, e.to_month) for e in care] == [("2026-01", "2026-11"), ("2026-12", "")]
    with pytest.raises(InputError, match="月应在 1–12 之间"):
        subsidies.set_state(store, person.id, CARE, STOPPED, "2026/13")


def test_a_form_tick_is_written_to_the_history(store: Store, make: Make) -> None:
    person = make.person(make.household(), "乙", category=4, level=2, benefits=["care_subsidy"])
    [entry] = subsidies.history(store, person.id)
    assert (entry.kind, entry.state, entry.from_month, entry.level) == (CARE, RECEIVING, MONTH, 2)
    register.update_person(store, person, {**person.form_values(), "benefits": []})
    care = subsidies.history(store, person.id)
    assert [(e.state, e.from_month) for e in care] == [(STOPPED, MONTH)]  # same month replaced


# -- the sheets ----------------------------------------------------------------------------
def _rows(path: Path, sheet: str) -> list[list[Any]]:
    ws = load_workbook(path)[sheet]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_payroll_totals_read_back_from_the_workbook(
    store: Store, built: Built, tmp_path: Path
) -> None:
    path = export_subsidies(store, "roster", 2026, 11, out=tmp_path / "r.xlsx")
    rows = _rows(path, "两项补贴发放名册")
    header = next(i for i, r in enumerate(rows) if r[0] == "序号")
    lines = [r for r in rows[header + 1 :] if isinstance(r[0], int)]
    paid = [r for r in lines if r[5]]
    # Every 享受 in November, IDs masked (前6后4), amounts as numbers.
    assert len(paid) == 13
    assert all("*" in r[2] for r in paid)
    by_name = {(r[1], r[5]): r[6] for r in paid}
    assert by_name[("正常", "重度残疾人护理补贴")] == 110
    assert by_name[("等级变更", "重度残疾人护理补贴")] == 100  # paid at the level on record
    totals = {(r[2], r[3]): (r[4], r[5]) for r in rows if r[1] is None and r[2]}
    care = sum(r[6] for r in paid if r[5] == "重度残疾人护理补贴")
    living = sum(r[6] for r in paid if r[5] == "困难残疾人生活补贴")
    assert totals[("困难残疾人生活补贴", "—")] == (3, living)
    assert totals[("重度残疾人护理补贴", "一级")][0] == 7
    assert totals[("两项补贴合计", None)] == (13, care + living)
    assert any("应停未停" in str(r[0]) for r in rows)  # the note: stop them first
    audit = store.query("SELECT action FROM audit_log WHERE table_name = 'subsidy_export'")
    assert [a["action"] for a in audit] == ["导出两项补贴发放名册"]


def test_changes_sheet_lists_added_stopped_and_restated(
    store: Store, make: Make, tmp_path: Path
) -> None:
    home = make.household(flags=["dibao"])
    new = make.person(home, "新增", category=4, level=3)
    receive(store, new, LIVING, MONTH)
    gone = make.person(home, "停发", category=4, level=1)
    receive(store, gone, CARE, "2026-03")
    subsidies.set_state(store, gone.id, CARE, STOPPED, MONTH, "迁出（2026-10-12），次月停发")
    raised = make.person(home, "升级", category=4, level=2)
    receive(store, raised, CARE, "2026-03")
    subsidies.set_state(store, raised.id, CARE, RECEIVING, MONTH, "等级变更", level=1)
    path = export_subsidies(store, "changes", 2026, 11, out=tmp_path / "c.xlsx", full_ids=True)
    rows = [r for r in _rows(path, "两项补贴变动表") if isinstance(r[0], int)]
    assert [(r[1], r[2], r[7], r[8], r[9]) for r in rows] == [
        ("新增", "新增", 0, 100, "审核通过"),
        ("停发", "停发", 110, 0, "迁出（2026-10-12），次月停发"),
        ("标准变更", "升级", 100, 110, "等级由二级变为一级"),
    ]
    assert rows[0][3] == new.id_number  # --full-ids: whole, and audited
    audit = store.query("SELECT action FROM audit_log WHERE table_name = 'subsidy_export'")
    assert [a["action"] for a in audit] == [
        "开始导出，含完整身份证号",  # before the file is written
        "导出两项补贴变动表（显示完整身份证号）",
    ]


def test_a_month_without_rules_is_said_on_the_sheet(store: Store, tmp_path: Path) -> None:
    store.clock = lambda: fixed_clock().replace(year=2027)  # 2025-12 is a past month then
    path = export_subsidies(store, "roster", 2025, 12, out=tmp_path / "old.xlsx")
    assert any("没有生效的两项补贴标准" in str(r[0]) for r in _rows(path, "两项补贴发放名册"))


# -- the upgrade ---------------------------------------------------------------------------
def test_the_migration_carries_the_old_flags_into_the_history(tmp_path: Path) -> None:
    from tests.unit.test_upgrade_path import V1

    path = tmp_path / "v1.db"
    path.write_bytes(V1.read_bytes())
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "UPDATE persons SET benefits = ? WHERE name = '王芳'",
        (json.dumps(["care_subsidy", "living_subsidy"]),),
    )
    conn.execute("INSERT INTO settings (key, value) VALUES ('subsidy_care_extended', 'true')")
    conn.close()
    store = session.open_store(path, create=False, clock=fixed_clock)
    try:
        wang = store.query("SELECT id, level, created_at FROM persons WHERE name = '王芳'")[0]
        entries = subsidies.history(store, wang["id"])
        assert [(e.kind, e.state, e.from_month, e.level) for e in entries] == [
            (LIVING, RECEIVING, wang["created_at"][:7], None),
            (CARE, RECEIVING, wang["created_at"][:7], wang["level"]),
        ]
        [rules] = subsidies.rule_sets(store)
        assert (rules.start, rules.care_extended, rules.living_amount) == ("2026-01", True, 100)
        assert store.scalar("SELECT count(*) FROM settings WHERE key LIKE 'subsidy_care%'") == 0
    finally:
        store.close()


# -- the roster import ----------------------------------------------------------------------
def test_a_roster_import_sets_subsidy_states(store: Store, make: Make, tmp_path: Path) -> None:
    from canxie_tui.domain import ids
    from canxie_tui.excel.roster import importer as roster
    from tests.unit.test_roster_import import fact_row, write_facts

    home = make.household("建新东路1号5栋2单元301", flags=["dibao"])
    known = make.person(home, "孙一", category=4, level=2, benefits=["care_subsidy"])
    new_id = ids.make_id("500105", date(1971, 3, 4), 21)
    rows = [
        # known: 护理补贴 paused this month, 生活补贴 applied for
        fact_row("孙一", known.id_number, 4, 2, None, living="申请中", care="暂停"),
        # new: 护理补贴 享受, 生活补贴 未享受 (nothing to stop)
        fact_row("周二", new_id, 4, 1, "建新东路9号", poverty="低保", living="否", care="享受"),
    ]  # fmt: skip
    path = write_facts(tmp_path / "f.xlsx", rows)
    plan = roster.preview(store, roster.read_roster(path, today=TODAY))
    [change] = plan.changed
    assert [(d.label, d.old, d.new) for d in change.diffs] == [
        ("困难生活补贴", "未享受", "申请中"),
        ("重度护理补贴", "享受", "暂停"),
    ]
    roster.apply(store, plan)
    sun = [(e.kind, e.state, e.from_month) for e in subsidies.history(store, known.id)]
    # 享受 since this month, now 暂停 from it: the same month's entry is replaced.
    assert sun == [(LIVING, APPLYING, MONTH), (CARE, PAUSED, MONTH)]
    zhou = store.scalar("SELECT id FROM persons WHERE name = '周二'")
    assert [(e.kind, e.state, e.level) for e in subsidies.history(store, zhou)] == [
        (CARE, RECEIVING, 1)
    ]
    assert register.get_person(store, zhou).benefits == {"care_subsidy"}
    assert register.get_person(store, known.id).benefits == frozenset()
    # The same file again changes nothing.
    again = roster.preview(store, roster.read_roster(path, today=TODAY))
    assert not again.changed and not again.new


def test_a_rule_set_from_the_settings_form_is_checked_and_kept_beside_the_old(
    store: Store,
) -> None:
    from canxie_tui.domain.subsidies import clean_rule_set
    from canxie_tui.ui.screens.settings import save_rules

    values = {
        "start": "2027-01",
        "living_amount": "120",
        "care_level1": "130",
        "care_level2": "120",
        "care_extended_amount": "",
        "living_low_income": False,
        "care_extended": True,
        "source": "2027年标准通知",
    }
    with pytest.raises(InputError, match="三、四级智力精神护理补贴标准应为"):
        clean_rule_set(values)
    with pytest.raises(InputError, match="月应在 1–12 之间"):
        clean_rule_set({**values, "start": "2027-13", "care_extended_amount": "80"})
    rules = clean_rule_set({**values, "care_extended_amount": "80"})
    changed = save_rules(store, rules)
    assert changed[0].startswith("2027年1月起：生活补贴120元")
    assert "重度残疾人护理补贴扩面至三、四级智力、精神残疾人：已实行" in changed
    sets = subsidies.rule_sets(store)
    assert [r.start for r in sets] == ["2026-01", "2027-01"]
    assert sets[0] == CHONGQING_2026  # the old one kept: 2026 months are judged by it


def test_the_dashboards_counts_are_the_checks_list_lengths(store: Store, built: Built) -> None:
    """The dashboard counts the lists in one SQL statement; they are the check's own,
    under the shipped rule set and under one extending both subsidies."""
    extended = replace(
        CHONGQING_2026,
        start="2026-11",
        living_low_income=True,
        care_extended=True,
        care_extended_amount=60,
    )
    for rules in (None, extended):
        if rules is not None:
            subsidies.save_rule_set(store, rules)
        for month in (MONTH, "2026-10", "2026-01"):
            subsidy_check._cache.clear()  # counted in SQL, not from a check at hand
            counted = subsidy_check.counts(store, month)
            found = check(store, month)
            lengths = {"start": len(found.start), "stop": len(found.stop)}
            assert counted == lengths | {"change": len(found.change)}
            assert any(lengths.values())
    assert subsidy_check.counts(store, "2024-12") == {}  # no rule set in force then
