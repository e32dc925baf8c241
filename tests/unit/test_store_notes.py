"""Case notes (个案记录) are never overwritten: every edit keeps the earlier text."""

from __future__ import annotations

import json

import pytest

from canxie_tui.domain.errors import InputError
from canxie_tui.store import notes, site
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StaleEditError
from tests.conftest import Make


def _switch(store: Store, name: str) -> None:
    site.switch_operator(store, site.add_operator(store, name))


def test_add_note_is_stored_with_author_and_audit(store: Store, make: Make) -> None:
    household = make.household()
    person = make.person(household, "王芳")

    note = notes.add_note(store, household.id, "need", "  需要轮椅一台  ", person_id=person.id)

    assert (note.body, note.category, note.category_label) == ("需要轮椅一台", "need", "需求")
    assert note.author_name == "李明"
    assert note.person_id == person.id
    assert note.revisions == ()
    assert [n.id for n in notes.household_notes(store, household.id)] == [note.id]
    entry = store.query(
        "SELECT operator_name, action, table_name, after FROM audit_log WHERE record_id = ?",
        (note.id,),
    )
    assert len(entry) == 1
    assert (entry[0]["operator_name"], entry[0]["action"], entry[0]["table_name"]) == (
        "李明",
        "新增",
        "notes",
    )
    assert json.loads(entry[0]["after"])["body"] == "需要轮椅一台"


def test_two_edits_keep_earlier_texts_in_order_with_authors(store: Store, make: Make) -> None:
    household = make.household()
    note = notes.add_note(store, household.id, "need", "需要轮椅一台")

    _switch(store, "张华")
    note = notes.edit_note(store, note, "plan", "已联系街道残联申请轮椅")
    _switch(store, "李明")
    note = notes.edit_note(store, note, "progress", "轮椅已送到，家属签收")

    assert (note.category, note.body, note.author_name, note.version) == (
        "progress",
        "轮椅已送到，家属签收",
        "李明",
        3,
    )
    assert [(r.revision, r.category, r.body, r.author_name) for r in note.revisions] == [
        (1, "need", "需要轮椅一台", "李明"),
        (2, "plan", "已联系街道残联申请轮椅", "张华"),
    ]
    # The same history is what a later reader sees.
    assert notes.get_note(store, note.id) == note
    assert store.scalar("SELECT count(*) FROM notes") == 1


@pytest.mark.parametrize("body", ["", "   ", "\n\t"])
def test_empty_body_is_refused(store: Store, make: Make, body: str) -> None:
    household = make.household()
    audit_before = store.scalar("SELECT count(*) FROM audit_log")

    with pytest.raises(InputError) as caught:
        notes.add_note(store, household.id, "need", body)

    assert caught.value.field == "body"
    assert "不能为空" in caught.value.message
    assert store.scalar("SELECT count(*) FROM notes") == 0
    assert store.scalar("SELECT count(*) FROM audit_log") == audit_before


def test_edit_to_empty_body_is_refused_and_text_kept(store: Store, make: Make) -> None:
    note = notes.add_note(store, make.household().id, "need", "需要轮椅一台")

    with pytest.raises(InputError) as caught:
        notes.edit_note(store, note, "need", "  ")

    assert caught.value.field == "body"
    kept = notes.get_note(store, note.id)
    assert (kept.body, kept.version, kept.revisions) == ("需要轮椅一台", 1, ())


def test_unknown_category_is_refused(store: Store, make: Make) -> None:
    with pytest.raises(InputError) as caught:
        notes.add_note(store, make.household().id, "gossip", "内容")
    assert caught.value.field == "category"
    assert store.scalar("SELECT count(*) FROM notes") == 0


def test_stale_note_edit_is_refused_and_adds_no_revision(store: Store, make: Make) -> None:
    note = notes.add_note(store, make.household().id, "need", "需要轮椅一台")
    opened = notes.get_note(store, note.id)  # 李明 opens the note

    other = store.clone()
    try:
        _switch(other, "张华")
        notes.edit_note(other, notes.get_note(other, note.id), "plan", "张华写的服务计划")
    finally:
        other.close()

    with pytest.raises(StaleEditError) as caught:
        notes.edit_note(store, opened, "progress", "李明写的进展")

    assert "内容" in caught.value.message
    assert "张华" in caught.value.message
    current = notes.get_note(store, note.id)
    assert (current.body, current.author_name, current.version) == ("张华写的服务计划", "张华", 2)
    assert [(r.revision, r.body) for r in current.revisions] == [(1, "需要轮椅一台")]
    assert store.scalar("SELECT count(*) FROM note_revisions") == 1


def test_saving_unchanged_note_keeps_author(store: Store, make: Make) -> None:
    note = notes.add_note(store, make.household().id, "need", "需要轮椅一台")

    _switch(store, "张华")
    saved = notes.edit_note(store, note, "need", "需要轮椅一台")

    # Nobody changed a word: 李明 is still the author and there is nothing to keep.
    assert saved.author_name == "李明"
    assert saved.version == 1
    # And when 张华 then really edits it, the kept text is credited to its writer, 李明.
    edited = notes.edit_note(store, saved, "plan", "已联系街道残联申请轮椅")
    assert [(r.body, r.author_name) for r in edited.revisions] == [("需要轮椅一台", "李明")]
