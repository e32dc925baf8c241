"""ID numbers in a return's data sheets: tokens, never the numbers (see `domain.transit`).

The writer passes every data row through `Tokens.row`: a person's `id_number`
and `cert_number` become tokens, and so do those inside the `before` of a
deletion's audit entry; an ID number typed inside free text (a note, a visit's
text) is masked as the print sheets mask it (前6后4), so no sheet of a return
holds a full one.  The district turns a full number that still arrives (a
return of an older version has none: the schema check refuses it) into the
same token with its own key (`Tokens.value`), so it compares like with like.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from canxie_tui.domain import transit
from canxie_tui.excel.return_run import mask_in_text

__all__ = ["ID_COLUMNS", "Tokens"]

# Columns of the persons table holding an ID number (or a certificate built on one).
ID_COLUMNS = ("id_number", "cert_number")
# Columns that never hold free text (ids, hashes, codes, times): not searched for ID numbers.
_NOT_TEXT = frozenset({"id", "hash", "prev_hash", "created_at", "updated_at", "at", "version"})


def _may_hold_id(column: str) -> bool:
    """An ID column, or free text a number may be typed into."""
    return column not in _NOT_TEXT and not column.endswith("_id")


_SHORTEST = 18  # characters of an ID number: a shorter text holds none


def _masked(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= _SHORTEST:
        return mask_in_text(value)
    return value


class Tokens:
    """Tokenises the ID numbers of data rows under one token key."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def value(self, column: str, value: Any) -> Any:
        """`value` of `column` as it travels (None, '' and tokens unchanged)."""
        if not isinstance(value, str) or not value or transit.is_token(value):
            return value
        if column == "cert_number":
            return transit.cert_token(self.key, value)
        return transit.id_token(self.key, value)

    def record(self, row: dict[str, Any]) -> dict[str, Any]:
        """A person's row (or any row holding `ID_COLUMNS`) with its numbers tokenised."""
        if not any(row.get(c) for c in ID_COLUMNS):
            return row
        return {k: self.value(k, v) if k in ID_COLUMNS else v for k, v in row.items()}

    def row(self, table: str, columns: Sequence[str], values: Sequence[Any]) -> Sequence[Any]:
        """A data row of `table` (values in `columns` order) as it goes into the return."""
        return self.rows_of(table, columns)(values)

    def rows_of(
        self, table: str, columns: Sequence[str]
    ) -> Callable[[Sequence[Any]], Sequence[Any]]:
        """`row` for the rows of `table` with `columns`: which column is what, sorted out
        once (a data sheet's loop)."""
        numbers: list[tuple[int, str]] = []  # ID_COLUMNS
        entries: list[int] = []  # an audit entry's JSON
        texts: list[int] = []  # free text
        for index, column in enumerate(columns):
            if not _may_hold_id(column):
                continue
            if column in ID_COLUMNS:
                numbers.append((index, column))
            elif table == "audit_log" and column in ("before", "after"):
                entries.append(index)
            else:
                texts.append(index)
        token, entry = self.value, self._entry

        def row(values: Sequence[Any]) -> Sequence[Any]:
            out = list(values)
            for index, column in numbers:
                out[index] = token(column, out[index])
            for index in entries:
                value = out[index]
                if isinstance(value, str) and value:
                    out[index] = entry(value)
            for index in texts:
                value = out[index]
                if isinstance(value, str) and len(value) >= _SHORTEST:  # as _masked, inline
                    out[index] = mask_in_text(value)
            return out

        return row

    def _entry(self, text: str) -> str:
        """An audit entry's JSON with the ID numbers of the row inside tokenised."""
        try:
            found = json.loads(text)
        except ValueError:
            return text
        if not isinstance(found, dict):
            return mask_in_text(text)
        clean = {k: _masked(v) for k, v in self.record(found).items()}
        return json.dumps(clean, ensure_ascii=False, sort_keys=True)
