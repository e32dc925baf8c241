"""One household: address, flags, contacts, members, and its history of visits and notes."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Label, Static

from canxie_tui.domain import codes
from canxie_tui.domain.ids import mask_id
from canxie_tui.domain.models import Household, Person, TimelineEntry, address_with_place
from canxie_tui.domain.places import label
from canxie_tui.domain.subsidies import Entry, latest
from canxie_tui.store import followups, notes, places, register, subsidies, timeline, visits
from canxie_tui.store.certificates import REMIND_DAYS, expiry_text
from canxie_tui.store.connection import Store
from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.tables import PlainTable, add_keyed_columns, cursor_key
from canxie_tui.ui.widgets.text import fit
from canxie_tui.ui.widgets.titleline import TitleLine


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p) or "—"


def hukou_text(p: Person) -> str:
    """重庆市内 / 重庆市外, with 人户分离 said when it is so."""
    region = codes.label(codes.HUKOU_REGIONS, p.hukou, "未填")
    return f"{region}·人户分离" if p.apart else region


def scheme_text(code: str) -> str:
    return codes.label(codes.INSURANCE_SCHEMES, code, "未填")


def certificate_text(p: Person, today: date) -> str:
    """有效期至 with the time left in words once within the reminder window."""
    if not p.cert_valid_until:
        return "—"
    try:
        left = (date.fromisoformat(p.cert_valid_until) - today).days
    except ValueError:
        return p.cert_valid_until
    if left > REMIND_DAYS:
        return p.cert_valid_until
    return f"{p.cert_valid_until} {expiry_text(left)}"


def member_detail(p: Person, today: date) -> str:
    """The selected member's register facts in full words (under the members table)."""
    parts = [f"户籍：{hukou_text(p).replace('·', '，')}"]
    if p.hukou_address:
        parts.append(f"户籍地址：{p.hukou_address}")
    parts.append(
        f"养老保险：{scheme_text(p.pension_scheme)}　医疗保险：{scheme_text(p.medical_scheme)}"
    )
    if p.is_certified:
        issued = f"发证 {p.cert_issued}，" if p.cert_issued else ""
        valid = certificate_text(p, today) if p.cert_valid_until else "未填"
        parts.append(f"残疾人证：{issued}有效期至 {valid}")
    if p.trained_on:
        parts.append(f"最近培训：{p.trained_on}")
    return f"{p.name}　" + "　".join(parts)


def subsidy_detail(entries: list[Entry]) -> str:
    """Each 两项补贴's latest entry (the history is in the audit log and the check)."""
    found = latest(entries)
    if not found:
        return ""
    return "　两项补贴：" + "；".join(subsidies.history_text(e) for e in found.values())


@dataclass(frozen=True)
class HouseholdView:
    household: Household
    members: list[Person]
    timeline: list[TimelineEntry]
    subsidies: dict[str, list[Entry]] = field(default_factory=dict)  # person -> history
    community: str = ""  # the household's community where the database holds several


def load_view(store: Store, household_id: str) -> HouseholdView:
    members = register.members(store, household_id)
    household = register.get_household(store, household_id)
    return HouseholdView(
        household,
        members,
        timeline.household_timeline(store, household_id),
        subsidies.histories(store, [p.id for p in members]),
        places.names(store).get(household.division_code, ""),
    )


class HouseholdScreen(CanxieScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "返回", id="back", tooltip="回到查找"),
        Binding("a", "add_member", "加成员", id="add-member", tooltip="为本户添加成员"),
        Binding("e", "edit_member", "改成员", id="edit-member", tooltip="修改所选成员", show=False),
        Binding(
            "h", "edit_household", "改户", id="edit-household", tooltip="修改住址、情况、联系人"
        ),
        Binding(
            "s",
            "change_status",
            "状态",
            id="status",
            tooltip="迁出/死亡/注销或恢复在册",
            show=False,
        ),
        Binding(
            "b",
            "subsidy",
            "补贴",
            id="subsidy",
            tooltip="登记所选成员的两项补贴状态",
            show=False,  # the members' title says b 补贴; the footer fits 80 columns
        ),
        Binding(
            "w", "log_visit", "走访", id="visit", tooltip="记录一次走访（默认今天、入户、全户）"
        ),
        Binding("n", "new_note", "记录", id="new-note", tooltip="写一条个案记录"),
        Binding("f", "new_followup", "跟进", id="new-followup", tooltip="新增跟进事项"),
        Binding(
            "c",
            "close_followup",
            "完成",
            id="close-followup",
            tooltip="完成所选跟进事项",
            show=False,
        ),
        Binding(
            "r",
            "edit_entry",
            "更正",
            id="edit-entry",
            tooltip="修改所选记录或更正所选走访",
            show=False,
        ),
        Binding(
            "v", "note_history", "历史", id="history", tooltip="查看所选记录的历次修改", show=False
        ),
        Binding(
            "i",
            "reveal_id",
            "显示证号",
            id="reveal",
            tooltip="显示所选成员完整身份证号（记入审计）",
            show=False,  # the footer fits 80 columns: the section titles name these keys
        ),
        Binding(
            "u",
            "survey",
            "基本状况调查",
            id="survey",
            tooltip="所选成员本年度的基本状况调查表",
            show=False,  # the footer fits 80 columns; F1 lists it
        ),
    ]

    def __init__(
        self, household_id: str, focus_person: str | None = None, *, add_member: bool = False
    ) -> None:
        super().__init__()
        self.household_id = household_id
        self.add_member = add_member  # a new household: go straight on to its first member
        self.focus_person = focus_person
        self.view: HouseholdView | None = None
        self.revealed: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield TitleLine()
        yield Static("正在读取…", id="hh-info", markup=False)
        yield Label("成员（a 添加  e 修改  s 状态  b 补贴  u 调查  i 显示证号）", classes="section")
        members = PlainTable(id="members", cursor_type="row")
        yield members
        yield Static("", id="member-detail", markup=False)
        yield Label(
            "跟进、走访与个案记录（w 走访  n 记录  f 跟进  c 完成  r 更正  v 历史）",
            classes="section",
        )
        entries = PlainTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield entries
        yield KeyLine()

    def on_mount(self) -> None:
        members = self.query_one("#members", DataTable)
        add_keyed_columns(
            members,
            (
                "姓名",
                "性别",
                "年龄",
                "残疾",
                "身份证号",
                "关系",
                "电话",
                "补贴",
                "状态",
                "户籍",
                "养老/医疗",
                "证件有效期至",
            ),
        )
        add_keyed_columns(
            self.query_one("#timeline", DataTable), ("日期", "类型", "内容", "记录人")
        )
        members.focus()
        self.reload()
        if self.add_member:
            self.action_add_member()

    @work(exclusive=True, group="household", exit_on_error=False)
    @reported
    async def reload(self) -> None:
        self.view = await self.canxie.db(load_view, self.household_id)
        self._render_view(self.view)

    # -- rendering -----------------------------------------------------------------
    def _render_view(self, view: HouseholdView) -> None:
        h = view.household
        self.sub_title = h.address
        lines = [
            f"住址：{address_with_place(h.address, h.place())}"
            + (f"   网格：{label(view.community, h.grid)}" if h.grid else ""),
            f"家庭情况：{h.flag_labels() or '无'}   户电话：{h.phone or '—'}",
            f"监护人：{_join(h.guardian_name, h.guardian_relation, h.guardian_phone)}   "
            f"紧急联系人：{_join(h.emergency_contact, h.emergency_phone)}",
        ]
        if h.note:
            lines.append(f"备注：{h.note}")
        self.query_one("#hh-info", Static).update("\n".join(lines))
        self._render_members(view.members)
        self._render_timeline(view.timeline)

    def _render_members(self, people: list[Person]) -> None:
        table = self.query_one("#members", DataTable)
        keep = cursor_key(table) or self.focus_person
        table.clear()
        today = self.canxie.store.today()
        for p in people:
            benefits = "、".join(
                short
                for code, short in (("living_subsidy", "生活"), ("care_subsidy", "护理"))
                if code in p.benefits
            )
            table.add_row(
                fit(p.name, 10),
                p.sex,
                str(p.age_on(today) or ""),
                p.disability_label(),
                self.revealed.get(p.id) or mask_id(p.id_number),
                p.relation,
                p.phone,
                benefits or "—",
                codes.label(codes.PERSON_STATUSES, p.status),
                hukou_text(p),
                f"{scheme_text(p.pension_scheme)}/{scheme_text(p.medical_scheme)}",
                certificate_text(p, today),
                key=p.id,
            )
        self._move_to(table, keep)
        self._show_member_detail()

    @on(DataTable.RowHighlighted, "#members")
    def _show_member_detail(self) -> None:
        person = self.selected_person()
        text = member_detail(person, self.canxie.store.today()) if person else ""
        if person is not None and self.view is not None:
            text += subsidy_detail(self.view.subsidies.get(person.id, []))
        self.query_one("#member-detail", Static).update(text)

    def _render_timeline(self, entries: list[TimelineEntry]) -> None:
        table = self.query_one("#timeline", DataTable)
        keep = cursor_key(table)
        table.clear()
        for e in entries:
            mark = f"（改{e.revisions}次）" if e.revisions else ""
            table.add_row(e.day, e.kind, fit(e.summary + mark, 40), fit(e.who, 8), key=e.key)
        if not entries:
            table.add_row("—", "暂无走访和记录", "按 w 记录走访，n 写个案记录", "", key="empty")
        self._move_to(table, keep)

    @staticmethod
    def _move_to(table: DataTable[str], key: str | None) -> None:
        if key is None:
            return
        with contextlib.suppress(Exception):  # the row is gone: stay at the top
            table.move_cursor(row=table.get_row_index(key))

    # -- selection helpers -------------------------------------------------------------
    def selected_person(self) -> Person | None:
        if self.view is None:
            return None
        key = cursor_key(self.query_one("#members", DataTable))
        return next((p for p in self.view.members if p.id == key), None)

    def selected_entry(self) -> TimelineEntry | None:
        key = cursor_key(self.query_one("#timeline", DataTable))
        if self.view is None or key is None:
            return None
        return next((e for e in self.view.timeline if e.key == key), None)

    def _person_or_warn(self) -> Person | None:
        person = self.selected_person()
        if person is None:
            self.canxie.notify("请先在成员表中选中一人", severity="warning")
        return person

    # -- actions ---------------------------------------------------------------------
    @reported
    async def action_survey(self) -> None:
        from canxie_tui.store.survey import entry_for_person
        from canxie_tui.ui.screens.survey_form import SurveyFormScreen

        person = self._person_or_warn()
        if person is not None:
            entry = await self.canxie.db(entry_for_person, person.id)
            self.app.push_screen(SurveyFormScreen(entry), self._surveyed)

    def _surveyed(self, _: object) -> None:
        self.reload()

    def action_add_member(self) -> None:
        from canxie_tui.ui.screens.person_form import PersonForm

        def done(person: Person | None) -> None:
            if person:
                self.focus_person = person.id
                self.canxie.notify(f"已添加成员 {person.name}")
                self.reload()

        self.app.push_screen(PersonForm(self.household_id), done)

    def action_edit_member(self) -> None:
        from canxie_tui.ui.screens.person_form import PersonForm

        person = self._person_or_warn()
        if person is None:
            return
        self.app.push_screen(
            PersonForm(self.household_id, person),
            self.reload_when_saved(lambda saved: f"已保存 {saved.name}"),
        )

    def action_edit_household(self) -> None:
        from canxie_tui.ui.screens.household_form import HouseholdForm

        if self.view is None:
            return
        self.app.push_screen(
            HouseholdForm(self.view.household),
            self.reload_when_saved(lambda saved: "已保存本户信息"),
        )

    def action_change_status(self) -> None:
        from canxie_tui.ui.screens.status_form import StatusForm

        person = self._person_or_warn()
        if person is None:
            return
        self.app.push_screen(
            StatusForm(person),
            self.reload_when_saved(
                lambda saved: f"{saved.name}：{codes.label(codes.PERSON_STATUSES, saved.status)}"
            ),
        )

    def action_subsidy(self) -> None:
        from canxie_tui.ui.screens.subsidy_form import Proposal, SubsidyForm, saved_text

        person = self._person_or_warn()
        if person is None:
            return
        self.app.push_screen(
            SubsidyForm(Proposal(person.id, person.name)),
            self.reload_when_saved(lambda saved: saved_text(person.name, saved)),
        )

    def action_new_note(self) -> None:
        from canxie_tui.ui.screens.note_form import NoteForm

        self.app.push_screen(
            NoteForm(self.household_id), self.reload_when_saved(lambda saved: "已保存个案记录")
        )

    def _selected(self, kind: str) -> TimelineEntry | None:
        entry = self.selected_entry()
        if entry is None or getattr(entry, f"{kind}_id") is None:
            what = {"note": "个案记录", "followup": "跟进事项", "visit": "走访"}[kind]
            self.canxie.notify(f"请先在下方列表中选中一条{what}", severity="warning")
            self.query_one("#timeline", DataTable).focus()
            return None
        return entry

    @reported
    async def action_edit_entry(self) -> None:
        """r: revise the selected note, or correct the selected visit."""
        from canxie_tui.ui.screens.note_form import NoteForm
        from canxie_tui.ui.screens.visit_form import open_visit_form

        entry = self.selected_entry()
        if entry is not None and entry.note_id:
            note = await self.canxie.db(notes.get_note, entry.note_id)
            self.app.push_screen(
                NoteForm(self.household_id, note),
                self.reload_when_saved(lambda saved: "已保存修改，原文已保留为历史版本"),
            )
        elif entry is not None and entry.visit_id:
            await open_visit_form(
                self,
                self.household_id,
                "",
                self.reload_when_saved(lambda saved: f"已更正 {saved.visit_date} 的走访"),
                visit=await self.canxie.db(visits.get_visit, entry.visit_id),
            )
        else:
            self._selected("note")

    @reported
    async def action_note_history(self) -> None:
        from canxie_tui.ui.screens.note_history import NoteHistoryScreen

        entry = self._selected("note")
        if entry is not None and entry.note_id:
            self.app.push_screen(
                NoteHistoryScreen(await self.canxie.db(notes.get_note, entry.note_id))
            )

    @reported
    async def action_log_visit(self) -> None:
        from canxie_tui.ui.screens.visit_form import open_visit_form

        title = self.view.household.address if self.view else ""
        await open_visit_form(
            self,
            self.household_id,
            title,
            self.reload_when_saved(
                lambda saved: f"已记录 {saved.visit_date} 的走访（{saved.method_label}）"
            ),
        )

    def action_new_followup(self) -> None:
        from canxie_tui.ui.screens.followup_form import FollowupForm

        self.app.push_screen(
            FollowupForm(self.household_id),
            self.reload_when_saved(lambda saved: f"已新增跟进：{saved.what}"),
        )

    @reported
    async def action_close_followup(self) -> None:
        from canxie_tui.ui.screens.followup_form import CloseFollowupForm

        entry = self._selected("followup")
        if entry is not None and entry.followup_id:
            followup = await self.canxie.db(followups.get_followup, entry.followup_id)
            self.app.push_screen(
                CloseFollowupForm(followup),
                self.reload_when_saved(lambda saved: f"已完成跟进：{saved.what}"),
            )

    @reported
    async def action_reveal_id(self) -> None:
        person = self.selected_person()
        if person is None or not person.id_number:
            self.canxie.notify("所选成员没有身份证号", severity="warning")
            return
        if person.id in self.revealed:
            del self.revealed[person.id]
        else:
            self.revealed[person.id] = await self.canxie.db(register.reveal_id, person, "户详情")
            self.canxie.notify("已显示完整身份证号，此操作已记入审计日志。再按 i 隐藏。")
        if self.view is not None:
            self._render_members(self.view.members)
