"""The survey form: one section per page, number keys answer, Enter confirms the page.

Opens pre-filled (register facts, then last year's answers) or where the worker
left off; items that do not apply to the person are not shown.  ↑/↓ move between
the page's items, 1–9 (0, a, b… for the 10th and later) pick an answer (in a
multiple choice they tick and untick), Enter confirms the page — one key for a
page whose facts have not changed — and saves it, PgUp goes back a page, Esc
saves and leaves (the survey resumes on the same page).  A finished (or 失访) survey
is not turned back into a draft by Esc: changes not yet confirmed with Enter are
only dropped after the worker says so.  After the last page:
调查方式, then the register facts that changed are offered for 采纳到档案.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from canxie_tui.domain import codes
from canxie_tui.domain import survey as rules
from canxie_tui.domain import survey_form as form
from canxie_tui.store import survey, survey_adopt
from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.titleline import TitleLine

HINT = "↑↓ 选题　数字键 选答案（多选可取消）　回车 确认本部分　PgUp 上一部分"  # Esc: footer


def choices_line(item: form.Item, value: Any) -> Content:
    picked = set(value) if isinstance(value, list) else {value}
    parts = []
    for code, label in item.choices.items():
        text = f"{form.pick_key(code)}.{label}"
        parts.append(Content.styled(text, "reverse b") if code in picked else Content(text))
    return Content("　").join(parts)


class SurveyFormScreen(CanxieScreen[survey.Entry | None]):
    """Dismisses with the entry as saved last (None when nothing was saved)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "上一题", id="up", tooltip="上一题", show=False),
        Binding("down", "move(1)", "下一题", id="down", tooltip="下一题", show=False),
        Binding("enter", "confirm", "确认本部分", id="confirm", tooltip="本部分无误，下一部分"),
        Binding("pageup", "back", "上一部分", id="back", tooltip="回到上一部分"),
        Binding("escape", "leave", "保存退出", id="leave", tooltip="保存已填的，下次从这里继续"),
    ]

    def __init__(self, entry: survey.Entry) -> None:
        super().__init__()
        self.entry = entry
        self.answers: dict[str, Any] = {}
        self.sources: dict[str, str] = {}
        self.page = 0
        self.cursor = 0
        self.saved: survey.Entry | None = None
        self.ready = False
        self.kept: dict[str, Any] = {}  # the answers as last read or saved

    def compose(self) -> ComposeResult:
        yield TitleLine()
        yield Static("", id="survey-head")
        with VerticalScroll(id="survey-scroll"):
            yield Static("正在读取…", id="survey-body")
        yield Static(HINT, id="survey-hint")
        yield KeyLine(compact=False)

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="survey-form", exit_on_error=False)
    @reported
    async def load(self) -> None:
        self.answers, self.sources = await self.canxie.db(survey.starting_answers, self.entry)
        self.kept = dict(self.answers)
        pages = len(self.pages())
        self.page = min(self.entry.section, pages - 1) if self.entry.status == "draft" else 0
        self.ready = True
        self.render_page()

    # -- what is shown
    def pages(self) -> list[tuple[form.Section, list[form.Item]]]:
        return form.visible(self.entry.subject, self.answers)

    def items(self) -> list[form.Item]:
        return self.pages()[self.page][1]

    def render_page(self) -> None:
        pages = self.pages()
        section, items = pages[self.page]
        self.cursor = min(self.cursor, len(items) - 1)
        subject = self.entry.subject
        facts = [f"{subject.age}岁" if subject.age is not None else ""]
        facts.append(
            codes.label(codes.CATEGORIES, subject.category)
            + codes.label(codes.LEVELS, subject.level)
        )
        facts.append("人户分离" if self.entry.apart else "")
        who = f"{self.entry.name}（{'，'.join(f for f in facts if f)}）"
        # What was typed goes in as variables, never read as markup (Textual's way).
        self.query_one("#survey-head", Static).update(
            Content.from_markup(
                f"[b]$who[/b]　$address\n[b]第{self.page + 1}/{len(pages)}部分　$section[/b]",
                who=who,
                address=self.entry.address,
                section=section.label,
            )
        )
        lines = []
        for index, item in enumerate(items):
            mark = "▶" if index == self.cursor else "　"
            value = self.answers.get(item.key)
            source = self.sources.get(item.key, "")
            tag = "　[i]（$source）[/i]" if source and value else ""
            empty = "" if value else "　[b]待填[/b]"
            if item.multi and "可多选" not in item.label:
                empty = "　（可多选）" + empty
            lines.append(
                Content.from_markup(
                    f"{mark} [b]$title[/b]{tag}{empty}", title=item.title, source=source
                )
            )
            lines.append(Content("　　") + choices_line(item, value))
        self.query_one("#survey-body", Static).update(Content("\n").join(lines))

    # -- keys
    def on_key(self, event: events.Key) -> None:
        if not self.ready or not event.character:
            return
        item = self.items()[self.cursor]
        code = form.choice_for_key(item, event.character)
        if code is None:
            return
        event.stop()
        if item.multi:
            self.answers[item.key] = form.toggle(item, self.answers.get(item.key), code)
        else:
            self.answers[item.key] = code
            if self.cursor < len(self.items()) - 1:
                self.cursor += 1
        self.sources.pop(item.key, None)
        self.render_page()

    def action_move(self, step: int) -> None:
        if self.ready:
            self.cursor = max(0, min(len(self.items()) - 1, self.cursor + step))
            self.render_page()

    def action_back(self) -> None:
        if self.ready and self.page > 0:
            self.page -= 1
            self.cursor = 0
            self.render_page()

    @reported
    async def action_confirm(self) -> None:
        if not self.ready:
            return
        items = self.items()
        missing = [i for i in items if i.key not in form.clean(self.entry.subject, self.answers)]
        if missing:
            self.cursor = items.index(missing[0])
            self.render_page()
            self.canxie.notify(
                f"本部分还有 {len(missing)} 项没填：{missing[0].title}", severity="warning"
            )
            return
        last = self.page == len(self.pages()) - 1
        if not last:
            self.page += 1
            self.cursor = 0
            self.render_page()
            await self._save_draft()
            return
        self._finish()

    async def _save_draft(self) -> None:
        self.saved = self.entry = await self.canxie.db(
            survey.save_draft, self.entry, self.answers, self.page
        )
        self.kept = dict(self.answers)

    @reported
    async def action_leave(self) -> None:
        finished = self.entry.status in ("done", "lost")
        if not self.ready or (
            self.answers == self.kept and (finished or self.page == self.entry.section)
        ):
            self.dismiss(self.saved)  # nothing new: a survey only looked at stays 未调查
        elif finished:
            self._ask_to_drop()
        else:
            await self._save_draft()
            self.canxie.notify(f"已保存 {self.entry.name} 的调查，下次从第{self.page + 1}部分继续")
            self.dismiss(self.saved)

    def _ask_to_drop(self) -> None:
        """A finished survey changed on this page: Enter saves it; Esc drops it only on Y."""
        from canxie_tui.ui.screens.confirm import ConfirmScreen

        def answered(drop: bool | None) -> None:
            if drop:
                self.dismiss(self.saved)

        done = "已完成" if self.entry.status == "done" else "已记为失访"
        question = (
            f"这份调查{done}。放弃本部分的修改并关闭？（Y 放弃；N 或回车 返回，再按回车保存）"
        )
        self.app.push_screen(ConfirmScreen(question), answered)

    def _finish(self) -> None:
        """The last page confirmed: ask how the survey was done, then finish it."""
        from canxie_tui.ui.screens.survey_choice import ChoiceScreen

        def chosen(method: str | None) -> None:
            if method is not None:
                self._complete(method)

        title = f"{self.entry.name}：调查方式"
        self.app.push_screen(
            ChoiceScreen(title, rules.METHODS, "按数字键选择，Esc 返回修改"), chosen
        )

    @work(exclusive=True, group="survey-finish", exit_on_error=False)
    @reported
    async def _complete(self, method: str) -> None:
        from canxie_tui.ui.screens.survey_adopt import AdoptScreen

        today = self.canxie.store.today().isoformat()
        done = await self.canxie.db(survey.finish, self.entry, self.answers, method, today)
        self.saved = self.entry = done
        message = f"已完成 {done.name} 的调查（{rules.METHODS[method]}）"
        needs = [
            form.NEED_FOLLOWUPS[c]
            for c in done.answers.get("needs", [])
            if c in form.NEED_FOLLOWUPS
        ]
        if needs:
            message += f"；已为需求（{'、'.join(needs)}）加跟进事项"
        self.canxie.notify(message)
        changes = await self.canxie.db(survey_adopt.proposed_changes, done)
        if not changes:
            self.dismiss(self.saved)
            return

        def answered(adopt: bool | None) -> None:
            if adopt:
                self._adopt(changes)
            else:
                self.dismiss(self.saved)

        self.app.push_screen(AdoptScreen(done.name, changes), answered)

    @work(exclusive=True, group="survey-finish", exit_on_error=False)
    @reported
    async def _adopt(self, changes: list[rules.Change]) -> None:
        self.saved = await self.canxie.db(survey_adopt.adopt, self.entry, changes)
        self.canxie.notify(f"{len(changes)} 项变化已采纳到档案（已记入审计日志）")
        self.dismiss(self.saved)
