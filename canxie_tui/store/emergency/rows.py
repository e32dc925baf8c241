"""The rows of a priority list, built when read: a page costs a page.

A list is its people's pks in order and the event's checks; the row of each
(the person's facts, the reasons, the contact advice, the checks) is made the
first time it is read, a chunk at a time (`cache.Loaded.rows`), and kept with the
ranking.  Read it from the thread that asked for it, as any result of the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import overload

from canxie_tui.domain.emergency import Priority

__all__ = ["Check", "Rows"]

Check = tuple[str, str, str, str]  # status, note, checked at, checked by
_CHUNK = 500  # rows built at once when iterating


class Rows(Sequence[Priority]):
    """A list's rows: a sequence that builds the rows it is asked for."""

    def __init__(
        self,
        pks: list[int],
        checks: dict[int, Check],
        build: Callable[[Sequence[int]], list[Priority]],
    ) -> None:
        self.pks = pks
        self._checks = checks
        self._build = build

    def _rows(self, pks: Sequence[int]) -> list[Priority]:
        rows = self._build(pks)
        checks = self._checks
        if not checks:
            return rows
        out = []
        for pk, row in zip(pks, rows, strict=True):
            found = checks.get(pk)
            if found is not None:
                status, note, at, by = found
                row = row._replace(status=status, note=note, checked_at=at, checked_by=by)
            out.append(row)
        return out

    def __len__(self) -> int:
        return len(self.pks)

    @overload
    def __getitem__(self, index: int) -> Priority: ...

    @overload
    def __getitem__(self, index: slice) -> Rows: ...

    def __getitem__(self, index: int | slice) -> Priority | Rows:
        if isinstance(index, slice):
            return Rows(self.pks[index], self._checks, self._build)
        return self._rows([self.pks[index]])[0]

    def __iter__(self) -> Iterator[Priority]:
        pks = iter(self.pks)
        while chunk := list(islice(pks, _CHUNK)):
            yield from self._rows(chunk)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows):
            return self.pks == other.pks and list(self) == list(other)
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like a list

    def __repr__(self) -> str:
        return f"Rows({len(self.pks)} rows)"
