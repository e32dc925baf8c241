"""Two 新华社区 of different streets on the screens and the command line: the roll
call groups them apart, the survey screen counts them apart, and `canxie emergency
list` refuses the bare shared name (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from canxie_tui.store import emergency, survey
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.emergency import EmergencyScreen
from canxie_tui.ui.screens.survey import SurveyScreen
from tests.app.conftest import press_for, settle
from tests.conftest import Make, open_store
from tests.e2e.conftest import run

GUANYIN = ("500105006011", "新华社区")
CUNTAN = ("500105005006", "新华社区")


@pytest.fixture
def district(tmp_path: Path) -> Store:
    """One bedridden person in each 新华社区's 第1网格 8栋 101."""
    store = open_store(tmp_path / "district.db")
    make = Make(store)
    for community, person in ((GUANYIN, "观音甲"), (CUNTAN, "寸滩乙")):
        home = make.community_home(
            community, "新华路8栋", grid="第1网格", building="8栋", room="101"
        )
        make.person(home, person, care_flags=["bedridden"])
    return store


async def test_the_roll_call_screen_groups_them_apart(district: Store) -> None:
    emergency.start_event(district, "power")
    app = CanxieApp(district.path, store=district)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = await press_for(pilot, "j", EmergencyScreen)
        await pilot.press("g")  # grouped by grid
        await settle(pilot)
        table = screen.query_one("#rollcall", DataTable)
        place = screen.columns.index("楼栋")
        cells = sorted(str(table.get_row_at(i)[place]) for i in range(table.row_count))
        groups = sorted(screen.view.groups)
    assert groups == ["新华社区（500105005006）·第1网格", "新华社区（500105006011）·第1网格"]
    # The 楼栋 column leads with the group, cut to its width: still the code.
    assert [c[:17] for c in cells] == ["新华社区（500105005006", "新华社区（500105006011"]


async def test_the_survey_screen_counts_them_apart(district: Store) -> None:
    survey.start_round(district, 2026)
    app = CanxieApp(district.path, store=district)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = await press_for(pilot, "v", SurveyScreen)
        head = str(screen.query_one("#survey-progress", Static).render())
    assert "新华社区（500105005006） 0/1" in head and "新华社区（500105006011） 0/1" in head


def test_the_command_line_refuses_the_bare_shared_name(
    district: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(district.path)
    code, out, err = run(
        capsys, "--db", db, "emergency", "list", "--kind", "停电", "-q", "新华社区·8栋"
    )
    assert code == 2 and out == ""
    assert (
        "有2个“新华社区”，请写明是哪一个：新华社区（500105005006）、新华社区（500105006011）" in err
    )
    chosen = ("-q", "新华社区（500105005006）·8栋", "--json")
    code, out, _ = run(capsys, "--db", db, "emergency", "list", "--kind", "停电", *chosen)
    assert code == 0 and "寸滩乙" in out and "观音甲" not in out
    assert '"community": "新华社区（500105005006）"' in out
