"""Emergency events and the roll call (突发公共事件急难救助).

An event (汛期/暴雨, 高温, 停电 ...) has a kind, a name, a start and — once
closed — an end, and optionally a scope: grids, buildings or addresses.  Several
events may exist; at most one is current.  During an event every person on the
priority list gets a roll-call status (未联系, 已联系·安全, 需要帮助, 已转移安置,
联系不上); each status change is one audited write through `records`, so the
audit log holds the whole history.  需要帮助 and 联系不上 raise a follow-up, once
per event and person.

The priority list is ranked over each person's stored risk profile
(`store.risk`, kept up to date by every write): one query of two plain
columns in index order and a sort by score, plus one for the event's checks and, when narrowing by a
search, one over the search index.  The rows themselves (facts, reasons, how to
reach them) are built from the full facts of only the people read: a page.

Modules: `events` (start, make current, close, find), `rollcall` (statuses,
notes, history, follow-ups), `priority` (the list and its progress), `facts`
(the register as the rows need it), `cache` (the kept ranking), `rows` (rows
built when read), `filter` (the text filter), `paged` (the list as a screen shows
it, a page at a time).  Callers use this package's names.
"""

from __future__ import annotations

from canxie_tui.store.emergency.cache import clear_cache, preload
from canxie_tui.store.emergency.events import (
    CLOSE_ACTION,
    NAME_MAX,
    close_event,
    current_event,
    event_summary,
    events_in_month,
    find_event,
    get_event,
    list_events,
    set_current,
    start_event,
)
from canxie_tui.store.emergency.facts import load_facts
from canxie_tui.store.emergency.filter import check_query
from canxie_tui.store.emergency.paged import View, page, view
from canxie_tui.store.emergency.priority import RollCall, priority_list, progress, roll_call
from canxie_tui.store.emergency.rollcall import (
    FOLLOWUP_SOURCE,
    NOTE_MAX,
    followup_for,
    get_check,
    history,
    set_status,
)

__all__ = [
    "CLOSE_ACTION",
    "FOLLOWUP_SOURCE",
    "NAME_MAX",
    "NOTE_MAX",
    "RollCall",
    "View",
    "check_query",
    "clear_cache",
    "close_event",
    "current_event",
    "event_summary",
    "events_in_month",
    "find_event",
    "followup_for",
    "get_check",
    "get_event",
    "history",
    "list_events",
    "load_facts",
    "page",
    "preload",
    "priority_list",
    "progress",
    "roll_call",
    "set_current",
    "set_status",
    "start_event",
    "view",
]
