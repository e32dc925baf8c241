"""The key line at the bottom of every screen: what Textual's `Footer` shows, drawn
as one widget.

The `Footer` composes a widget per key, and composes them all again whenever the
screen's keys change (focus moving is enough): on the dashboard that was about
55 ms of a 330 ms first paint.  This line reads the same active bindings, shows
them the same way (key, then what it does; a disabled key dimmed; the command
palette's key at the right), and on a change only repaints.  A click on a key
presses it, and hovering shows its tooltip, as the footer's keys do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.screen import Screen


class Key(NamedTuple):
    key: str  # what a click presses
    display: str  # as the footer writes it: ^q, f1, esc
    description: str
    enabled: bool
    tooltip: str


class Span(NamedTuple):
    start: int  # first cell on the line
    end: int  # one past the last
    key: Key


PALETTE_MARK = "▏"  # the footer's left border of the palette key


class KeyLine(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keyline--key",
        "keyline--description",
        "keyline--mark",
    }
    DEFAULT_CSS = """
    KeyLine {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .keyline--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keyline--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .keyline--mark {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, compact: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact  # compact: "^q 退出 f1 帮助"; else " ^q 退出  f1 帮助 "
        self.spans: list[Span] = []  # where each key was drawn (clicks, tooltips, tests)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    # -- what to show ------------------------------------------------------------
    def _key(self, binding: Binding, enabled: bool, tooltip: str) -> Key:
        return Key(
            binding.key,
            self.app.get_key_display(binding),
            binding.description,
            enabled,
            tooltip or binding.tooltip or binding.description,
        )

    def keys(self) -> tuple[list[Key], Key | None]:
        """The keys shown on the left (one per action, in the screen's order) and the
        command palette's key, as the footer chooses them."""
        active = self.screen.active_bindings
        shown: dict[str, Key] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in shown:
                shown[binding.action] = self._key(binding, enabled, tooltip)
        palette = None
        found = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.app.ENABLE_COMMAND_PALETTE and found is not None:
            _node, binding, enabled, tooltip = found
            palette = self._key(binding, enabled, tooltip)
        return list(shown.values()), palette

    # -- drawing -------------------------------------------------------------------
    def _piece(self, key: Key, *, compact: bool) -> Text:
        key_style = self.get_component_rich_style("keyline--key")
        text_style = self.get_component_rich_style("keyline--description")
        # The footer's paddings: compact "^q 退出", else " ^q 退出 ".
        if compact:
            shown = (key.display, f" {key.description}" if key.description else "")
        else:
            shown = (f" {key.display} ", f"{key.description} " if key.description else "")
        piece = Text.assemble((shown[0], key_style), (shown[1], text_style))
        if not key.enabled:
            piece.stylize("dim")
        return piece

    def render(self) -> Text:
        keys, palette = self.keys()
        width = self.size.width
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[Span] = []
        right = Text(no_wrap=True, end="")
        if palette is not None:
            right.append(PALETTE_MARK, self.get_component_rich_style("keyline--mark"))
            # Compact either way, and a space from the edge (as the footer draws it).
            right.append_text(self._piece(palette, compact=True))
            right.append(" ")
        room = width - right.cell_len
        gap = " " if self.compact else ""
        for key in keys:  # those after the first that does not fit are left out (F1 lists them)
            piece = self._piece(key, compact=self.compact)
            start = line.cell_len
            if start + piece.cell_len > room:
                break
            line.append_text(piece)
            spans.append(Span(start, start + piece.cell_len, key))
            line.append(gap)
        if palette is not None:
            line.append(" " * max(room - line.cell_len, 0))
            start = line.cell_len + cell_len(PALETTE_MARK)
            spans.append(Span(start, start + right.cell_len - cell_len(PALETTE_MARK), palette))
            line.append_text(right)
        self.spans = spans
        return line

    # -- the mouse -----------------------------------------------------------------
    def _at(self, x: int) -> Key | None:
        return next((s.key for s in self.spans if s.start <= x < s.end), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self._at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self._at(event.x)
        self.tooltip = key.tooltip if key is not None else None

    def on_leave(self) -> None:
        self.tooltip = None
