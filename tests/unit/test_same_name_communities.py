"""Two communities of one name under different streets (two 新华社区 in a district).

Each is shown by a label no other community has: by its street where the database
knows the streets' names, else by its code.  The bare shared name is refused with
the labels (nothing written); the code or the label names one; the roll call, the
due list, survey progress and the shortfall lists hold them apart.
"""

from __future__ import annotations

import pytest

from canxie_tui.domain import places as domain_places
from canxie_tui.domain.emergency import group
from canxie_tui.domain.errors import InputError
from canxie_tui.store import certificates, emergency, indicators, places, survey
from canxie_tui.store.connection import Store
from canxie_tui.store.district.status import month_status
from canxie_tui.store.duelist import DueFilters, due_list, grids
from canxie_tui.store.recode import recode
from tests.conftest import TODAY, WEST, Make

GUANYIN = ("500105006011", "新华社区")  # 观音桥街道's
CUNTAN = ("500105005006", "新华社区")  # 寸滩街道's
BY_CODE = {
    GUANYIN[0]: "新华社区（500105006011）",
    CUNTAN[0]: "新华社区（500105005006）",
    WEST[0]: "建新西路社区",
}
REFUSED = "有2个“新华社区”，请写明是哪一个：新华社区（500105005006）、新华社区（500105006011）"


@pytest.fixture
def district(store: Store, make: Make) -> Store:
    """甲 in 观音桥's 新华社区, 乙 in 寸滩's, 丙 in 建新西路社区: each at 第1网格 8栋 101,
    bedridden (on the roll call)."""
    for community, person in ((GUANYIN, "甲"), (CUNTAN, "乙"), (WEST, "丙")):
        home = make.community_home(
            community, f"{community[1]}8栋", grid="第1网格", building="8栋", room="101"
        )
        make.person(home, person, level=2, cert_valid_until="2026-12-20", care_flags=["bedridden"])
    return store


def _due(store: Store, **filters: str) -> list[str]:
    return sorted(i.name for i in due_list(store, TODAY, DueFilters(**filters))[0])


def test_shared_names_are_labelled_by_code_where_no_street_is_known(district: Store) -> None:
    assert places.names(district) == BY_CODE
    assert grids(district) == [
        "新华社区（500105005006）·第1网格",
        "建新西路社区·第1网格",
        "新华社区（500105006011）·第1网格",
    ]  # in code order, as every community's grids


def test_shared_names_are_labelled_by_street_where_the_database_knows_them(
    district: Store,
) -> None:
    recode(district, "500105005", "500105015", "寸滩街道")  # the streets' names, as recorded
    recode(district, "500105006", "500105016", "观音桥街道")
    assert places.names(district) == {
        "500105015006": "新华社区（寸滩街道）",
        "500105016002": "建新西路社区",
        "500105016011": "新华社区（观音桥街道）",
    }
    assert _due(district, grid="新华社区（寸滩街道）·第1网格") == ["乙"]


def test_streets_that_do_not_tell_them_apart_leave_the_code() -> None:
    found = {"500105006011": "新华社区", "500105006012": "新华社区", "500105005001": "新华社区"}
    streets = {"500105006": "观音桥街道", "500105005": "寸滩街道"}
    assert set(domain_places.distinct(found, streets).values()) == {
        "新华社区（500105006011）",
        "新华社区（500105006012）",
        "新华社区（500105005001）",
    }
    assert domain_places.distinct({"1": "甲", "2": "乙"}, {}) == {"1": "甲", "2": "乙"}


def test_the_bare_shared_name_is_refused_with_the_labels(district: Store) -> None:
    with pytest.raises(InputError) as refused:
        _due(district, grid="新华社区·第1网格")
    assert REFUSED in refused.value.message
    with pytest.raises(InputError, match=REFUSED):
        emergency.start_event(district, "power", scope=["新华社区·第1网格"])
    assert emergency.current_event(district) is None  # nothing written
    with pytest.raises(InputError, match=REFUSED):
        emergency.check_query(district, "新华社区·8栋")


def test_the_code_or_the_label_picks_one(district: Store) -> None:
    assert _due(district, grid="新华社区（500105005006）·第1网格") == ["乙"]
    assert _due(district, grid="新华社区(500105006011)·第1网格") == ["甲"]  # half-width
    assert _due(district, building="500105006011·8栋") == ["甲"]
    assert _due(district, grid="建新西路社区·第1网格") == ["丙"]  # a name nobody shares
    emergency.start_event(district, "power", scope=["新华社区（500105005006）·第1网格"])
    event = emergency.current_event(district)
    rows = emergency.roll_call(district, event, include_all=True).rows
    assert [r.person.name for r in rows] == ["乙"]


def test_the_roll_call_groups_them_apart(district: Store) -> None:
    emergency.start_event(district, "power")
    event = emergency.current_event(district)
    rows = emergency.roll_call(district, event, include_all=True).rows
    assert {r.person.name: r.person.division_name for r in rows} == {
        "甲": "新华社区（500105006011）",
        "乙": "新华社区（500105005006）",
        "丙": "建新西路社区",
    }
    assert [(label, [r.person.name for r in members]) for label, members in group(rows)] == [
        ("建新西路社区·第1网格", ["丙"]),
        ("新华社区（500105005006）·第1网格", ["乙"]),
        ("新华社区（500105006011）·第1网格", ["甲"]),
    ]
    shown = emergency.view(district, grouping="grid", first=3)  # the screen's list
    assert shown is not None
    by_group = dict(zip(shown.groups, (r.person.name for r in shown.rows), strict=True))
    assert by_group == {f"{BY_CODE[c]}·第1网格": n for c, n in zip(BY_CODE, "甲乙丙", strict=True)}
    named = emergency.view(district, query="新华社区（500105005006）·8栋", first=3)
    assert named is not None and [r.person.name for r in named.rows] == ["乙"]
    both = emergency.view(district, query="新华社区·8栋", first=3)  # typed live: both
    assert both is not None and sorted(r.person.name for r in both.rows) == ["乙", "甲"]


def test_the_due_list_and_survey_progress_show_them_apart(district: Store) -> None:
    items = {i.name: i.community for i in due_list(district, TODAY)[0]}
    assert items == {n: BY_CODE[c] for c, n in zip(BY_CODE, "甲乙丙", strict=True)}
    round, _ = survey.start_round(district, 2026)
    found = survey.progress(district, round)
    assert [(g.name, g.community, g.due) for g in found.grids] == [
        ("新华社区（500105005006）·第1网格", "新华社区（500105005006）", 1),
        ("建新西路社区·第1网格", "建新西路社区", 1),
        ("新华社区（500105006011）·第1网格", "新华社区（500105006011）", 1),
    ]
    rows, _ = survey.left_to_survey(district, round)
    assert [(r["name"], r["community"]) for r in rows] == [
        ("乙", "新华社区（500105005006）"),
        ("丙", "建新西路社区"),
        ("甲", "新华社区（500105006011）"),
    ]


def test_the_shortfall_and_expiry_lists_show_them_apart(district: Store) -> None:
    _, short = indicators.shortfall(district, "care_subsidy", TODAY)
    expiring = certificates.expiring(district, TODAY)
    for rows in (short, expiring):
        assert {r["name"]: r["community"] for r in rows} == {
            "甲": BY_CODE[GUANYIN[0]],
            "乙": BY_CODE[CUNTAN[0]],
            "丙": "建新西路社区",
        }


def test_the_returns_awaited_name_them_apart(district: Store) -> None:
    missing = [name for _, name in month_status(district, "2026-11").missing]
    assert missing == [BY_CODE[CUNTAN[0]], "建新西路社区", BY_CODE[GUANYIN[0]]]


def test_a_stored_name_with_half_width_brackets_is_named_either_way() -> None:
    found = {"500105006011": "花园村(一)社区", "500105006012": "建新东路社区"}
    labels = domain_places.distinct(found, {})
    for typed in ("花园村(一)社区", "花园村（一）社区", " 花园村(一)社区 "):
        assert domain_places.named(labels, found, typed) == ["500105006011"]
