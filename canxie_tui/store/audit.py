"""Reading the audit log: the history of one record, or the latest entries.

Writing is `records.write_audit` (the one write path); the log is append-only and
hash-chained, checked by `records.verify_audit_chain`.  What is read here is fit
to show: ID and certificate numbers in the recorded values come out masked, and so
does any ID number typed inside a text (`domain.ids.mask_ids_in_text`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from canxie_tui.domain.ids import mask_id, mask_ids_in_text
from canxie_tui.store.connection import Store
from canxie_tui.store.labels import FIELD_LABELS, TABLE_LABELS
from canxie_tui.store.records import _BOOKKEEPING

_MASKED = ("id_number", "cert_number")


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    operator_name: str
    action: str
    table_name: str
    record_id: str
    # field -> (before, after), values masked; empty for an entry without both sides
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def table_label(self) -> str:
        return TABLE_LABELS.get(self.table_name, self.table_name)

    @property
    def summary(self) -> str:
        """The changed fields as labels (姓名、电话); empty when none apply."""
        return "、".join(FIELD_LABELS.get(k, k) for k in self.changes)


def _mask(key: str, value: Any) -> Any:
    """ID and certificate numbers masked, and ID numbers inside any text (a note's body)."""
    if isinstance(value, str):
        if key in _MASKED and value:
            return mask_id(value)
        return mask_ids_in_text(value)
    if isinstance(value, list):
        return [_mask(key, item) for item in value]
    if isinstance(value, dict):
        return {k: _mask(k, v) for k, v in value.items()}
    return value


def _changes(before: str | None, after: str | None) -> dict[str, tuple[Any, Any]]:
    if before is None or after is None:
        return {}
    try:
        old, new = json.loads(before), json.loads(after)
    except ValueError:
        return {}
    if not isinstance(old, dict) or not isinstance(new, dict):
        return {}
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in _BOOKKEEPING]
    return {
        k: (_mask(k, old.get(k)), _mask(k, new.get(k))) for k in keys if old.get(k) != new.get(k)
    }


def history(store: Store, record_id: str | None = None, *, limit: int = 50) -> list[AuditEntry]:
    """The newest `limit` entries (of one record, when given), oldest first.

    `record_id` may be the full id or its beginning (at least 8 characters).
    """
    columns = "seq, at, operator_name, action, table_name, record_id, before, after"
    if record_id is None:
        rows = store.db.conn.execute(
            f"SELECT {columns} FROM audit_log ORDER BY seq DESC LIMIT ?", (limit,)
        ).fetchall()
    else:
        rows = store.db.conn.execute(
            f"SELECT {columns} FROM audit_log WHERE record_id = ? ORDER BY seq DESC LIMIT ?",
            (record_id, limit),
        ).fetchall()
        if not rows and len(record_id) >= 8:
            rows = store.db.conn.execute(
                f"SELECT {columns} FROM audit_log WHERE substr(record_id, 1, ?) = ? "
                "ORDER BY seq DESC LIMIT ?",
                (len(record_id), record_id, limit),
            ).fetchall()
    return [
        AuditEntry(seq, at, who, action, table, rid, _changes(before, after))
        for seq, at, who, action, table, rid, before, after in reversed(rows)
    ]
