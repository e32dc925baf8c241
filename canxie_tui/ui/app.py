"""The Textual application: opens the store, routes screens, runs database work in threads."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from textual import on
from textual.actions import SkipAction
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from canxie_tui.domain.errors import CanxieError
from canxie_tui.domain.models import Operator, Site
from canxie_tui.store import prefetch, site
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import explain
from canxie_tui.store.session import open_store
from canxie_tui.ui.commands import PALETTE_PLACEHOLDER, QUIT_HINT, MainCommands, system_commands
from canxie_tui.ui.errors import reported

T = TypeVar("T")
UPKEEP_AT_LATEST_S = 3.0  # seconds after start-up


def _in_text_field(widget: object) -> bool:
    """An Input or a TextArea (looked up, not imported: the forms that use TextArea
    load it, and until one has, nothing focused can be one)."""
    text_area = sys.modules.get("textual.widgets._text_area")
    kinds = (Input, text_area.TextArea) if text_area else (Input,)
    return isinstance(widget, kinds)


class CanxieApp(App[None]):
    TITLE = "残协工作台"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    COMMANDS: ClassVar = App.COMMANDS | {MainCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "帮助", id="help", tooltip="列出本页所有按键"),
        # Not in the footers (they are full at 80 columns; the dashboard's shows F2 and
        # Ctrl+Q); F1 lists them on every screen.
        Binding(
            "f2",
            "switch_operator",
            "操作员",
            id="operator",
            tooltip="切换当前操作员",
            show=False,
        ),
        Binding(
            "home",
            "home",
            "首页",
            id="home",
            tooltip="回到首页",
            key_display="Home",
            priority=True,
            show=False,
        ),
        Binding(
            "ctrl+q",
            "quit",
            "退出",
            id="quit",
            tooltip="退出残协工作台",
            priority=True,
            show=False,
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "命令",
            id="palette",
            tooltip="命令面板：输入动作名称执行",
            show=False,
            priority=True,
        ),
    ]

    def __init__(
        self,
        db_path: Path,
        *,
        started: float | None = None,
        store: Store | None = None,
    ) -> None:
        super().__init__()
        self.db_path = db_path
        self.started = started if started is not None else time.perf_counter()
        # Today's backup waits until the figures are on screen (`start_upkeep`).
        self.store = store or open_store(db_path, daily_backup=False)
        self.site: Site = site.get_site(self.store)
        self.startup_ms: float | None = None
        self._backup_thread: threading.Thread | None = None
        self._upkeep_started = False
        self._upkeep_status = ""  # background work in progress, said in the header
        self._first_figures: Future[Any] | None = None
        self._painted = asyncio.Event()  # the first frame is on screen

    # -- start-up ------------------------------------------------------------
    def on_mount(self) -> None:
        self.theme = "textual-dark"
        from canxie_tui.ui.screens.dashboard import DashboardScreen

        self._first_figures = prefetch.dashboard_figures(self.store)

        self._refresh_subtitle()
        self.push_screen(DashboardScreen())
        if not self.site.is_configured or not self.store.operator_id:
            from canxie_tui.ui.screens.setup import SetupScreen

            self.push_screen(SetupScreen(self.site))
        self.call_after_refresh(self._log_startup)
        # The dashboard starts the upkeep when its figures are shown; this is in case
        # they never are (an error).
        self.set_timer(UPKEEP_AT_LATEST_S, self.start_upkeep)

    def _log_startup(self) -> None:
        if not gc.isenabled():  # turned off for the start-up (`cli.common.run_tui`)
            gc.freeze()  # what start-up made lives as long as the app: never scan it again
            gc.enable()
        self.startup_ms = (time.perf_counter() - self.started) * 1000
        self._painted.set()
        self.log.info(f"started in {self.startup_ms:.0f} ms")

    def start_upkeep(self) -> None:
        """After the first figures are on screen (once): today's backup, in steps in a
        thread of its own, and the search keys of a large database re-indexed when this
        version makes other keys (`ui.upkeep`)."""
        if self._upkeep_started:
            return
        self._upkeep_started = True
        from canxie_tui.store.session import start_pending_backup
        from canxie_tui.ui.upkeep import reindex_when_outdated

        self._backup_thread = start_pending_backup(self.store)
        reindex_when_outdated(self)

    @property
    def backup_thread(self) -> threading.Thread | None:
        """Today's backup, once started (`cli.common.run_tui` waits for it, saying so)."""
        return self._backup_thread

    def wait_for_backup(self) -> None:
        """Today's backup finished (before the database file is replaced)."""
        if self._backup_thread is not None:
            self._backup_thread.join()

    def show_home(self) -> None:
        """Back to the dashboard (the home screen), closing whatever is above it."""
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_home(self) -> None:
        """Home: the dashboard from any screen; in a text field it moves the cursor, and
        it leaves a dialog or form alone (Esc closes those, so nothing typed is lost)."""
        if isinstance(self.screen, ModalScreen) or _in_text_field(self.focused):
            raise SkipAction()
        self.show_home()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """On the home screen itself, Home is off: not in its footer (it fits 80 columns),
        and the key moves in the table instead."""
        return not (action == "home" and getattr(self.screen, "IS_HOME", False))

    def show_search(self) -> None:
        from canxie_tui.ui.screens.search import SearchScreen

        if isinstance(self.screen, SearchScreen):
            self.screen.focus_query()
        else:
            self.push_screen(SearchScreen())

    def show_household(
        self, household_id: str, *, add_member: bool = False, focus_person: str | None = None
    ) -> None:
        from canxie_tui.ui.screens.household import HouseholdScreen

        self.push_screen(
            HouseholdScreen(household_id, add_member=add_member, focus_person=focus_person)
        )

    def show_due(self) -> None:
        from canxie_tui.ui.screens.due_list import DueListScreen

        self.push_screen(DueListScreen())

    def show_followups(self) -> None:
        from canxie_tui.ui.screens.followup_list import FollowupListScreen

        self.push_screen(FollowupListScreen())

    def show_daycare(self) -> None:
        from canxie_tui.ui.screens.daycare import DaycareScreen

        self.push_screen(DaycareScreen())

    def show_emergency(self) -> None:
        from canxie_tui.ui.screens.emergency import EmergencyScreen

        self.push_screen(EmergencyScreen())

    def show_certificates(self) -> None:
        from canxie_tui.ui.screens.certificates import CertificatesScreen

        self.push_screen(CertificatesScreen())

    def show_subsidy_check(self) -> None:
        from canxie_tui.ui.screens.subsidies import SubsidyCheckScreen

        self.push_screen(SubsidyCheckScreen())

    def show_shortfall(self, key: str) -> None:
        from canxie_tui.ui.screens.shortfall import ShortfallScreen

        self.push_screen(ShortfallScreen(key))

    def show_export(self) -> None:
        from canxie_tui.ui.screens.export import ExportScreen

        self.push_screen(ExportScreen())

    def show_district(self) -> None:
        from canxie_tui.ui.screens.district import DistrictScreen

        self.push_screen(DistrictScreen())

    def show_roster_import(self) -> None:
        from canxie_tui.ui.screens.roster_import import RosterImportScreen

        self.push_screen(RosterImportScreen())

    def show_restore(self) -> None:
        from canxie_tui.ui.screens.restore import RestoreScreen

        self.push_screen(RestoreScreen())

    def restore_from(self, backup_file: str) -> None:
        """Close our connections, restore, reopen, and start again from the home screen."""
        from canxie_tui.store.session import restore_database

        self.show_home()  # screens holding their own connections close them on unmount
        self.wait_for_backup()
        operator = (self.store.operator_id, self.store.operator_name)
        clock = self.store.clock
        self.store.close()
        try:
            self.store, _ = restore_database(
                self.db_path, backup_file, clock=clock, operator=operator
            )
        except Exception as error:
            self.store = open_store(self.db_path, clock=clock)
            self.report_error(error)
            return
        self.site = site.get_site(self.store)
        self._refresh_subtitle()
        self.notify("已从备份恢复；恢复前的数据库也已备份。", timeout=10)
        self.screen.refresh()
        if hasattr(self.screen, "reload"):
            self.screen.reload()

    def show_site_settings(self) -> None:
        from canxie_tui.ui.screens.setup import SetupScreen

        self.push_screen(SetupScreen(self.site))

    @reported
    async def show_tier_settings(self) -> None:
        from canxie_tui.ui.screens.settings import open_tier_settings

        await open_tier_settings(self)

    @reported
    async def show_key_settings(self) -> None:
        from canxie_tui.ui.screens.site_keys import open_key_form

        await open_key_form(self)

    @reported
    async def show_recode_settings(self) -> None:
        from canxie_tui.ui.screens.site_keys import open_recode_form

        await open_recode_form(self)

    @reported
    async def show_subsidy_settings(self) -> None:
        from canxie_tui.ui.screens.settings import open_subsidy_settings

        await open_subsidy_settings(self)

    def show_survey(self) -> None:
        from canxie_tui.ui.screens.survey import SurveyScreen

        self.push_screen(SurveyScreen())

    @reported
    async def show_survey_setting(self) -> None:
        from canxie_tui.ui.screens.survey import open_apart_setting

        await open_apart_setting(self)

    def action_new_household(self) -> None:
        from canxie_tui.ui.screens.household_form import new_household_flow

        new_household_flow(self)

    def site_saved(self, new_site: Site, operator: Operator) -> None:
        self.site = new_site
        self.store.operator_id, self.store.operator_name = operator.id, operator.name
        self._refresh_subtitle()

    def _refresh_subtitle(self) -> None:
        who = self.store.operator_name or "未设置操作员"
        status = f" · {self._upkeep_status}" if self._upkeep_status else ""
        self.sub_title = f"{self.site.full_name() or '未设置辖区'} · 操作员：{who}{status}"

    def show_upkeep(self, status: str) -> None:
        """Say in the header what the app is doing in the background ('' when done)."""
        self._upkeep_status = status
        self._refresh_subtitle()

    # -- database work off the UI thread ----------------------------------------
    def on_own_connection(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(store, *args, **kwargs)` on a connection of its own, closed after: how
        work in another thread reads and writes (a connection is one thread's)."""
        return prefetch.on_own_connection(self.store, fn, *args, **kwargs)

    def first_figures(self) -> Future[Any] | None:
        """The dashboard's figures started at start-up, until they are shown (then None:
        later loads query anew)."""
        return self._first_figures

    def first_figures_shown(self, shown: Future[Any]) -> None:
        if self._first_figures is shown:
            self._first_figures = None

    async def first_paint(self) -> None:
        """Returns once the first frame is on screen."""
        await self._painted.wait()

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(store, *args, **kwargs)` in a worker thread on its own connection.

        Raises what `fn` raised (CanxieError carries the Chinese message to show).
        """

        def job() -> T:
            return self.on_own_connection(fn, *args, **kwargs)

        worker: Worker[T] = self.run_worker(job, thread=True, group="db", exit_on_error=False)
        try:
            return await worker.wait()
        except WorkerFailed as failed:
            raise failed.error from None

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Textual's notify, but always plain text: messages quote names, notes and paths
        as typed, and a "[/]" in them must neither crash the toast nor vanish.  `markup`
        is not heeded: a screen's or widget's own `notify` passes markup=True."""
        del markup  # every notification of the app is plain, whoever asks for it
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def report_error(self, error: BaseException) -> None:
        """Tell the user what went wrong, in Chinese; never a traceback."""
        if isinstance(error, WorkerCancelled):
            return  # superseded by newer work (e.g. a later search): nothing went wrong
        known = explain(error)
        if isinstance(error, CanxieError):
            self.notify(error.message, title="未能完成", severity="error", timeout=8)
        elif known is not None:
            self.notify(known, title="未能完成", severity="error", timeout=10)
        else:
            self.log.error(repr(error))
            self.notify(
                f"程序内部错误：{type(error).__name__}。数据未被修改，请重试或联系维护人员。",
                title="出错了",
                severity="error",
                timeout=10,
            )

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        # db() callers receive their own errors; this catches every other worker.
        if event.state == WorkerState.ERROR and event.worker.group != "db":
            assert event.worker.error is not None
            self.report_error(event.worker.error)

    # -- app-wide actions ------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        return system_commands(self, screen)

    def action_command_palette(self) -> None:
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(
                CommandPalette(placeholder=PALETTE_PLACEHOLDER, id="--command-palette")
            )

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit (it copies): say which key does, in Chinese."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                message, title = QUIT_HINT
                self.notify(message.format(key=key.replace("ctrl+", "Ctrl+").title()), title=title)
                return

    def action_help(self) -> None:
        from canxie_tui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_switch_operator(self) -> None:
        from canxie_tui.ui.screens.operator import OperatorScreen

        def chosen(operator: Operator | None) -> None:
            if operator is not None:
                self.store.operator_id, self.store.operator_name = operator.id, operator.name
                self._refresh_subtitle()
                self.notify(f"当前操作员：{operator.name}")

        self.push_screen(OperatorScreen(), chosen)
