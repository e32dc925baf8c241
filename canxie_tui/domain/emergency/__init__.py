"""Emergency mode (突发公共事件急难救助): who to reach first, how, and what to ask.

Pure functions over plain records; the store loads the register with one
set-based query and hands it here.

Risk score.  Each *factor* below that holds for a person adds its weight; the
event kind replaces some weights (a power cut makes dependence on powered
equipment dominant, a flood raises those who need help to evacuate and those
in 危房 or low-lying housing ...).  The factors are DESIGN.md §2's priority
people: 独居/无人照料, 重度智力/精神, 一户多残, 以老养残, 卧床, 依赖电动设备,
需协助撤离, 听障, 视障, ≥ 80 岁, 危房/低洼.  Anyone with at least one factor is
on the priority list; a 一级/二级 certificate adds a small bonus that only
orders people within the same factors (it never puts anyone on the list).

The reasons are the factors in words, heaviest first for the event kind:
"依赖制氧机 · 独居 · 87岁".  Sorting: score descending, then building, unit,
room (numbers compared as numbers: 3栋 before 12栋) and name; Python's sort is
stable, so equal rows keep the order they came in.

Modules: `kinds` (event kinds, roll-call statuses, weights), `records` (a
person's facts, a row of the list), `assessment` (one person: factors, score,
contact, checks), `stored` (the risk profile the store keeps), `ranking` (the
list and its groups), `rollcall` (statuses and progress), `events` (events and
their summary).  The weights and checklists are in `domain.emergency_tables`.
Callers use this package's names.
"""

from __future__ import annotations

from canxie_tui.domain.emergency.assessment import (
    OLDEST,
    VERY_OLD,
    Assessment,
    assess,
    contact_advice,
    factors_of,
)
from canxie_tui.domain.emergency.events import EmergencyEvent, EventSummary, format_duration
from canxie_tui.domain.emergency.kinds import (
    HELP_STATUSES,
    PENDING,
    kind_label,
    parse_kind,
    parse_status,
    weights_for,
)
from canxie_tui.domain.emergency.ranking import (
    Ranker,
    grid_key,
    group,
    group_by,
    profile,
    rank,
    sort_key,
)
from canxie_tui.domain.emergency.records import PersonRisk, Priority
from canxie_tui.domain.emergency.rollcall import (
    CheckChange,
    RollCallCheck,
    RollCallProgress,
    summarize,
)
from canxie_tui.domain.emergency.stored import FACTOR_BITS, OLDEST_BIT, profile_bits, profile_score
from canxie_tui.domain.emergency_tables import BASE_WEIGHTS, CHECKLISTS, FACTORS, KIND_WEIGHTS
from canxie_tui.domain.natural import natural_key

__all__ = [
    "BASE_WEIGHTS",
    "CHECKLISTS",
    "FACTORS",
    "FACTOR_BITS",
    "HELP_STATUSES",
    "KIND_WEIGHTS",
    "OLDEST",
    "OLDEST_BIT",
    "PENDING",
    "VERY_OLD",
    "Assessment",
    "CheckChange",
    "EmergencyEvent",
    "EventSummary",
    "PersonRisk",
    "Priority",
    "Ranker",
    "RollCallCheck",
    "RollCallProgress",
    "assess",
    "contact_advice",
    "factors_of",
    "format_duration",
    "grid_key",
    "group",
    "group_by",
    "kind_label",
    "natural_key",
    "parse_kind",
    "parse_status",
    "profile",
    "profile_bits",
    "profile_score",
    "rank",
    "sort_key",
    "summarize",
    "weights_for",
]
