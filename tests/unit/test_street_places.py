"""Grids and buildings at a street: each community's own (issue 17).

Two communities with the same grid and building names (第1网格·8栋) in one database:
the due list's grid list, its filters and its lines, and the emergency roll call's
filter, its event scope and its groups name each community's place; a bare name
both communities use is refused with the choices where it is asked for once.
"""

from __future__ import annotations

import pytest

from canxie_tui.domain.emergency import group
from canxie_tui.domain.errors import InputError
from canxie_tui.store import emergency, places
from canxie_tui.store.connection import Store
from canxie_tui.store.duelist import DueFilters, due_list, grids
from tests.conftest import EAST, TODAY, WEST, Make


@pytest.fixture
def street(store: Store, make: Make) -> Store:
    """East: 甲一 (第1网格 8栋), 丁四 (第2网格 9栋); west: 丙三 (第1网格 8栋)."""
    for community, person, grid, building in (
        (EAST, "甲一", "第1网格", "8栋"),
        (EAST, "丁四", "第2网格", "9栋"),
        (WEST, "丙三", "第1网格", "8栋"),
    ):
        address = f"{community[1]}{building}"
        home = make.community_home(community, address, grid=grid, building=building, room="101")
        make.person(home, person)
    return store


def _names(store: Store, **filters: str) -> list[str]:
    return sorted(i.name for i in due_list(store, TODAY, DueFilters(**filters))[0])


def test_the_due_list_names_each_communitys_grid(street: Store) -> None:
    assert grids(street) == ["建新东路社区·第1网格", "建新东路社区·第2网格", "建新西路社区·第1网格"]
    items = {i.name: i for i in due_list(street, TODAY)[0]}
    assert (items["丙三"].community, items["丙三"].grid) == ("建新西路社区", "第1网格")
    assert _names(street) == ["丁四", "丙三", "甲一"]


def test_due_list_filters_pick_one_communitys_place(street: Store) -> None:
    assert _names(street, grid="建新西路社区·第1网格") == ["丙三"]
    assert _names(street, grid="建新东路社区·第1网格", building="8栋") == ["甲一"]
    assert _names(street, building="建新西路社区·8栋") == ["丙三"]
    assert _names(street, grid="第2网格") == ["丁四"]  # only the east has it
    for filters in ({"grid": "第1网格"}, {"building": "8栋"}):
        with pytest.raises(InputError) as refused:
            _names(street, **filters)
        name = next(iter(filters.values()))
        assert (
            f"“{name}”在多个社区都有，请写明社区，如：建新东路社区·{name}、建新西路社区·{name}"
            in (str(refused.value))
        )


def test_one_community_keeps_its_names(store: Store, make: Make) -> None:
    home = make.household("建新东路1号", grid="第1网格", building="8栋")
    make.person(home, "王芳")
    assert places.names(store) == {} and grids(store) == ["第1网格"]
    item = due_list(store, TODAY, DueFilters(grid="第1网格", building="8栋"))[0][0]
    assert (item.name, item.community, item.grid) == ("王芳", "", "第1网格")


def _called(store: Store, query: str | None = None) -> list[str]:
    event = emergency.current_event(store)
    rows = emergency.roll_call(store, event, query=query, include_all=True).rows
    return sorted(r.person.name for r in rows)


def test_roll_call_filter_and_groups_name_one_communitys_place(street: Store) -> None:
    emergency.start_event(street, "power")
    assert _called(street) == ["丁四", "丙三", "甲一"]
    assert _called(street, "建新西路社区·8栋") == ["丙三"]
    assert _called(street, "建新东路社区·第1网格") == ["甲一"]
    assert _called(street, "8栋") == ["丙三", "甲一"]  # the screen's live filter: both
    with pytest.raises(InputError, match="如：建新东路社区·8栋、建新西路社区·8栋"):
        emergency.check_query(street, "8栋2单元")  # the command line: refused
    emergency.check_query(street, "9栋")  # one community has it
    assert _called(street, "500105006002·8栋") == ["丙三"]  # the community by its code
    rows = emergency.roll_call(street, emergency.current_event(street), include_all=True).rows
    assert [label for label, _ in group(rows)] == [
        "建新东路社区·第1网格",
        "建新东路社区·第2网格",
        "建新西路社区·第1网格",
    ]


def test_an_event_scope_names_one_communitys_grid(street: Store) -> None:
    with pytest.raises(InputError, match="“第1网格”在多个社区都有"):
        emergency.start_event(street, "power", scope=["第1网格"])
    assert emergency.current_event(street) is None
    emergency.start_event(street, "power", scope=["建新西路社区·第1网格"])
    assert _called(street) == ["丙三"]
    emergency.start_event(street, "power", scope=["第2网格"])  # only the east has it
    assert _called(street) == ["丁四"]


def test_a_name_with_a_middle_dot_is_searched_whole(store: Store, make: Make) -> None:
    home = make.household("建新东路1号", building="5栋", grid="第1网格")
    make.person(home, "阿依古丽·买买提")
    make.person(home, "王芳")
    emergency.start_event(store, "power")
    assert _called(store, "阿依古丽·买买提") == ["阿依古丽·买买提"]
