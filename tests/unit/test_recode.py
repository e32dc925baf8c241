"""Division codes that change: a community's return from before and after, one row each.

江北区 (500105) is abolished; its streets move to 两江新区 (the test's 500160).  The
district recodes itself, a community recodes its site; returns exported before
the change merge under the new code and the roll-up lists each community once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from canxie_tui.domain.errors import InputError
from canxie_tui.excel.district.merge import merge
from canxie_tui.excel.district.report import district_rows
from canxie_tui.store import site
from canxie_tui.store.connection import Store
from canxie_tui.store.recode import list_recodes, map_code, recode
from tests.unit.test_district_merge import (
    OTHER_COMMUNITY,
    _community,
    _export,
    _only,
)


def _communities(dist: Store) -> list[tuple[str, str, int]]:
    return [
        (r.code, r.name, r.persons) for r in district_rows(dist, 2026, 11) if r.level == "community"
    ]


def test_map_code_takes_the_longest_prefix_and_follows_chains() -> None:
    from canxie_tui.store.recode import Recode

    table = [
        Recode("500105", "500160"),
        Recode("500105006", "500160106"),
        Recode("500160106", "500160206"),
    ]
    assert map_code("500105006001", table) == "500160206001"
    assert map_code("500105007001", table) == "500160007001"
    assert map_code("510211", table) == "510211"  # an ID's area code is never a division


def test_recode_refuses_bad_codes_and_changes_nothing(tmp_path: Path) -> None:
    one = _community(tmp_path / "one.db")
    for old, new, words in (
        ("500105", "50016", "应为6位"),
        ("500105", "500105006", "同级"),
        ("500105", "500105", "相同"),
    ):
        with pytest.raises(InputError, match=words):
            recode(one, old, new)
    assert list_recodes(one) == []
    one.close()


def test_returns_from_before_and_after_the_change_merge_under_the_new_code(
    tmp_path: Path, dist: Store
) -> None:
    one = _community(tmp_path / "one.db")
    two = _community(tmp_path / "two.db", OTHER_COMMUNITY, first_id=100)
    before_one = _export(one, tmp_path / "one-before.xlsx")
    before_two = _export(two, tmp_path / "two-before.xlsx")
    merge(dist, [before_one])
    assert [c[0] for c in _communities(dist)] == ["500105006001"]
    # The district becomes 两江新区: its households and merge records follow.
    moved = recode(dist, "500105", "500160", "两江新区")
    assert moved["households"] == 2 and moved["site"] == 1
    assert site.get_site(dist).district_name == "两江新区"
    assert _communities(dist) == [("500160006001", "建新东路社区", 2)]
    # The community recodes too: its households follow, the mapping travels in the return.
    moved = recode(one, "500105", "500160", "两江新区")
    assert moved["households"] == 2
    assert one.scalar("SELECT count(*) FROM households WHERE division_code LIKE '500105%'") == 0
    after_one = _export(one, tmp_path / "one-after.xlsx")
    result = _only(merge(dist, [after_one]))
    assert not result.refused, result.reason
    assert result.site_code == "500160006001"
    assert (result.new, result.conflicts) == (0, 0)
    # A return exported before the change is not refused: it merges under the new code.
    late = _only(merge(dist, [before_two]))
    assert not late.refused, late.reason
    assert late.site_code == "500160006002"
    # And the first one again: nothing new, no conflict.
    again = _only(merge(dist, [before_one]))
    assert (again.new, again.updated, again.conflicts) == (0, 0, 0)
    rows = _communities(dist)
    assert rows == [("500160006001", "建新东路社区", 2), ("500160006002", "洋河路社区", 2)]
    codes = [r.code for r in district_rows(dist, 2026, 11)]
    assert not [c for c in codes if c.startswith("500105")]
    one.close()
    two.close()


def test_a_communitys_own_recode_travels_and_the_district_takes_only_its_own(
    tmp_path: Path, dist: Store
) -> None:
    one = _community(tmp_path / "one.db")
    merge(dist, [_export(one, tmp_path / "before.xlsx")])
    # The community alone changes code within the district (a renumbering).
    recode(one, "500105006001", "500105006009", "建新东路社区")
    after = _only(merge(dist, [_export(one, tmp_path / "after.xlsx")]))
    assert not after.refused and after.site_code == "500105006009"
    assert [c[0] for c in _communities(dist)] == ["500105006009"]
    assert [(r.old, r.new) for r in list_recodes(dist)] == [("500105006001", "500105006009")]
    one.close()
