"""设置：区里发放的密钥 on a street's own install: the street's key is taken, a
community's key is refused on the form, and a street's dashboard does not offer
the district's merge (a street sends its return like a community)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from canxie_tui.domain.models import Site
from canxie_tui.domain.transit import issue_key
from canxie_tui.store import keys, site
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.dashboard import DashboardScreen
from tests.app.conftest import open_store, settle, type_text
from tests.conftest import DISTRICT_SECRET

STREET = Site("江北区", "500105", "观音桥街道", "500105006")


async def test_a_street_enters_its_key_and_a_communitys_key_is_refused(tmp_path: Path) -> None:
    store = open_store(tmp_path / "street.db")
    site.setup_site(store, STREET, "李明")
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("m")  # no merging on a street's install
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await app.show_key_settings()
        await settle(pilot)
        labels = [str(label.render()) for label in app.screen.query("Field > Label")]
        assert any("区里发放给本街道/镇的密钥" in label for label in labels)
        field = app.screen.query_one("#field-key Input", Input)
        field.focus()
        await type_text(pilot, issue_key(DISTRICT_SECRET, "500105006001"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        message = str(app.screen.query_one("#field-key .message", Static).render())
        assert "发给代码尾号为 6001 的社区的，不是本街道/镇（500105006）的" in message
        assert keys.return_keys(store).issued is False
        field.value = ""
        await type_text(pilot, issue_key(DISTRICT_SECRET, "500105006").lower())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
    found = keys.return_keys(store)
    assert found.issued and found.mac_code == "500105006"


async def test_a_districts_database_is_told_it_issues_keys(tmp_path: Path) -> None:
    store = open_store(tmp_path / "district.db")
    site.setup_site(store, Site("江北区", "500105"), "张敏")  # gets the district's secret
    assert keys.district_secret(store) is not None
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.show_key_settings()
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        shown = [str(n.message) for n in app._notifications]
        assert any("区数据库不需要填写密钥" in text for text in shown)
