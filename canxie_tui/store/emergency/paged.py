"""The roll call as a screen shows it: the whole list's order, a page of rows at a time.

A district's list holds ~19k people.  The screen keeps the `View` — everyone's pk
in table order, their place in risk order and their group — and asks for the
rows of a page (`page`) as the user reaches them: the first open builds one page,
never the whole list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from canxie_tui.domain.emergency import EmergencyEvent, Priority, RollCallProgress, group_by
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency import cache
from canxie_tui.store.emergency.events import current_event
from canxie_tui.store.emergency.priority import checks_of, listed, rows_of

__all__ = ["View", "page", "view"]


@dataclass(frozen=True, eq=False)
class View:
    """The current event's list after the filters, in table order (one read of it:
    two views are equal only when they are the same)."""

    event: EmergencyEvent
    progress: RollCallProgress  # over the whole list, whatever the filters
    total: int  # people on the whole list
    pks: list[int]  # everyone after the filters, in table order
    ranks: Sequence[int]  # each one's place in risk order (1 first): the 序 column
    groups: Sequence[str]  # each one's group ("" in risk order)
    rows: list[Priority]  # the rows of the first `first` pks

    def __len__(self) -> int:
        return len(self.pks)


def view(
    store: Store,
    *,
    status: str | None = None,
    query: str | None = None,
    grouping: str = "",
    first: int = 0,
) -> View | None:
    """The current event's list (None when no event is current), narrowed by `status`
    and `query` (as :func:`roll_call`), in risk order or grouped by "grid" or
    "building" (risk order within each group), with the rows of its first `first`
    people built."""
    event = current_event(store)
    if event is None:
        return None
    found = listed(store, event, status=status, query=query)
    pks: list[int] = found.pks
    ranks: Sequence[int] = range(1, len(pks) + 1)
    groups: Sequence[str] = ("",) * len(pks)
    if grouping:
        homes = found.loaded.homes(store)
        shown = found.loaded.communities(store).shown  # by code, named by label
        nowhere = ("", "", "", "")  # left the register since it was ranked

        def home(i: int) -> tuple[str, str, str]:
            code, grid, building, _ = homes.get(pks[i], nowhere)
            return shown.get(code, ""), grid, building

        grouped = group_by(range(len(pks)), home, grouping)
        order = [i for _, members in grouped for i in members]
        groups = [label for label, members in grouped for _ in members]
        ranks = [i + 1 for i in order]
        pks = [pks[i] for i in order]
    rows = list(found.rows(store, pks[:first]))
    return View(event, found.progress, found.total, pks, ranks, groups, rows)


def page(store: Store, event: EmergencyEvent, pks: Sequence[int]) -> list[Priority]:
    """The rows of `pks` (of a `View` of `event`) with their roll call as it is now;
    anyone who left the register since the view was read is left out."""
    loaded = cache.get(store, event.scope)
    kept = loaded.still_listed(store, event.kind, pks)
    return list(rows_of(store, loaded, event.kind, kept, checks_of(store, event.id, kept)))
