"""The priority list: people ranked for an event kind, and grouped by grid or building."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from canxie_tui.domain.emergency.assessment import VERY_OLD, Assessment, assess
from canxie_tui.domain.emergency.kinds import PENDING, weights_for
from canxie_tui.domain.emergency.records import PersonRisk, Priority
from canxie_tui.domain.natural import natural_key
from canxie_tui.domain.places import label

T = TypeVar("T")


def sort_key(row: Priority) -> tuple[object, ...]:
    """Risk first, then building, unit, room, name."""
    p = row.person
    return (-row.score, natural_key(p.building), natural_key(p.unit), natural_key(p.room), p.name)


def profile(p: PersonRisk) -> tuple[object, ...]:
    """Everything an assessment of `p` depends on (people with equal profiles are
    assessed alike): many people share the same flags, so a district's 30k people
    have a few thousand profiles."""
    age = p.age
    return (
        p.care_flags,
        p.device_kind,
        p.household_flags,
        p.certified_in_household >= 2,
        p.category,
        p.level,
        age if age is not None and age >= VERY_OLD else None,
        bool(p.phone),
        bool(p.guardian_phone),
    )


_UNCHECKED = (PENDING, "", "", "")  # a row's roll call before anyone is checked


class Ranker:
    """Ranks people for an event of one kind, remembering the assessment of each
    profile: keep one to rank the same register again, or a few people in it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.weights = weights_for(kind)
        self._memo: dict[tuple[object, ...], Assessment] = {}

    def assess(self, p: PersonRisk) -> Assessment:
        key = profile(p)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = assess(p, self.kind, self.weights)
        return found

    def row(self, p: PersonRisk, *, include_all: bool = False) -> Priority | None:
        """`p`'s row of the list (nobody checked yet), or None when not on it."""
        found = self.assess(p)
        if found.score or include_all:
            return Priority._make((p, *found, *_UNCHECKED))
        return None

    def rank(self, facts: Iterable[PersonRisk], *, include_all: bool = False) -> list[Priority]:
        """The priority list, highest risk first (see `rank`)."""
        memo, kind, weights = self._memo, self.kind, self.weights
        rows: list[Priority] = []
        append = rows.append
        new = tuple.__new__  # what Priority._make does: several times faster than Priority(...)
        for p in facts:
            age = p.age
            key = (  # profile(p), inline: this loop runs for everyone in the register
                p.care_flags,
                p.device_kind,
                p.household_flags,
                p.certified_in_household >= 2,
                p.category,
                p.level,
                age if age is not None and age >= VERY_OLD else None,
                bool(p.phone),
                bool(p.guardian_phone),
            )
            found = memo.get(key)
            if found is None:
                found = memo[key] = assess(p, kind, weights)
            if found.score or include_all:
                append(new(Priority, (p, *found, *_UNCHECKED)))
        rows.sort(key=sort_key)
        return rows


def rank(facts: Iterable[PersonRisk], kind: str, *, include_all: bool = False) -> list[Priority]:
    """The priority list for an event of `kind`, highest risk first (see `sort_key`).

    Only people with at least one factor are listed, unless `include_all`.
    Assessments are memoised on each person's `profile`.
    """
    return Ranker(kind).rank(facts, include_all=include_all)


def grid_key(p: PersonRisk) -> tuple[object, ...]:
    """Community, then grid in natural order (第二网格 before 第十网格), no grid last."""
    return (natural_key(p.division_name), p.grid == "", natural_key(p.grid))


def group(rows: Iterable[Priority], by: str = "grid") -> list[tuple[str, list[Priority]]]:
    """Rows grouped by grid (or building), groups in natural order, rows kept in order.

    When the rows come from several communities (a street or district install),
    a group's label carries the community: 第1网格 exists in each of them.
    """
    return group_by(rows, lambda r: (r.person.division_name, r.person.grid, r.person.building), by)


def group_by(
    items: Iterable[T], home: Callable[[T], tuple[str, str, str]], by: str = "grid"
) -> list[tuple[str, list[T]]]:
    """`group` for anything with a home: `home(item)` is its community, grid and
    building (the roll-call screen groups people it has not read yet)."""
    if by not in ("grid", "building"):
        raise ValueError(f"group by 'grid' or 'building', not {by!r}")
    groups: dict[tuple[str, str], list[T]] = {}
    for item in items:
        division, grid, building = home(item)
        groups.setdefault((division, grid if by == "grid" else building), []).append(item)
    several = len({division for division, _ in groups}) > 1
    empty = "未分网格" if by == "grid" else "无楼栋"

    def name(key: tuple[str, str]) -> str:
        return label(key[0] if several else "", key[1] or empty)

    ordered = sorted(groups, key=lambda k: (natural_key(k[0]), k[1] == "", natural_key(k[1])))
    return [(name(key), groups[key]) for key in ordered]
