"""Base of the list screens (due list, follow-ups, shortfall): a table of people
loaded in a worker, Enter opens the household, refreshed when you come back.

The whole list is kept in memory but the table holds at most `PAGE` rows at first;
moving onto the last loaded row appends the next page (a district's shortfall list
can hold thousands of people)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Static

from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.paging import PAGE, page_end, paging_note, rows_to_keep, wants_next_page
from canxie_tui.ui.widgets.tables import PlainTable, add_keyed_columns, cursor_key, keep_cursor
from canxie_tui.ui.widgets.titleline import TitleLine

ItemT = TypeVar("ItemT")
PersonRow = dict[str, Any]  # a person row read by the store: id, household_id, name …


class ListScreen(CanxieScreen[None], Generic[ItemT]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "返回", id="back", tooltip="返回上一页"),
        Binding("enter", "open", "打开户", id="open", tooltip="打开所选人员的户", show=False),
    ]
    columns: Sequence[str] = ()

    def __init__(self) -> None:
        super().__init__()
        self.items: list[ItemT] = []
        self.count_text = ""

    def filters(self) -> list[Widget]:
        """Widgets above the count line (none by default)."""
        return []

    async def load(self) -> tuple[list[ItemT], str]:
        """(items, the count line to show); runs database work through app.db."""
        raise NotImplementedError

    def cells(self, item: ItemT) -> Sequence[str]:
        raise NotImplementedError

    def item_key(self, item: ItemT) -> str:
        thing = cast(Any, item)
        return str(getattr(thing, "person_id", None) or thing.id)

    def household_of(self, item: ItemT) -> str:
        return str(cast(Any, item).household_id)

    def person_of(self, item: ItemT) -> str | None:
        """The person to select in the household opened by Enter."""
        return getattr(item, "person_id", None)

    def compose(self) -> ComposeResult:
        yield TitleLine()
        yield from self.filters()
        yield Static("正在读取…", id="count", markup=False)
        yield PlainTable(id="rows", cursor_type="row", zebra_stripes=True)
        yield KeyLine()

    def on_mount(self) -> None:
        table = self.query_one("#rows", DataTable)
        add_keyed_columns(table, self.columns)
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    @work(exclusive=True, group="list", exit_on_error=False)
    @reported
    async def reload(self) -> None:
        """Load the list again, keeping as many rows loaded as before and the cursor."""
        self.items, self.count_text = await self.load()
        table = self.query_one("#rows", DataTable)
        row = table.cursor_row
        loaded = rows_to_keep(table)
        table.clear()
        self._add_rows(table, loaded)
        keep_cursor(table, row)

    def _add_rows(self, table: DataTable[Any], count: int = PAGE) -> None:
        """Append the next `count` items (whole pages) and say how many show."""
        start = table.row_count
        end = page_end(start, len(self.items), count)
        for item in self.items[start:end]:
            table.add_row(*self.cells(item), key=self.item_key(item))
        # #count is one line high: the note goes first so a long line cannot hide it.
        note = paging_note(end, len(self.items))
        self.query_one("#count", Static).update((f"{note} · " if note else "") + self.count_text)

    @on(DataTable.RowHighlighted, "#rows")
    def _load_more(self) -> None:
        """At the last loaded row with more to show: append the next page."""
        table = self.query_one("#rows", DataTable)
        if wants_next_page(table, len(self.items)):
            self._add_rows(table)

    def selected(self) -> ItemT | None:
        key = cursor_key(self.query_one("#rows", DataTable))
        if key is None:
            return None
        return next((i for i in self.items if self.item_key(i) == key), None)

    @on(DataTable.RowSelected, "#rows")
    def action_open(self) -> None:
        from canxie_tui.ui.screens.household import HouseholdScreen

        item = self.selected()
        if item is not None:
            self.app.push_screen(
                HouseholdScreen(self.household_of(item), focus_person=self.person_of(item))
            )

    def on_select_changed(self, _: Any) -> None:
        self.reload()


class PersonRowsScreen(ListScreen[PersonRow]):
    """A list of person rows as the store reads them (`id`, `household_id`, …)."""

    def item_key(self, item: PersonRow) -> str:
        return str(item["id"])

    def household_of(self, item: PersonRow) -> str:
        return str(item["household_id"])

    def person_of(self, item: PersonRow) -> str:
        return str(item["id"])
