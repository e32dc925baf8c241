"""The figures counted while the app starts are the ones the dashboard shows."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from canxie_tui.store import dashboard as store_dashboard
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.dashboard import DashboardScreen
from tests.app.conftest import settle


async def test_a_reload_before_the_first_figures_come_waits_for_them(
    app: CanxieApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reload replaces the one waiting (exclusive): it used to cancel the figures
    started with the app and count everything again, the slowest part of the start."""
    counted: list[str] = []
    go = threading.Event()
    count = store_dashboard.dashboard

    def counting(store: Store, *args: Any, **kwargs: Any) -> store_dashboard.Dashboard:
        counted.append(threading.current_thread().name)
        go.wait(10)  # the first figures are still being counted while the reloads come
        return count(store, *args, **kwargs)

    monkeypatch.setattr(store_dashboard, "dashboard", counting)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        screen.reload()
        screen.reload()
        await pilot.pause()
        go.set()
        await settle(pilot)
        assert counted == ["canxie-prefetch"]  # counted once, as the app started
        assert "本月　走访" in str(screen.query_one("#month").render())
        assert app.first_figures() is None  # shown: the next reload counts anew
        screen.reload()
        await settle(pilot)
        assert len(counted) == 2


async def test_figures_that_failed_at_start_are_counted_anew_on_the_next_reload(
    app: CanxieApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A passing failure (the database busy, say) at start must not stick: the next
    reload counted nothing and showed the same error again until the app restarted."""
    counted: list[str] = []
    count = store_dashboard.dashboard

    def once_busy(store: Store, *args: Any, **kwargs: Any) -> store_dashboard.Dashboard:
        counted.append(threading.current_thread().name)
        if len(counted) == 1:
            raise RuntimeError("database is locked")
        return count(store, *args, **kwargs)

    monkeypatch.setattr(store_dashboard, "dashboard", once_busy)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert screen.data is None and app.first_figures() is None
        screen.reload()
        await settle(pilot)
        assert len(counted) == 2
        assert "本月　走访" in str(screen.query_one("#month").render())
