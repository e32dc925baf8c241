"""One person, once: an incoming record whose ID number the district already has.

Before a community's rows are decided (`merge._Run`), `Identities.prepare`
looks at every incoming person the district does not know by UUID but whose ID
number (a token, `domain.transit`) another record of the district holds:

- **the same person, plainly** (the other record lives in the same community
  and has the same name: a rebuilt database, a reinstall, or a street's return
  bringing a person its community also sends; "the same community" is the
  incoming household's division code when the sender is its street, else the
  sender's code): the incoming record
  is *linked* to the district's — kept in `identity_links`, and every incoming
  row that refers to it (visits, notes, follow-ups, day-care, roll calls) is
  rewritten to the district's record, now and in every later return.  A
  household all of whose incoming members were linked into one household of
  the district is linked to it too (households follow their members).  The
  history of both is kept: the district's rows stay, the incoming ones join.
- **not plainly** (another community: a move, 迁居; or another name): the incoming
  person is written *held* (`persons.held = 1`, without the ID number, which
  the conflict keeps): out of every count (`store.register_sql`) until someone
  decides (`conflicts.resolve_conflict`: keep the district's, take the
  incoming, or link them as one person).

So the register's counts equal the number of distinct ID numbers present.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from canxie_tui.store.connection import Store
from canxie_tui.store.district.ownership import covers

__all__ = ["Identities", "decide_held", "links", "remap_rows"]

_REFS = {"person_id": "persons", "household_id": "households"}


def links(store: Store, table: str, ids: Iterable[str]) -> dict[str, str]:
    """alias id -> the district's id, for the linked records among `ids`."""
    sql = (
        "SELECT alias_id, target_id FROM identity_links "
        "WHERE table_name = ? AND alias_id IN ({marks})"
    )
    return dict(store.rows_in(sql, ids, table))


def remap_rows(
    rows: list[dict[str, Any]], table: str, aliases: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    """`rows` with linked ids replaced (their own id, and references to persons/households)."""
    own = aliases.get(table, {})
    refs = [(column, aliases[target]) for column, target in _REFS.items() if aliases.get(target)]
    if not own and not refs:
        return rows
    out = []
    for row in rows:
        changed = None
        if own and row.get("id") in own:
            changed = {**row, "id": own[row["id"]]}
        for column, mapping in refs:
            value = row.get(column)
            if value is not None and value in mapping:
                changed = changed or dict(row)
                changed[column] = mapping[value]
        out.append(changed or row)
    return out


class Identities:
    """The identity decisions of one incoming file (see the module doc)."""

    def __init__(self, store: Store, site_code: str, source: str) -> None:
        self.store = store
        self.site_code = site_code
        self.source = source
        self.aliases: dict[str, dict[str, str]] = {"persons": {}, "households": {}}
        self.new_links: dict[str, dict[str, str]] = {"persons": {}, "households": {}}
        # incoming person id -> the district's row with the same ID number (to hold)
        self.held: dict[str, dict[str, Any]] = {}
        self.held_before: set[str] = set()  # held at an earlier merge, still undecided

    def prepare(self, persons: list[dict[str, Any]], households: list[dict[str, Any]]) -> None:
        store = self.store
        self.aliases["persons"] = links(store, "persons", [p["id"] for p in persons])
        self.aliases["households"] = links(store, "households", [h["id"] for h in households])
        fresh = [p for p in persons if p["id"] not in self.aliases["persons"]]
        known = self._known([p["id"] for p in fresh])
        self.held_before = {pid for pid, held in known.items() if held}
        unknown = [p for p in fresh if p["id"] not in known and p.get("id_number")]
        by_number = self._by_number([p["id_number"] for p in unknown])
        divisions = {h["id"]: self._community(h.get("division_code") or "") for h in households}
        members: dict[str, list[str | None]] = {}  # incoming household -> district households
        for person in unknown:
            other = by_number.get(person["id_number"])
            if other is None:
                continue
            home = divisions.get(person["household_id"], self.site_code)
            if other["division_code"] == home and _same_name(person, other):
                self.new_links["persons"][person["id"]] = other["id"]
                members.setdefault(person["household_id"], []).append(other["household_id"])
            else:
                self.held[person["id"]] = other
        for person in persons:  # a household follows when every member with an ID was linked
            if person["id"] not in self.new_links["persons"] and person.get("id_number"):
                members.setdefault(person["household_id"], []).append(None)
        present = self._present_households(list(members))
        for household, targets in members.items():
            if household in present or household in self.aliases["households"]:
                continue
            if len(set(targets)) == 1 and targets[0] is not None:
                self.new_links["households"][household] = targets[0]
        self._members_without_id(fresh, known)
        for table, found in self.new_links.items():
            self.aliases[table].update(found)

    def _community(self, division: str) -> str:
        """The community an incoming household is in: its own code in a street's return."""
        if covers(self.site_code, division):
            return division
        return self.site_code

    def _members_without_id(self, fresh: list[dict[str, Any]], known: Mapping[str, bool]) -> None:
        """In a linked household, a member without an ID number is the one of the same name."""
        linked = self.new_links["households"]
        for person in fresh:
            target = linked.get(person["household_id"])
            if target is None or person.get("id_number") or person["id"] in known:
                continue
            found = self.store.db.conn.execute(
                "SELECT id FROM persons WHERE household_id = ? AND id_number IS NULL "
                "AND replace(name, ' ', '') = ?",
                (target, _bare_name(person)),
            ).fetchone()
            if found is not None:
                self.new_links["persons"][person["id"]] = found[0]

    def _known(self, ids: list[str]) -> dict[str, bool]:
        sql = "SELECT id, held FROM persons WHERE id IN ({marks})"
        return {pid: bool(held) for pid, held in self.store.rows_in(sql, ids)}

    def _by_number(self, numbers: list[str]) -> dict[str, dict[str, Any]]:
        sql = (
            "SELECT p.*, h.division_code FROM persons p "
            "JOIN households h ON h.id = p.household_id WHERE p.id_number IN ({marks})"
        )
        return {row["id_number"]: row for row in self.store.query_in(sql, numbers)}

    def _present_households(self, ids: list[str]) -> set[str]:
        sql = "SELECT id FROM households WHERE id IN ({marks})"
        return {r[0] for r in self.store.rows_in(sql, ids)}

    def save_links(self, now: str) -> None:
        """Keep the links made for this file (call inside the merge's transaction)."""
        rows = [
            (table, alias, target, "rebuilt", self.site_code, self.source, now)
            for table, found in self.new_links.items()
            for alias, target in found.items()
        ]
        self.store.db.conn.executemany(
            "INSERT OR IGNORE INTO identity_links (table_name, alias_id, target_id, kind, "
            "site_code, source_file, linked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def _bare_name(row: Mapping[str, Any]) -> str:
    """The row's name without any whitespace (王 芳 and 王芳 are one name)."""
    return "".join(str(row.get("name") or "").split())


def _same_name(person: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    return _bare_name(person) == _bare_name(other)


# -- deciding a held person (conflicts.resolve_conflict, kind "identity") --------------------
_PERSON_REFS = (
    ("visit_persons", "person_id"),
    ("followups", "person_id"),
    ("notes", "person_id"),
    ("daycare_members", "person_id"),
    ("emergency_checks", "person_id"),
)


def decide_held(writer: Any, conflict: Mapping[str, Any], keep: str) -> None:
    """Decide a held person (`writer`: an `apply.Writer` in the caller's transaction).

    district: the district's record stays the counted one; the incoming stays
    held (kept, never counted).  incoming: the incoming record becomes the
    counted one, with the ID number, and the district's is held instead.  link:
    one person — the district's record takes the incoming version (its household
    too: where the person lives now), everything that referred to the incoming
    record refers to it, and later returns land on it.
    """
    store: Store = writer.store
    conn = store.db.conn
    rid = conflict["record_id"]
    held = store.query("SELECT * FROM persons WHERE id = ?", (rid,))
    incoming = json.loads(conflict["incoming_version"] or "null") or {}
    district = json.loads(conflict["district_version"] or "null") or {}
    other = store.query("SELECT * FROM persons WHERE id = ?", (district.get("id"),))
    if not held or not other:
        from canxie_tui.domain.errors import InputError

        raise InputError("这条记录已不在本库中（可能已处理或被删除），无法处理", "id")
    mine, theirs = held[0], other[0]
    number = incoming.get("id_number")
    if keep == "district":
        return
    if keep == "incoming":
        conn.execute("UPDATE persons SET id_number = NULL, held = 1 WHERE id = ?", (theirs["id"],))
        conn.execute(
            "UPDATE persons SET id_number = ?, held = 0 WHERE id = ?", (number, mine["id"])
        )
        writer._record("暂挂人员改为计入", "persons", mine["id"], mine, writer._row("persons", rid))
        writer._record(
            "改为暂挂", "persons", theirs["id"], theirs, writer._row("persons", theirs["id"])
        )
        writer._touched("persons", mine)
        writer._touched("persons", theirs)
        return
    # link: one person
    columns = [c for c in writer._cols("persons") if c not in ("pk", "id", "held", "id_number")]
    values = [mine[c] for c in columns]
    for table, column in _PERSON_REFS:
        conn.execute(
            f"UPDATE OR IGNORE {table} SET {column} = ? WHERE {column} = ?", (theirs["id"], rid)
        )
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (rid,))
    conn.execute("DELETE FROM search_terms WHERE person_pk = ?", (mine["pk"],))
    conn.execute("DELETE FROM persons WHERE id = ?", (rid,))
    assignments = ", ".join(f"{c} = ?" for c in columns)
    conn.execute(f"UPDATE persons SET {assignments} WHERE id = ?", [*values, theirs["id"]])
    conn.execute(
        "INSERT OR REPLACE INTO identity_links (table_name, alias_id, target_id, kind, site_code, "
        "source_file, linked_at) VALUES ('persons', ?, ?, 'decided', ?, ?, ?)",
        (rid, theirs["id"], conflict["site_code"], conflict["source_file"], store.now()),
    )
    conn.execute("DELETE FROM merge_state WHERE table_name = 'persons' AND record_id = ?", (rid,))
    writer._record("合并删除", "persons", rid, mine, None)
    after = writer._row("persons", theirs["id"])
    writer._record("认定为同一人", "persons", theirs["id"], theirs, after)
    writer.remember("persons", {**incoming, "id": theirs["id"]}, conflict["incoming_hash"])
    writer._touched("persons", theirs)
    writer._touched("persons", after)
