"""CJK-aware text helpers: a Chinese character is two cells wide, not one."""

from __future__ import annotations

from rich.cells import cell_len


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
