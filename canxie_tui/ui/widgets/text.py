"""CJK-aware text helpers: a Chinese character is two cells wide, not one."""

from __future__ import annotations

import re
from typing import Any

from rich.cells import cell_len
from textual.widgets import Static


def fit(text: str, width: int) -> str:
    """Truncate `text` to at most `width` terminal cells, marking the cut with '…'."""
    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        size = cell_len(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + "…"


def pad(text: str, width: int) -> str:
    """Left-align `text` in `width` cells (after fitting it)."""
    text = fit(text, width)
    return text + " " * (width - cell_len(text))


# A number, a date, a phone or a Latin word stays whole; anything else (a Chinese
# character, a space, punctuation) is a place a line may break.
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-/:%×*]*[0-9A-Za-z%*]|.", re.DOTALL)


def wrap(text: str, width: int) -> str:
    """`text` broken into lines of at most `width` cells, never inside a number.

    Rich folds a run of Chinese text without spaces at any cell, so "2026-11-29"
    could come out as "2026-1" and "1-29" on two lines: the numbers a worker
    checks an error against.
    """
    if width <= 0:
        return text
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for token in _TOKEN.findall(paragraph):
            size = cell_len(token)
            if line and used + size > width:
                lines.append(line.rstrip())
                line, used = "", 0
                if token.isspace():
                    continue
            line += token
            used += size
        lines.append(line)
    return "\n".join(lines)


class WrappedStatic(Static):
    """A Static whose text wraps with :func:`wrap` at its current width."""

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)  # messages quote what users typed, "[" included
        super().__init__(text, **kwargs)
        self._text = text

    def show(self, text: str) -> None:
        self._text = text
        self._rewrap()

    def on_resize(self) -> None:
        self._rewrap()

    def _rewrap(self) -> None:
        width = self.content_region.width
        self.update(wrap(self._text, width) if width else self._text)
