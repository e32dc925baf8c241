"""The dashboard's 专栏1 table, the certificate reminder and the subsidy extensions."""

from __future__ import annotations

from datetime import date

from textual.widgets import DataTable, Static

from canxie_tui.domain.ids import make_certificate, make_id
from canxie_tui.domain.indicators import INDICATORS
from canxie_tui.store import register, subsidies
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.certificates import CertificatesScreen
from canxie_tui.ui.screens.household import HouseholdScreen
from canxie_tui.ui.screens.settings import SubsidySettingsForm
from canxie_tui.ui.screens.shortfall import ShortfallScreen
from tests.app.conftest import (
    WANG_FANG_ID,
    add_certificate_dates,
    row_key_at,
    settle,
    type_text,
)

PLAN_ORDER = [
    "income",
    "training",
    "dibao_coverage",
    "living_subsidy",
    "care_subsidy",
    "pension",
    "medical",
    "rehab",
    "device",
    "barrier_free",
    "education",
]


def rows(table: DataTable[str]) -> dict[str, list[str]]:
    return {
        row_key_at(table, i): [str(c) for c in table.get_row_at(i)] for i in range(table.row_count)
    }


def notices(app: CanxieApp) -> str:
    return " ".join(str(n.message) for n in app._notifications)


async def test_eleven_rows_in_plan_order_and_family_doctor_below(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#indicators", DataTable)
        shown = rows(table)
        assert list(shown) == PLAN_ORDER == [s.key for s in INDICATORS if s.number]
        assert [r[0] for r in shown.values()][:3] == [
            " 1 家庭人均收入",
            " 2 技能培训",
            " 3 纳入低保",
        ]
        assert shown["income"][2:] == ["由区残联统计", "与GDP同步", "—", "—"]
        assert shown["training"][2] == "今年0人"
        # 王芳 (二级, 低保, 护理补贴 without 生活补贴); 医疗 not recorded for either.
        assert shown["living_subsidy"][1:] == ["0/1", "░░░░░░░░░░ 0.0%", "100%", "未达标", "缺1人"]
        assert shown["medical"][3:] == ["＞95%", "未达标", "缺2人"]
        assert "family_doctor" not in shown
        below = str(app.screen.query_one("#beside-table", Static).render())
        assert below.startswith("专栏1之外·家庭医生签约：0/2 0.0%，目标＞90%，未达标，缺2人")
        # Everything fits the smallest terminal: the table neither scrolls nor is cut.
        assert table.virtual_size.width <= table.size.width
        assert table.virtual_size.height <= table.size.height
        assert app.screen.query_one("#beside-table").region.bottom <= 23

        # Rows 1 and 2 have no list, and say why; the screen stays.
        home = app.screen
        for key, why in (("income", "登记册中没有家庭收入"), ("training", "是人数，不是比率")):
            table.move_cursor(row=PLAN_ORDER.index(key))
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is home and why in notices(app)

        table.move_cursor(row=PLAN_ORDER.index("care_subsidy"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ShortfallScreen)
        source = str(app.screen.query_one("#source", Static).render())
        assert source.startswith("依据：渝民发〔2021〕15号")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("s")  # 家庭医生签约, the line under the table
        await settle(pilot)
        assert isinstance(app.screen, ShortfallScreen)
        assert "家庭医生签约" in str(app.screen.query_one("#count", Static).render())


async def test_plan_words_at_120_columns_short_names_when_narrowed(app: CanxieApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = rows(app.screen.query_one("#indicators", DataTable))
        assert shown["dibao_coverage"][0] == " 3 符合条件的残疾人纳入最低生活保障比例"
        assert shown["income"][3] == "与全区地区生产总值增长基本同步"
        assert shown["pension"][0] == " 6 残疾人城乡居民基本养老保险参保率"
        await pilot.resize_terminal(80, 24)  # narrowed: the short names, and it fits again
        await settle(pilot)
        table = app.screen.query_one("#indicators", DataTable)
        assert rows(table)["dibao_coverage"][0] == " 3 纳入低保"
        assert table.virtual_size.width <= table.size.width


async def test_certificate_reminder_lists_expired_first(
    app: CanxieApp, register_store: Store
) -> None:
    add_certificate_dates(register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "证件到期提醒 2 人（c）" in str(app.screen.query_one("#today", Static).render())
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        table = screen.query_one("#rows", DataTable)
        listed = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[:4] for r in listed] == [
            ["王芳", "肢体二级", "2026-11-01", "已过期28天"],
            ["单丽", "视力三级", "2027-01-15", "47天后到期"],
        ]
        assert listed[0][6] == f"{WANG_FANG_ID[:6]}********{WANG_FANG_ID[-4:]}"
        count = str(screen.query_one("#count", Static).render())
        assert "90天内到期或已过期 2 人，其中已过期 1 人" in count
        table.move_cursor(row=1)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        assert "北城三路8号" in str(app.screen.query_one("#hh-info", Static).render())
        assert "单丽" in str(app.screen.query_one("#member-detail", Static).render())


async def test_subsidy_extension_changes_the_living_subsidy_denominator(
    app: CanxieApp, register_store: Store
) -> None:
    # A 低收入家庭 member: counted for 生活补贴 only once the district extends it.
    household = register.add_household(
        register_store, {"address": "观音桥街道北城一路9号", "flags": ["low_income"]}
    )
    person = make_id("500105", date(1970, 7, 7), 45)
    register.add_person(
        register_store,
        household.id,
        {
            "name": "赵强",
            "id_number": person,
            "cert_number": make_certificate(person, 4, 3),
            "category": 4,
            "level": 3,
        },
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#indicators", DataTable)
        assert rows(table)["living_subsidy"][1] == "0/1"
        await pilot.press("ctrl+p")
        await type_text(pilot, "两项补贴标准")
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, SubsidySettingsForm)
        await pilot.press("space")  # the first box: 生活补贴延伸至低收入家庭
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        assert "困难残疾人生活补贴延伸至低收入家庭：已实行" in notices(app)
        assert rows(app.screen.query_one("#indicators", DataTable))["living_subsidy"][1:3] == [
            "0/2",
            "░░░░░░░░░░ 0.0%",
        ]
    audit = register_store.query(
        "SELECT action, record_id FROM audit_log WHERE table_name = 'settings' "
        "AND record_id LIKE 'subsidy%'"
    )
    # A rule set from this month (the 2026-01 one is kept): one audited setting.
    assert audit == [{"action": "修改设置", "record_id": "subsidy_rules"}]
    assert [r.start for r in subsidies.rule_sets(register_store)] == ["2026-01", "2026-11"]


async def test_names_todays_visits_scale_and_footer_fit_80x24(
    app: CanxieApp, register_store: Store
) -> None:
    """今天先走访 names the first people in the due list's order; the sparkline says its
    scale; the footer's keys end before Ctrl+P's label (nothing cut)."""
    from textual.widgets import Label

    from canxie_tui.store import duelist
    from canxie_tui.ui.widgets.keyline import KeyLine
    from tests.app.test_footers_fit import left_out

    today = register_store.today()
    due, _ = duelist.due_list(register_store, today, duelist.DueFilters(within_days=1))
    due = [i for i in due if i.overdue_days >= 0]
    assert due, "the fixture has someone to visit today"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = str(app.screen.query_one("#today", Static).render()).splitlines()
        assert lines[1].startswith("　　今天先走访：" + f"{due[0].name}（{due[0].due_text}）")
        assert all(f"{i.name}（" in lines[1] for i in due[:2])
        assert not app.screen.query_one("#agenda").display  # no room at 80×24
        scale = str(app.screen.query_one("#spark-max", Label).render())
        assert scale.strip().startswith("最多 ") and scale.endswith(" 次/日")
        footer = app.screen.query_one(KeyLine)
        *keys, palette = footer.spans
        assert str(footer.render()).rstrip().endswith("▏^p 命令")
        assert palette.key.description == "命令" and left_out(footer) == []
        assert keys and max(k.end for k in keys) < palette.start
        # Everything still fits: the table neither scrolls nor is cut.
        table = app.screen.query_one("#indicators", DataTable)
        assert table.virtual_size.height <= table.size.height
        assert app.screen.query_one("#beside-table").region.bottom <= 23


async def test_due_people_and_followups_beside_at_120x40(
    app: CanxieApp, register_store: Store
) -> None:
    from canxie_tui.store import duelist, followups

    household = register_store.query("SELECT id FROM households LIMIT 1")[0]["id"]
    followups.add_followup(register_store, household, "送轮椅电池", "2026-11-30", urgent=True)
    long = "联系街道残联与康复机构，为其申请上门康复服务并跟进评估结果（2026年度基本状况调查）"
    followups.add_followup(register_store, household, long, "2026-12-01")
    due, _ = duelist.due_list(
        register_store, register_store.today(), duelist.DueFilters(within_days=1)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#agenda").display
        people = str(app.screen.query_one("#agenda-due", Static).render())
        assert people.splitlines()[0].startswith(f"{due[0].name}　{due[0].due_text}")
        open_ = str(app.screen.query_one("#agenda-followups", Static).render())
        assert "急 " in open_ and "送轮椅电池　2026-11-30" in open_
        # A long one is cut, not wrapped: one line each, its date kept.
        assert len(open_.splitlines()) == 2
        assert open_.splitlines()[1].endswith("…　2026-12-01")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert not app.screen.query_one("#agenda").display


async def test_notice_over_a_form_leaves_the_form_uncovered(app: CanxieApp) -> None:
    from textual.widgets._toast import Toast

    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        box = app.screen.query_one(".form-box")
        app.notify("已保存 2026-11-29 的走访", title="走访")
        await settle(pilot)
        toast = app.screen.query_one(Toast)
        assert toast.region.height and not toast.region.overlaps(box.region)
