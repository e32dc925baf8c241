"""The title line at the top of every screen: what Textual's `Header` shows, as one
widget.

The `Header` composes an icon, a title and a clock space (three widgets styled and
laid out on every screen: about 25 ms of the dashboard's first paint), and its
icon's tooltip is English.  This line draws the same: the icon at the left, which
opens the command palette on a click, and the screen's (else the app's) title and
subtitle centred between the same margins, cut with … when too long.
"""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widget import Widget

ICON = "⭘"
LEFT, RIGHT = 8, 10  # cells: the header's icon and clock spaces


class TitleLine(Widget, can_focus=False):
    ALLOW_SELECT = False
    DEFAULT_CSS = """
    TitleLine {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def on_mount(self) -> None:
        for owner in (self.app, self.screen):
            self.watch(owner, "title", self._retitle, init=False)
            self.watch(owner, "sub_title", self._retitle, init=False)

    def _retitle(self) -> None:
        self.refresh()

    def title_content(self) -> Content:
        screen = self.screen
        title = screen.title if screen.title is not None else self.app.title
        sub_title = screen.sub_title if screen.sub_title is not None else self.app.sub_title
        return self.app.format_title(title, sub_title)

    def render(self) -> Content:
        room = max(self.size.width - LEFT - RIGHT, 0)
        title = self.title_content().truncate(room, ellipsis=True)
        left = (room - title.cell_length) // 2
        icon = Content(f" {ICON}").pad_right(LEFT - 2)
        return Content.assemble(icon, title.pad(left, room - title.cell_length - left), " " * RIGHT)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.tooltip = "打开命令面板" if event.x < LEFT else None

    async def on_click(self, event: events.Click) -> None:
        if event.x < LEFT and self.app.ENABLE_COMMAND_PALETTE:
            event.stop()
            await self.run_action("app.command_palette")
