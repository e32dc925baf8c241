"""Command palette (Ctrl+P): the main actions, listed instantly and searchable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.app import SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from textual.screen import Screen

    from canxie_tui.ui.app import CanxieApp

PALETTE_PLACEHOLDER = "输入要做的事，如：走访、查找、导出…"
QUIT_HINT = ("按 {key} 退出残协工作台", "要退出吗？")


def system_commands(app: CanxieApp, screen: Screen[object]) -> Iterator[SystemCommand]:
    """Textual's own palette commands, in Chinese ("退出" is among MainCommands)."""
    yield SystemCommand("配色主题", "更换界面配色", app.action_change_theme)
    if screen.query("HelpPanel"):
        yield SystemCommand("隐藏按键面板", "关闭右侧的按键说明", app.action_hide_help_panel)
    else:
        yield SystemCommand(
            "按键面板", "在右侧显示当前输入框的说明和本页按键", app.action_show_help_panel
        )
    if screen.maximized is not None:
        yield SystemCommand("还原大小", "把放大的部分恢复原样", screen.action_minimize)
    elif screen.focused is not None and screen.focused.allow_maximize:
        yield SystemCommand("放大当前部分", "把光标所在的部分铺满屏幕", screen.action_maximize)
    yield SystemCommand(
        "屏幕截图",
        "把当前屏幕保存为 SVG 图片",
        lambda: app.set_timer(0.1, app.deliver_screenshot),
    )


def _district_commands(app: CanxieApp) -> list[tuple[str, str, Callable[[], object]]]:
    """Only a district's database merges returns (a street's install sends its own)."""
    if not app.site.merges_returns:
        return []
    return [
        ("区里：合并各社区月报", "选文件夹、全部合并、处理冲突、生成区汇总（m）", app.show_district)
    ]


class MainCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = cast("CanxieApp", self.app)
        run = partial(app.run_action)
        return [
            ("首页", "今日待办、本月统计和专栏1指标", app.show_home),
            ("查找人员/户", "按姓名、拼音首字母、身份证尾号、电话、地址查找", app.show_search),
            ("到期走访", "已逾期和7天内到期要走访的人", app.show_due),
            ("跟进事项", "未完成的跟进事项", app.show_followups),
            ("渝馨家园考勤", "今日签到表、月考勤表、登记学员", app.show_daycare),
            ("突发事件点名", "停电、暴雨、高温等：优先名单、逐个点名、呼叫单", app.show_emergency),
            (
                "证件到期提醒",
                "残疾人证90天内到期或已过期的人，已过期的在前（c）",
                app.show_certificates,
            ),
            (
                "两项补贴核对",
                "本月应停未停（含多发金额）、应享未享、等级变更（首页 b）",
                app.show_subsidy_check,
            ),
            (
                "家庭医生签约缺口名单",
                "未签约家庭医生的持证残疾人（首页 s）",
                partial(app.show_shortfall, "family_doctor"),
            ),
            (
                "基本状况调查",
                "持证残疾人基本状况调查（动态更新）：进度、未调查名单、调查表、一览表（首页 v）",
                app.show_survey,
            ),
            (
                "设置：人户分离人员调查地点",
                "基本状况调查中人户分离人员在现居住地还是户籍地调查",
                app.show_survey_setting,
            ),
            ("导出月报", "本月走访、考勤、个案、指标、急难救助的 Excel 工作簿", app.show_export),
            (
                "导入花名册",
                "区里发来的持证残疾人花名册（.xlsx）：先预览再导入",
                app.show_roster_import,
            ),
            ("新建户", "登记新的残疾人家庭", partial(run, "new_household")),
            ("切换操作员", "更换记录在每条数据上的操作员", partial(run, "switch_operator")),
            (
                "设置：辖区和区划代码",
                "区县、街镇、村社区名称和统计用区划代码",
                app.show_site_settings,
            ),
            *_district_commands(app),
            ("设置：走访分级间隔", "A/B/C级多少天走访一次", app.show_tier_settings),
            (
                "设置：两项补贴标准（扩面、金额）",
                "生活补贴延伸至低收入家庭；护理补贴扩面至三、四级智力、精神残疾人",
                app.show_subsidy_settings,
            ),
            ("从备份恢复", "用自动或手动备份替换当前数据库（先确认）", app.show_restore),
            ("帮助", "列出本页所有按键（F1）", partial(run, "help")),
            ("退出", "退出残协工作台", partial(run, "quit")),
        ]

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = max(matcher.match(name), matcher.match(help_text) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
