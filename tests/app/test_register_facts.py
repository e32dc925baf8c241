"""户籍, insurance schemes and the certificate's dates: entered in the person form,
refused with a Chinese message when wrong, and shown in words on the household."""

from __future__ import annotations

from datetime import date

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from canxie_tui.domain.ids import make_certificate, make_id
from canxie_tui.store import register
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.household import HouseholdScreen
from canxie_tui.ui.screens.person_form import PersonForm
from tests.app.conftest import WANG_FANG_ID, open_search, settle, type_text

NEW_ID = make_id("500112", date(1975, 3, 8), 57)


async def open_wang_fang(pilot: Pilot[None]) -> HouseholdScreen:
    await open_search(pilot)
    await type_text(pilot, "王芳")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HouseholdScreen)
    return screen


async def fill(pilot: Pilot[None], field_id: str, text: str) -> None:
    pilot.app.screen.query_one(f"#{field_id}", Input).focus()
    await type_text(pilot, text)


async def choose(pilot: Pilot[None], field_id: str, downs: int) -> None:
    """Open a drop-down with Enter, move down `downs` options, choose with Enter."""
    pilot.app.screen.query_one(f"#{field_id}", Select).focus()
    await pilot.press("enter")
    for _ in range(downs):
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()


async def new_member(pilot: Pilot[None]) -> PersonForm:
    await pilot.press("a")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, PersonForm)
    await type_text(pilot, "王建")
    await fill(pilot, "id_number", NEW_ID)
    await fill(pilot, "cert_number", make_certificate(NEW_ID, 4, 3))
    await fill(pilot, "category", "4")
    await fill(pilot, "level", "3")
    return form


async def test_register_facts_saved_and_shown_in_words(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_wang_fang(pilot)
        form = await new_member(pilot)
        await choose(pilot, "hukou", 1)  # 重庆市内 -> 重庆市外
        await fill(pilot, "hukou_address", "四川省广安市邻水县鼎屏镇")
        apart = form.query_one("#apart")
        apart.focus()
        await pilot.press("space")  # the one box: 人户分离
        await choose(pilot, "pension_scheme", 2)  # （未填） 城乡居民 城镇职工
        await choose(pilot, "medical_scheme", 1)
        await fill(pilot, "cert_issued", "2021-03-15")
        await fill(pilot, "cert_valid_until", "2027-01-20")
        await fill(pilot, "trained_on", "2026-06-10")
        # The form scrolls: the last field, being typed in, is in view at 80×24.
        fields = form.query_one(".form-fields").region
        assert fields.height < 16 and fields.contains_region(form.query_one("#trained_on").region)
        assert "[✓] 人户分离" in str(apart.get_option_at_index(0).prompt)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        members = screen.query_one("#members", DataTable)
        rows = [members.get_row_at(i) for i in range(members.row_count)]
        at = next(i for i, row in enumerate(rows) if row[0] == "王建")
        assert rows[at][9:] == ["重庆市外·人户分离", "城镇职工/城乡居民", "2027-01-20 52天后到期"]
        members.move_cursor(row=at)
        await pilot.pause()
        detail = str(screen.query_one("#member-detail", Static).render())
        assert (
            "户籍：重庆市外，人户分离" in detail and "户籍地址：四川省广安市邻水县鼎屏镇" in detail
        )
        assert "养老保险：城镇职工" in detail and "医疗保险：城乡居民" in detail
        assert "有效期至 2027-01-20 52天后到期" in detail
    person_id = register_store.scalar("SELECT id FROM persons WHERE name = '王建'")
    saved = register.get_person(register_store, person_id)
    assert (saved.hukou, saved.hukou_address, saved.apart) == (
        "outside",
        "四川省广安市邻水县鼎屏镇",
        True,
    )
    assert (saved.pension_scheme, saved.medical_scheme) == ("employee", "resident")
    assert (saved.cert_issued, saved.cert_valid_until, saved.trained_on) == (
        "2021-03-15",
        "2027-01-20",
        "2026-06-10",
    )


async def test_valid_until_before_issued_is_refused_at_the_field(
    app: CanxieApp, register_store: Store
) -> None:
    persons = register_store.scalar("SELECT count(*) FROM persons")
    audit = register_store.scalar("SELECT count(*) FROM audit_log")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wang_fang(pilot)
        form = await new_member(pilot)
        await fill(pilot, "cert_issued", "2021-03-15")
        await fill(pilot, "cert_valid_until", "2020-03-15")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form  # still open, nothing saved
        message = str(form.query_one("#field-cert_valid_until .message", Static).render())
        assert message == "✗ 残疾人证“有效期至”应晚于发证日期"
        assert form.focused is form.query_one("#cert_valid_until", Input)
    assert register_store.scalar("SELECT count(*) FROM persons") == persons
    assert register_store.scalar("SELECT count(*) FROM audit_log") == audit


async def test_expired_certificate_said_in_words(app: CanxieApp, register_store: Store) -> None:
    wang = register.get_person(
        register_store,
        register_store.scalar("SELECT id FROM persons WHERE id_number = ?", (WANG_FANG_ID,)),
    )
    values = wang.form_values() | {"cert_issued": "2016-11-01", "cert_valid_until": "2026-11-01"}
    register.update_person(register_store, wang, values)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_wang_fang(pilot)
        members = screen.query_one("#members", DataTable)
        assert members.get_row_at(0)[11] == "2026-11-01 已过期28天"
        assert "有效期至 2026-11-01 已过期28天" in str(
            screen.query_one("#member-detail", Static).render()
        )
