"""Settings a district can change: the visit-tier intervals and the 两项补贴 rule sets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Input

from canxie_tui.domain.errors import InputError
from canxie_tui.domain.subsidies import (
    CHONGQING_2026,
    RuleSet,
    clean_rule_set,
    in_force,
    month_label,
)
from canxie_tui.domain.tiers import TIER_LABELS, TierSettings
from canxie_tui.store import subsidies, tiers
from canxie_tui.store.connection import Store
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.screens.text_form import TextForm
from canxie_tui.ui.widgets.field import Field, multi

if TYPE_CHECKING:
    from canxie_tui.ui.app import CanxieApp


def _intervals(values: dict[str, Any]) -> dict[str, int]:
    out = {}
    for tier in "ABC":
        text = str(values[tier]).strip()
        if not text.isdecimal() or not 1 <= int(text) <= 366:
            raise InputError(f"{tier}级间隔应为1到366之间的天数", tier)
        out[tier] = int(text)
    return out


def save_intervals(store: Store, intervals: dict[str, int]) -> int:
    current = tiers.get_settings(store)
    return tiers.save_settings(store, TierSettings(intervals=intervals, rules=current.rules))


async def open_tier_settings(app: CanxieApp) -> None:
    current = await app.db(tiers.get_settings)

    async def save(values: dict[str, Any]) -> int:
        return await app.db(save_intervals, _intervals(values))

    def done(count: object) -> None:
        if count is not None:
            app.notify(f"已保存走访间隔，重新计算了 {count} 人的走访分级和到期日")

    fields = [
        (tier, f"{tier}级走访间隔（天，默认{TIER_LABELS[tier]}）", str(current.intervals[tier]), "")
        for tier in "ABC"
    ]
    app.push_screen(TextForm("走访分级间隔", fields, save, _intervals), done)


# -- 两项补贴标准: dated rule sets (eligibility, extensions, amounts); old ones are kept ----
SUBSIDY_EXTENSIONS: dict[str, str] = {
    "living_low_income": "困难残疾人生活补贴延伸至低收入家庭",
    "care_extended": "重度残疾人护理补贴扩面至三、四级智力、精神残疾人",
}


def rules_now(store: Store) -> tuple[str, RuleSet, list[RuleSet]]:
    """(this month, the rule set in force, every rule set) for the form."""
    month = subsidies.current_month(store)
    sets = subsidies.rule_sets(store)
    return month, in_force(sets, month) or CHONGQING_2026, sets


def save_rules(store: Store, rules: RuleSet) -> list[str]:
    """Save a rule set (a new start month adds one, the same start replaces it)."""
    before = in_force(subsidies.rule_sets(store), rules.start)
    subsidies.save_rule_set(store, rules)
    changed = [f"{month_label(rules.start)}起：{rules.summary()}"]
    for key, label in SUBSIDY_EXTENSIONS.items():
        on = bool(getattr(rules, key))
        if before is None or bool(getattr(before, key)) != on:
            changed.append(f"{label}：{'已实行' if on else '未实行'}")
    return changed


class SubsidySettingsForm(FormScreen[list[str]]):
    """One 两项补贴 rule set: from which month, the extensions adopted and the amounts."""

    form_title = "设置：两项补贴标准（按月生效，旧标准保留，各月按当时的标准核对）"

    def __init__(self, month: str, rules: RuleSet, sets: list[RuleSet]) -> None:
        super().__init__()
        self.month, self.rules, self.sets = month, rules, sets

    def build_fields(self) -> list[Field]:
        r = self.rules
        adopted = [key for key in SUBSIDY_EXTENSIONS if getattr(r, key)]
        known = "；".join(f"{x.start}起 {x.summary()}" for x in self.sets) or "无"

        def amount(key: str, label: str) -> Field:
            return Field(key, f"{label}（元/人/月）", Input(str(getattr(r, key)), id=key))

        return [
            Field(
                "extensions",
                "本区已实行的扩面政策（空格勾选，Ctrl+S 保存）",
                multi(SUBSIDY_EXTENSIONS, adopted, id="extensions"),
                "生活补贴扩面：计入低保边缘、低收入家庭中重庆户籍的持证残疾人；"
                "护理补贴扩面：计入重庆户籍的三、四级智力、精神残疾人（填写其标准）。",
            ),
            Field(
                "start",
                "起始月份（同一月份的标准被替换，其他月份的保留）",
                Input(self.month, id="start"),
                f"已有标准：{known}",
            ),
            amount("living_amount", "困难残疾人生活补贴"),
            amount("care_level1", "重度残疾人护理补贴 一级"),
            amount("care_level2", "重度残疾人护理补贴 二级"),
            amount("care_extended_amount", "护理补贴 三、四级智力精神（扩面时）"),
            Field("source", "依据文件", Input(r.source, id="source")),
        ]

    def on_mount(self) -> None:
        self.query_one("#extensions").focus()

    def _rules(self, values: dict[str, Any]) -> RuleSet:
        adopted = set(values["extensions"])
        return clean_rule_set({**values, **{k: k in adopted for k in SUBSIDY_EXTENSIONS}})

    def check(self, values: dict[str, Any]) -> None:
        self._rules(values)

    async def save(self, values: dict[str, Any]) -> list[str] | None:
        return await self.canxie.db(save_rules, self._rules(values))


async def open_subsidy_settings(app: CanxieApp) -> None:
    month, rules, sets = await app.db(rules_now)

    def done(changed: list[str] | None) -> None:
        if changed is not None:
            app.notify("；".join(changed), title="两项补贴标准")

    app.push_screen(SubsidySettingsForm(month, rules, sets), done)
