"""Log (or correct) a home visit: defaults filled so a routine visit is two keys."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from canxie_tui.domain import codes, validate
from canxie_tui.domain.models import Operator, Person, Visit
from canxie_tui.store import visits
from canxie_tui.store.connection import Store
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field, multi, select

DATE_HINT = "可填 2026-11-29、20261129、11-29、今天/t、昨天/y"


def visit_context(store: Store, household_id: str) -> tuple[list[Operator], list[Person]]:
    """What the form offers: operators as visitors, the household's active members."""
    from canxie_tui.store import register, site

    members = [p for p in register.members(store, household_id) if p.is_active]
    return site.list_operators(store), members


class VisitForm(FormScreen[Visit]):
    def __init__(
        self,
        household_id: str,
        operators: list[Operator],
        members: list[Person],
        *,
        current_operator: str,
        visit: Visit | None = None,
        title: str = "",
    ) -> None:
        super().__init__()
        self.household_id = household_id
        self.operators = operators
        self.members = members
        self.current_operator = current_operator
        self.visit = visit
        self.form_title = ("更正走访记录" if visit else "记录走访") + (
            f"：{title}" if title else ""
        )

    def build_fields(self) -> list[Field]:
        v = self.visit
        people = {p.id: f"{p.name}（{p.disability_label()}）" for p in self.members}
        visitors = {o.id: o.name for o in self.operators}
        return [
            Field(
                "visit_date",
                "走访日期",
                Input(v.visit_date if v else "今天", id="visit_date"),
                DATE_HINT,
            ),
            Field(
                "method",
                "方式",
                select(codes.VISIT_METHODS, v.method if v else "home", blank=None, id="method"),
            ),
            Field(
                "purpose",
                "目的",
                select(
                    codes.VISIT_PURPOSES, v.purpose if v else "routine", blank=None, id="purpose"
                ),
            ),
            Field(
                "persons_seen",
                "见到的人（空格勾选）",
                multi(people, v.persons_seen if v else people, id="persons_seen"),
            ),
            Field(
                "visitors",
                "走访人",
                multi(visitors, v.visitor_ids if v else [self.current_operator], id="visitors"),
            ),
            Field(
                "checklist",
                "六个清楚（已核实的打勾）",
                multi(codes.VISIT_CHECKLIST, v.checklist if v else (), id="checklist"),
            ),
            Field(
                "problems",
                "发现的问题",
                multi(codes.VISIT_PROBLEMS, v.problems if v else (), id="problems"),
            ),
            Field(
                "problem_text",
                "问题说明",
                Input(v.problem_text if v else "", id="problem_text"),
                limit=validate.VISIT_TEXT_MAX,
            ),
            Field(
                "help_given",
                "提供的帮助",
                Input(v.help_given if v else "", id="help_given"),
                limit=validate.VISIT_TEXT_MAX,
            ),
            Field(
                "referrals",
                "转介部门",
                multi(codes.REFERRALS, v.referrals if v else (), id="referrals"),
            ),
            Field(
                "note", "备注", Input(v.note if v else "", id="note"), limit=validate.VISIT_TEXT_MAX
            ),
            *([] if v else self._followup_fields()),
        ]

    @staticmethod
    def _followup_fields() -> list[Field]:
        return [
            Field(
                "followup_what",
                "需要跟进的事（可空）",
                Input("", id="followup_what"),
                limit=validate.FOLLOWUP_MAX,
            ),
            Field("followup_due", "跟进期限", Input("", id="followup_due"), "如 2026-12-06"),
            Field(
                "followup_urgent", "紧急程度", multi({"urgent": "紧急"}, (), id="followup_urgent")
            ),
        ]

    def on_mount(self) -> None:
        self.query_one("#visit_date", Input).focus()  # "今天" selected: typing replaces it

    def check(self, values: dict[str, Any]) -> None:
        from canxie_tui.domain.validate import clean_visit

        clean_visit(values, self.canxie.store.today())

    async def save(self, values: dict[str, Any]) -> Visit | None:
        warnings = await self.canxie.db(
            visits.check_visit_for, self.household_id, values, self.visit
        )
        if self.needs_confirmation(values, warnings):
            return None
        if self.visit is None:
            return await self.canxie.db(visits.add_visit, self.household_id, values)
        return await self.canxie.db(visits.correct_visit, self.visit, values)


async def open_visit_form(
    screen: Any, household_id: str, title: str, on_saved: Any, *, visit: Visit | None = None
) -> None:
    """Load the visitors and members, then push the form (from any screen); with
    `visit`, the form corrects it."""
    app = screen.app
    operators, members = await app.db(visit_context, household_id)
    if not members and visit is None:
        app.notify("本户没有在册成员，无法记录走访", severity="warning")
        return
    app.push_screen(
        VisitForm(
            household_id,
            operators,
            members,
            current_operator=app.store.operator_id,
            visit=visit,
            title=title,
        ),
        on_saved,
    )
