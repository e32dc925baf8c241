"""Case notes (个案记录): never overwritten, an edit keeps the earlier text."""

from __future__ import annotations

from typing import Any

from canxie_tui.domain import validate
from canxie_tui.domain.models import Note, NoteRevision
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import NotFoundError


def _note(store: Store, row: dict[str, Any]) -> Note:
    revisions = store.query(
        "SELECT revision, category, body, author_name, revised_at FROM note_revisions "
        "WHERE note_id = ? ORDER BY revision",
        (row["id"],),
    )
    return Note(
        id=row["id"],
        household_id=row["household_id"],
        person_id=row["person_id"],
        category=row["category"],
        body=row["body"],
        author_name=row["author_name"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        revisions=tuple(NoteRevision(**r) for r in revisions),
    )


def get_note(store: Store, note_id: str) -> Note:
    rows = store.query("SELECT * FROM notes WHERE id = ?", (note_id,))
    if not rows:
        raise NotFoundError("找不到该记录。")
    return _note(store, rows[0])


def household_notes(store: Store, household_id: str) -> list[Note]:
    rows = store.query(
        "SELECT * FROM notes WHERE household_id = ? ORDER BY created_at DESC, pk DESC",
        (household_id,),
    )
    return [_note(store, r) for r in rows]


def add_note(
    store: Store, household_id: str, category: str, body: str, person_id: str | None = None
) -> Note:
    clean = validate.clean_note(category, body)
    note_id = records.insert(
        store,
        "notes",
        {
            **clean,
            "household_id": household_id,
            "person_id": person_id,
            "author_id": store.operator_id,
            "author_name": store.operator_name,
        },
    )
    return get_note(store, note_id)


def edit_note(store: Store, note: Note, category: str, body: str) -> Note:
    """Save a new text; the text being replaced becomes a revision (StaleEditError if stale)."""
    clean = validate.clean_note(category, body)
    with store.transaction() as db:
        current = get_note(store, note.id)
        unchanged = (current.body, current.category) == (clean["body"], clean["category"])
        if unchanged and current.version == note.version:
            return current  # saving without a change must not take over authorship
        if current.version == note.version:
            db.conn.execute(
                "INSERT INTO note_revisions (note_id, revision, category, body, author_name, "
                "revised_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    note.id,
                    len(current.revisions) + 1,
                    current.category,
                    current.body,
                    current.author_name,
                    current.updated_at,
                ),
            )
        records.update(
            store,
            "notes",
            note.id,
            {**clean, "author_name": store.operator_name, "author_id": store.operator_id},
            expected_version=note.version,
        )
    return get_note(store, note.id)
