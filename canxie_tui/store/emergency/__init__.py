"""Emergency events and the roll call (突发公共事件急难救助).

An event (汛期/暴雨, 高温, 停电 ...) has a kind, a name, a start and — once
closed — an end, and optionally a scope: grids, buildings or addresses.  Several
events may exist; at most one is current.  During an event every person on the
priority list gets a roll-call status (未联系, 已联系·安全, 需要帮助, 已转移安置,
联系不上); each status change is one audited write through `records`, so the
audit log holds the whole history.  需要帮助 and 联系不上 raise a follow-up, once
per event and person.

The priority list is ranked in `canxie_tui.domain.emergency` over facts loaded
with one set-based query (plus one for the event's checks and, when narrowing
by a search, one over the search index), with no per-person queries.  The first
list of a district (30k people) takes about a quarter of a second, nearly all of
it SQLite handing over the rows; it is then kept, each refresh and mark costs a
few milliseconds, and so does a register edit: the households written are read
again and patched into the kept list.

Modules: `events` (start, make current, close, find), `rollcall` (statuses,
notes, history, follow-ups), `priority` (the list and its progress), `facts`
(the register as the ranking needs it), `cache` (the kept list and its
patching), `filter` (the text filter).  Callers use this package's names.
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
    "preload",
    "priority_list",
    "progress",
    "roll_call",
    "set_current",
    "set_status",
    "start_event",
]
