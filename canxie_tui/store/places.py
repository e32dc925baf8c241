"""Which communities the database holds, and a typed grid or building as a place.

At one community a grid is named as stored; at a street or district (many
communities, `domain.places`) a place is (community code, grid[, building]), and a
bare name several communities use is refused with the choices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from canxie_tui.domain import places
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.natural import natural_key
from canxie_tui.store.connection import Store


def communities(store: Store) -> dict[str, str]:
    """Community code -> name of the households ('' codes left out), in code order: a
    seek of the (code, name) index per community, not a pass over 25k households."""
    found: dict[str, str] = {}
    code = ""
    while row := store.db.conn.execute(
        "SELECT division_code, division_name FROM households "
        "WHERE division_code > ? ORDER BY division_code LIMIT 1",
        (code,),
    ).fetchone():
        code, found[row[0]] = row
    return found


def several(store: Store) -> bool:
    """Whether the households are of more than one community: two seeks of the index."""
    conn = store.db.conn
    first = conn.execute(
        "SELECT min(division_code) FROM households WHERE division_code != ''"
    ).fetchone()[0]
    return first is not None and bool(
        conn.execute(
            "SELECT 1 FROM households WHERE division_code > ? LIMIT 1", (first,)
        ).fetchone()
    )


def names(store: Store) -> dict[str, str]:
    """Code -> name to show places with, empty where the database holds one community
    (its places are shown as they always were)."""
    return communities(store) if several(store) else {}


def blank_single(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` read with `h.division_name AS community`, that name blanked where the
    database holds one community (its grids are shown bare, as they always were)."""
    if rows and not several(store):
        for row in rows:
            row["community"] = ""
    return rows


def community_code(
    store: Store, typed: str, field: str, found: dict[str, str] | None = None
) -> str:
    """The code of a community typed by name or code; InputError naming the known ones.
    `found`: `communities(store)` when the caller has it already."""
    found = communities(store) if found is None else found
    for code, name in found.items():
        if typed in (code, name):
            return code
    known = "、".join(found.values()) or "（无）"
    raise InputError(f"没有社区“{typed}”。已有社区：{known}", field)


def holders(store: Store, where: str, *params: str) -> Callable[[str], list[str]]:
    """For `resolve`: name -> the communities with households `where` (over `h`, the name
    its last parameter), e.g. holders(store, "h.building = ?")."""
    conn = store.db.conn
    return lambda name: [
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT h.division_code FROM households h WHERE {where}", (*params, name)
        )
    ]


def resolve(
    store: Store, typed: str, codes_of: Callable[[str], Iterable[str]], field: str
) -> tuple[str | None, str]:
    """(community code or None: any, name) of a grid or building as typed.

    `codes_of(name)`: the communities having a place of that name.  At one
    community the name stands alone (None).  At several, "社区·名称" names one
    community's; a bare name is that community's when only one has it, and refused
    with the choices when several do; a name nobody has is left to the caller.
    """
    found = communities(store)  # read once: `names` and `community_code` would again
    shown = found if len(found) > 1 else {}  # as `names`
    community, name = places.split(typed)
    if not shown:  # one community: its own name before the place is only read past
        return None, name if community in (*found, *found.values()) else typed.strip()
    if community is not None:
        return community_code(store, community, field, found), name
    codes = sorted(set(codes_of(name)))
    if len(codes) > 1:
        choices = [places.label(shown.get(c, ""), name) for c in codes]
        raise InputError(places.ambiguous(name, sorted(choices, key=natural_key)), field)
    return (codes[0] if codes else None), name
