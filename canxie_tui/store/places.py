"""Which communities the database holds, and a typed grid or building as a place.

At one community a grid is named as stored; at a street or district (many
communities, `domain.places`) a place is (community code, grid[, building]), and a
bare name several communities use is refused with the choices.  A community is
shown by a label no other has (two 溉澜溪社区 of different streets told apart by
street or code, `domain.places.distinct`) and typed by its code, its label or a
name no other community has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from canxie_tui.domain import places
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.natural import natural_key
from canxie_tui.store.connection import Store
from canxie_tui.store.site import get_site


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


def _streets(store: Store) -> dict[str, str]:
    """Street code -> name, of what the database knows: names given in recodes, the
    streets the district's returns came from, the site's own street (small tables)."""
    conn = store.db.conn
    found = dict(
        conn.execute(
            "SELECT new_code, new_name FROM division_recodes "
            "WHERE length(new_code) = 9 AND new_name != '' ORDER BY recorded_at"
        ).fetchall()
    )
    found.update(
        conn.execute(
            "SELECT street_code, street_name FROM merge_sources "
            "WHERE street_code != '' AND street_name != '' ORDER BY last_month"
        ).fetchall()
    )
    site = get_site(store)
    if site.street_code and site.street_name:
        found[site.street_code] = site.street_name
    return found


@dataclass(frozen=True)
class Communities:
    """The database's communities as read once: code -> stored name, and code ->
    the label each is shown by (its name where no other community has it)."""

    names: dict[str, str]
    labels: dict[str, str]

    @property
    def shown(self) -> dict[str, str]:
        """The labels to show places with; empty at one community (shown bare)."""
        return self.labels if len(self.labels) > 1 else {}

    def named(self, typed: str) -> list[str]:
        """The codes `typed` names: one for a code, a label or an unshared name."""
        return places.named(self.labels, self.names, typed)

    def code(self, typed: str, field: str) -> str:
        """The one community `typed` names; InputError with the choices of a shared
        name, or naming the known ones."""
        codes = self.named(typed)
        if len(codes) == 1:
            return codes[0]
        if codes:
            choices = sorted((self.labels[c] for c in codes), key=natural_key)
            raise InputError(places.ambiguous_community(typed.strip(), choices), field)
        known = "、".join(self.labels.values()) or "（无）"
        raise InputError(f"没有社区“{typed}”。已有社区：{known}", field)


def labelled(store: Store, found: dict[str, str]) -> dict[str, str]:
    """`found` (community code -> name) with each shared name made a label that tells
    its communities apart (`domain.places.distinct`); the streets are read only then."""
    if len(set(found.values())) == len(found):
        return found
    return places.distinct(found, _streets(store))


def read(store: Store) -> Communities:
    """The households' communities and their labels."""
    found = communities(store)
    return Communities(found, labelled(store, found))


def labels(store: Store) -> dict[str, str]:
    """Community code -> the label it is shown by (see `read`)."""
    return read(store).labels


def relabelled(store: Store) -> dict[str, str]:
    """Code -> label of the communities whose name another shares: rows read with
    their stored name take it (the rest are shown by name, as read)."""
    found = read(store)
    return {code: shown for code, shown in found.labels.items() if shown != found.names[code]}


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
    """Code -> label to show places with, empty where the database holds one community
    (its places are shown as they always were)."""
    return labels(store) if several(store) else {}


def shown_communities(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` read with `h.division_code AS community`, that code turned into the
    community's label, or blanked where the database holds one community (its grids
    are shown bare, as they always were)."""
    if rows:
        shown = names(store)
        for row in rows:
            row["community"] = shown.get(row["community"], "")
    return rows


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
    found = read(store)  # once: `names` would read it again
    shown = found.shown
    community, name = places.split(typed)
    if not shown:  # one community: its own name before the place is only read past
        return None, name if community in (*found.names, *found.names.values()) else typed.strip()
    if community is not None:
        return found.code(community, field), name
    codes = sorted(set(codes_of(name)))
    if len(codes) > 1:
        choices = [places.label(shown.get(c, ""), name) for c in codes]
        raise InputError(places.ambiguous(name, sorted(choices, key=natural_key)), field)
    return (codes[0] if codes else None), name
