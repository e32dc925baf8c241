"""A household's history, newest first: visits and case notes in one list."""

from __future__ import annotations

import json

from canxie_tui.domain import codes
from canxie_tui.domain.models import TimelineEntry
from canxie_tui.store import followups
from canxie_tui.store.connection import Store


def household_timeline(store: Store, household_id: str, limit: int = 200) -> list[TimelineEntry]:
    visits = store.query(
        "SELECT v.id, v.visit_date, v.method, v.purpose, v.problems, v.help_given, v.note, "
        "(SELECT group_concat(o.name, '、') FROM visit_visitors vv "
        " JOIN operators o ON o.id = vv.operator_id WHERE vv.visit_id = v.id) AS visitors "
        "FROM visits v WHERE v.household_id = ? AND v.deleted = 0 "
        "ORDER BY v.visit_date DESC LIMIT ?",
        (household_id, limit),
    )
    entries = [
        TimelineEntry(
            day=v["visit_date"],
            kind=f"走访·{codes.label(codes.VISIT_METHODS, v['method'], v['method'])}",
            summary="；".join(
                part
                for part in (
                    codes.label(codes.VISIT_PURPOSES, v["purpose"]),
                    codes.labels(codes.VISIT_PROBLEMS, json.loads(v["problems"])),
                    v["help_given"],
                    v["note"],
                )
                if part
            ),
            who=v["visitors"] or "",
            visit_id=v["id"],
        )
        for v in visits
    ]
    notes = store.query(
        "SELECT n.id, n.created_at, n.category, n.body, n.author_name, "
        "(SELECT count(*) FROM note_revisions r WHERE r.note_id = n.id) AS revisions "
        "FROM notes n WHERE n.household_id = ? ORDER BY n.created_at DESC LIMIT ?",
        (household_id, limit),
    )
    entries += [
        TimelineEntry(
            day=n["created_at"][:10],
            kind=f"记录·{codes.label(codes.NOTE_CATEGORIES, n['category'], '其他')}",
            summary=n["body"].replace("\n", " "),
            who=n["author_name"],
            note_id=n["id"],
            revisions=n["revisions"],
        )
        for n in notes
    ]
    entries.sort(key=lambda e: e.day, reverse=True)
    # Open follow-ups stand above the history: they are what still has to be done.
    today = store.today()
    pending = [
        TimelineEntry(
            day=f.due_date,
            kind=f"跟进·{f.state_text(today)}",
            summary=f"{f.what}（期限{f.due_date}）",
            who=f.owner_name,
            followup_id=f.id,
        )
        for f in followups.open_followups(store, household_id=household_id)
    ]
    return pending + entries[:limit]
