"""The progress bar of a long piece of work (export, roster import, district merge)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import ProgressBar, Static

Progress = Callable[[str, int, int], None]


class WorkProgress(ProgressBar):
    """A bar hidden until its work starts: an idle bar pulses as if something were running."""

    DEFAULT_CSS = """
    WorkProgress {
        display: none;
    }
    """

    def __init__(self, *, id: str = "progress") -> None:
        super().__init__(id=id, show_eta=False)

    def show_step(self, status: Static, text: str, done: int, total: int) -> None:
        self.display = True
        self.update(total=max(total, 1), progress=done)
        status.update(text)

    def reporter(self, status: Static, template: str) -> Progress:
        """A callback for the worker thread: moves the bar, names the step in `status`.

        `template` holds `{}` where the step's label goes, e.g. "正在导出：{}".
        """

        def progress(label: str, done: int, total: int) -> None:
            self.app.call_from_thread(self.show_step, status, template.format(label), done, total)

        return progress

    def finish(self) -> None:
        self.display = True
        self.update(total=1, progress=1)
