"""A small register in tmp_path and helpers to drive the app with Pilot."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import DataTable

from canxie_tui.domain.ids import make_certificate, make_id
from canxie_tui.domain.models import Site
from canxie_tui.store import notes, register, session, site
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp

S = TypeVar("S")

NOW = datetime(2026, 11, 29, 9, 30)
SITE = Site("江北区", "500105", "观音桥街道", "500105006", "建新东路社区", "500105006001")

WANG_FANG_ID = make_id("510211", date(1956, 4, 12), 82)
SHAN_LI_ID = make_id("500105", date(1988, 9, 3), 121)


def open_store(path: Path) -> Store:
    return session.open_store(path, clock=lambda: NOW)


def build_register(path: Path) -> Store:
    store = open_store(path)
    site.save_site(store, SITE)
    site.switch_operator(store, site.add_operator(store, "李明"))
    h1 = register.add_household(
        store,
        {
            "address": "观音桥街道建新东路12号",
            "building": "3栋",
            "unit": "2单元",
            "room": "301",
            "grid": "第一网格",
            "flags": ["dibao", "alone"],
            "guardian_name": "王强",
            "guardian_phone": "13900001111",
        },
    )
    register.add_person(
        store,
        h1.id,
        {
            "name": "王芳",
            "id_number": WANG_FANG_ID,
            "cert_number": make_certificate(WANG_FANG_ID, 4, 2),
            "category": 4,
            "level": 2,
            "relation": "户主",
            "phone": "13812345678",
            "benefits": ["care_subsidy"],
        },
    )
    h2 = register.add_household(
        store,
        {"address": "观音桥街道北城三路8号", "building": "5栋", "unit": "1单元", "room": "502"},
    )
    register.add_person(
        store,
        h2.id,
        {
            "name": "单丽",
            "id_number": SHAN_LI_ID,
            "cert_number": make_certificate(SHAN_LI_ID, 1, 3),
            "category": 1,
            "level": 3,
            "relation": "户主",
            "phone": "13698765432",
        },
    )
    notes.add_note(store, h1.id, "need", "需要申请护理补贴复核")
    return store


def build_register_with_old_keys(path: Path) -> None:
    """A register whose search keys an earlier version made (none left), closed."""
    store = build_register(path)
    store.db.conn.execute("DELETE FROM search_terms")
    store.db.conn.execute("DELETE FROM person_fts")
    store.db.conn.execute("PRAGMA user_version = 1")
    store.db.conn.commit()
    store.close()


def add_certificate_dates(store: Store) -> str:
    """王芳 expired, 单丽 soon, 李华 (a new household) years away; 李华's person id."""
    for id_number, until in ((WANG_FANG_ID, "2026-11-01"), (SHAN_LI_ID, "2027-01-15")):
        person = register.get_person(
            store, store.scalar("SELECT id FROM persons WHERE id_number = ?", (id_number,))
        )
        register.update_person(store, person, person.form_values() | {"cert_valid_until": until})
    household = register.add_household(store, {"address": "观音桥街道北城一路2号"})
    far = make_id("500105", date(1990, 1, 2), 33)
    return register.add_person(
        store,
        household.id,
        {
            "name": "李华",
            "id_number": far,
            "cert_number": make_certificate(far, 2, 4),
            "category": 2,
            "level": 4,
            "cert_valid_until": "2030-01-01",
        },
    ).id


@pytest.fixture
def register_store(tmp_path: Path) -> Store:
    return build_register(tmp_path / "canxie.db")


@pytest.fixture
def app(register_store: Store) -> CanxieApp:
    return CanxieApp(register_store.path, store=register_store)


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and their messages land (never sleep)."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def press_for(pilot: Pilot[None], key: str, kind: type[S]) -> S:
    """Press `key` and let it settle: the screen it opened, which must be a `kind`."""
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, kind)
    return pilot.app.screen


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type `text` key by key, as a person would (Chinese characters included)."""
    for char in text:
        await pilot.press(char)


async def open_search(pilot: Pilot[None]) -> None:
    """From the dashboard (home), '/' opens the search screen."""
    await settle(pilot)
    await pilot.press("slash")
    await settle(pilot)


def store_copy(source: Path, tmp_path: Path) -> Store:
    """A test's own copy of a database built once per module (the big ones take seconds)."""
    path = tmp_path / "big.db"
    shutil.copy(source, path)
    return open_store(path)


def row_key_at(table: DataTable[Any], row: int) -> str:
    """The key of a table row (a person's or an item's id)."""
    return str(table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value)
