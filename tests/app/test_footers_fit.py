"""Issue 15, item 16: at 80 columns every footer key is drawn whole.

A footer with more keys than fit used to run under the Ctrl+P key at the right
("^p   令"), hiding the last keys and garbling the palette's.  The keys a footer
leaves out are on the screen itself and in F1.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Label

from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.widgets.keyline import Key, KeyLine
from tests.app.conftest import open_search, settle, type_text


def left_out(line: KeyLine) -> list[Key]:
    """The keys `line` has, as last drawn, that it did not draw (no room)."""
    drawn = {span.key for span in line.spans}
    return [key for key in line.keys()[0] if key not in drawn]


def footer_overflow(app: CanxieApp) -> list[str]:
    """The keys of the current key line that are not drawn whole: left out for want of
    room, or drawn past its right end."""
    line = app.screen.query_one(KeyLine)
    drawn = str(line.render())
    cut = [f"{key.display} {key.description}" for key in left_out(line)]
    for span in line.spans:
        text = f"{span.key.display} {span.key.description}"
        if text not in drawn or span.end > line.region.width:
            cut.append(text)
    return cut


def left_out_not_shown(app: CanxieApp) -> list[str]:
    """The keys a footer leaves out that the screen's own key line does not name."""
    lines = app.screen.query("#more-keys")
    if not lines:
        return []
    shown = str(lines.first(Label).render())
    bindings = [b for b in app.screen.BINDINGS if isinstance(b, Binding)]
    return [b.description for b in bindings if not b.show and b.description not in shown]


async def test_every_main_screen_footer_fits_at_80_columns(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = {"首页": footer_overflow(app)}
        for key, name in (
            ("d", "走访"),
            ("f", "跟进"),
            ("y", "渝馨"),
            ("j", "点名"),
            ("b", "两项补贴"),
            ("v", "调查"),
        ):
            await pilot.press(key)
            await settle(pilot)
            seen[name] = footer_overflow(app)
            seen[name] += [f"{d}（不在屏上）" for d in left_out_not_shown(app)]
            await pilot.press("escape")
            await settle(pilot)
        await open_search(pilot)
        await type_text(pilot, "王芳")
        await settle(pilot)
        seen["查找"] = footer_overflow(app)
        await pilot.press("enter")
        await settle(pilot)
        seen["户"] = footer_overflow(app)
        await pilot.press("w")
        await settle(pilot)
        seen["走访表"] = footer_overflow(app)
    assert {name: cut for name, cut in seen.items() if cut} == {}
