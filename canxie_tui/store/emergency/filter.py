"""The roll call's text filter: a building, or anything the search index finds.

At a street or district a place is named with its community, "建新东路社区·8栋" or
"建新东路社区·第1网格" (`domain.places`): the filter keeps that community's people.
The screen filters as the worker types, so a bare "8栋" there keeps every
community's 8栋 (the list shows each one's community); the command line, asked
once, refuses it with the choices (`check_query`), and so a community's name two
communities share (the screen keeps both of theirs)."""

from __future__ import annotations

import re

from canxie_tui.domain.places import split
from canxie_tui.domain.search_keys import normalize_query
from canxie_tui.store import places
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency.cache import Loaded

__all__ = ["TOP", "check_query", "narrow"]

TOP = "\U0010ffff"  # sorts after any character: the upper bound of a prefix range
_PLACE_QUERY = re.compile(r"^\d+(栋|幢|号楼)")


def _matching_pks(store: Store, q: str) -> set[int]:
    """pks of people a search finds (names, pinyin, initials, buildings, number tails ...).

    The search index: the term index for prefixes and name fragments, the trigram
    index for fragments of 3+ characters (an address, the middle of a number).
    """
    compact = q.replace(" ", "")
    conn = store.db.conn
    pks = {
        pk
        for (pk,) in conn.execute(
            "SELECT person_pk FROM search_terms WHERE term >= ? AND term < ?",
            (compact, compact + TOP),
        )
    }
    if len(q) >= 3:
        phrase = '"' + q.replace('"', '""') + '"'
        pks.update(
            pk
            for (pk,) in conn.execute("SELECT rowid FROM person_fts WHERE doc MATCH ?", (phrase,))
        )
    return pks


def narrow(store: Store, loaded: Loaded, pks: list[int], query: str) -> list[int]:
    """The people of `pks` a query finds.  A building ("3栋", "3栋2单元") is a place
    prefix (3栋 is not 13栋); anything else goes through the search index.  Named
    with a community ("社区·3栋", "社区·第1网格"; by name, label or code), only that
    community's people (a name two communities share: both of theirs)."""
    community, rest = split(query)
    # A "·" not after one of the register's communities is part of what is searched
    # (a name such as 阿依古丽·买买提); the communities are read once while the
    # register is unchanged (the screen filters at every keystroke).
    codes = set(loaded.communities(store).named(community)) if community is not None else set()
    if codes:
        homes = loaded.homes(store)
        pks = [pk for pk in pks if pk in homes and homes[pk][0] in codes]
        if any(homes[pk][1] == rest for pk in pks):  # one of its grids
            return [pk for pk in pks if homes[pk][1] == rest]
        query = rest
    q = normalize_query(query)
    if not q:
        return pks
    if _PLACE_QUERY.match(q):
        place, where = q.replace(" ", ""), loaded.places(store)
        return [pk for pk in pks if where.get(pk, "").startswith(place)]
    found = _matching_pks(store, q)
    return [pk for pk in pks if pk in found]


def check_query(store: Store, query: str | None) -> None:
    """Refuse (InputError) a bare building several communities have, or a community's
    name several share, with the choices."""
    community, _ = split(query or "")
    if community is not None:
        found = places.read(store)
        if len(found.named(community)) > 1:
            found.code(community, "query")  # refused with the labels
        return
    match = _PLACE_QUERY.match(normalize_query(query or ""))
    if match is None:
        return
    held = places.holders(store, "h.building = ?")
    places.resolve(store, match.group(0), held, "query")
