"""The roll call's text filter: a building, or anything the search index finds."""

from __future__ import annotations

import re

from canxie_tui.domain.emergency import Priority
from canxie_tui.domain.search_keys import normalize_query
from canxie_tui.store.connection import Store

__all__ = ["TOP", "narrow"]

TOP = "\U0010ffff"  # sorts after any character: the upper bound of a prefix range
_PLACE_QUERY = re.compile(r"^\d+(栋|幢|号楼)")


def _matching_ids(store: Store, q: str) -> set[str]:
    """Ids of people a search finds (names, pinyin, initials, buildings, number tails ...).

    The search index: the term index for prefixes and name fragments, the trigram
    index for fragments of 3+ characters (an address, the middle of a number).
    """
    compact = q.replace(" ", "")
    conn = store.db.conn
    ids = {
        pid
        for (pid,) in conn.execute(
            "SELECT p.id FROM search_terms t JOIN persons p ON p.pk = t.person_pk "
            "WHERE t.term >= ? AND t.term < ?",
            (compact, compact + TOP),
        )
    }
    if len(q) >= 3:
        phrase = '"' + q.replace('"', '""') + '"'
        ids.update(
            pid
            for (pid,) in conn.execute(
                "SELECT p.id FROM person_fts f JOIN persons p ON p.pk = f.rowid "
                "WHERE f.doc MATCH ?",
                (phrase,),
            )
        )
    return ids


def narrow(store: Store, rows: list[Priority], query: str) -> list[Priority]:
    """A building ("3栋", "3栋2单元") is a place prefix (3栋 is not 13栋); anything
    else goes through the search index."""
    q = normalize_query(query)
    if not q:
        return rows
    if _PLACE_QUERY.match(q):
        place = q.replace(" ", "")
        return [
            r
            for r in rows
            if normalize_query(r.person.building + r.person.unit + r.person.room).startswith(place)
        ]
    ids = _matching_ids(store, q)
    return [r for r in rows if r.person.person_id in ids]
