"""Division codes that change (江北区 → 两江新区): old → new, kept, and followed.

A recode maps a code, or the prefix of every code under it (a street's 9 digits
move its communities too), to a new one of the same length.  `recode` records
it in `division_recodes` and makes everything follow at once, in one audited
transaction: the site's own codes (and the new name), the households'
division codes, and at a district the merge tables (where returns came from,
conflicts, merge state), so every report lists each community once, under its
new code.  The mapping travels in every return (`recodes_json`) and the district
applies the returns' mappings before their rows (`apply_recodes`), so a return
exported before the change merges under the new code.

Households keep their version: a recode is not an edit of a household (the
register travels whole in every return, mapped on arrival), so it raises no
conflict at the district.  Person ID numbers are never judged by area code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from canxie_tui.domain.models import Site
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import ValidationError
from canxie_tui.store.site import CODE_DIGITS

__all__ = [
    "Recode",
    "apply_recodes",
    "list_recodes",
    "map_code",
    "recode",
    "recodes_json",
]

_LENGTHS = {6: "区县", 9: "街道/镇", 12: "村/社区"}
_LEVELS = {digits: level for level, digits in CODE_DIGITS.items()}  # 9 -> "street"


@dataclass(frozen=True)
class Recode:
    old: str
    new: str
    name: str = ""  # the division's new name ('' keeps the name)


def list_recodes(store: Store) -> list[Recode]:
    return [
        Recode(r["old_code"], r["new_code"], r["new_name"])
        for r in store.query("SELECT * FROM division_recodes ORDER BY recorded_at, old_code")
    ]


def recodes_json(store: Store) -> str:
    """The recodes as they travel in a return: [[old, new, name], ...]."""
    return json.dumps([[r.old, r.new, r.name] for r in list_recodes(store)], ensure_ascii=False)


def parse_recodes_json(text: str) -> list[Recode]:
    """A return's recodes ([] when none or unreadable: the metadata's checksum vouches)."""
    try:
        found = json.loads(text or "[]")
    except ValueError:
        return []
    return [
        Recode(str(r[0]), str(r[1]), str(r[2]) if len(r) > 2 else "")
        for r in found
        if isinstance(r, list) and len(r) >= 2
    ]


def map_code(code: str, recodes: Iterable[Recode]) -> str:
    """`code` under the recodes (the longest matching old prefix first, chains followed)."""
    table = sorted(recodes, key=lambda r: -len(r.old))
    for _ in range(8):  # a chain A → B → C, never a loop
        for item in table:
            if code.startswith(item.old):
                moved = item.new + code[len(item.old) :]
                if moved != code:
                    code = moved
                    break
        else:
            return code
    return code


def check(old: str, new: str, name: str = "") -> Recode:
    """A recode as typed, checked: same length 6/9/12, digits, different; ValidationError."""
    old, new, name = old.strip(), new.strip(), name.strip()
    for value, field in ((old, "old"), (new, "new")):
        if not (value.isdigit() and len(value) in _LENGTHS):
            raise ValidationError(
                f"统计用区划代码应为6位（区县）、9位（街道/镇）或12位（村/社区）数字，“{value}”不对",
                field,
            )
    if len(old) != len(new):
        raise ValidationError(
            f"新旧代码应同级：“{old}”是{_LENGTHS[len(old)]}代码，“{new}”是{_LENGTHS[len(new)]}代码",
            "new",
        )
    if old == new:
        raise ValidationError("新代码与旧代码相同，无需变更", "new")
    return Recode(old, new, name)


def _site(site: Site, item: Recode) -> Site:
    codes = {
        key: map_code(getattr(site, key), [item]) if getattr(site, key) else ""
        for key in ("district_code", "street_code", "community_code")
    }
    moved = replace(site, **codes)
    if item.name:
        level = _LEVELS[len(item.new)]
        if getattr(moved, f"{level}_code") == item.new:
            moved = replace(moved, **{f"{level}_name": item.name})
    return moved


def recode(store: Store, old: str, new: str, name: str = "", *, source: str = "") -> dict[str, int]:
    """Change division code `old` (or prefix) to `new`; everything follows (see module doc).

    Returns what moved: {"households": n, "site": 0/1, "sources": n}.
    """
    item = check(old, new, name)
    with store.transaction():
        return _apply(store, item, source or "本机变更")


def apply_recodes(store: Store, items: Iterable[Recode], *, source: str) -> int:
    """Apply recodes this database does not have yet (from a return or a table); how many."""
    known = {r.old: r for r in list_recodes(store)}
    done = 0
    with store.transaction():
        for item in items:
            if known.get(item.old) == item:
                continue
            _apply(store, check(item.old, item.new, item.name), source)
            done += 1
    return done


def _apply(store: Store, item: Recode, source: str) -> dict[str, int]:
    from canxie_tui.store.site import get_site, set_setting

    conn = store.db.conn
    before = store.query("SELECT * FROM division_recodes WHERE old_code = ?", (item.old,))
    conn.execute(
        "INSERT INTO division_recodes (old_code, new_code, new_name, recorded_at, source) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (old_code) DO UPDATE SET new_code = excluded.new_code, "
        "new_name = excluded.new_name, recorded_at = excluded.recorded_at, source = excluded.source",
        (item.old, item.new, item.name, store.now(), source),
    )
    records.write_audit(
        store,
        "区划代码变更",
        "division_recodes",
        item.old,
        before[0] if before else None,
        {**asdict(item), "source": source},
    )
    site = get_site(store)
    moved_site = _site(site, item)
    if moved_site != site:
        set_setting(store, "site", asdict(moved_site))
    households = _households(store, item)
    sources = _merge_tables(store, item)
    return {"households": households, "site": int(moved_site != site), "sources": sources}


def _households(store: Store, item: Recode) -> int:
    """Households under `item.old` take the new code (and name); merge state follows."""
    from canxie_tui.store.district.content import content_hash, full_record

    conn = store.db.conn
    rows = store.query(
        "SELECT * FROM households WHERE division_code >= ? AND division_code < ?",
        (item.old, item.old + ":"),  # ':' sorts right after '9': every code under the prefix
    )
    entries: list[records.Audit] = []
    for row in rows:
        code = map_code(row["division_code"], [item])
        name = item.name if item.name and code == item.new else row["division_name"]
        after = {**row, "division_code": code, "division_name": name}
        conn.execute(
            "UPDATE households SET division_code = ?, division_name = ? WHERE pk = ?",
            (code, name, row["pk"]),
        )
        # A district: the record as last merged moves with it, so it raises no conflict.
        old_hash = content_hash(full_record("households", row, {}))
        conn.execute(
            "UPDATE merge_state SET row_hash = ? WHERE table_name = 'households' "
            "AND record_id = ? AND row_hash = ?",
            (content_hash(full_record("households", after, {})), row["id"], old_hash),
        )
        entries.append(records.Audit("区划代码变更", "households", row["id"], row, after))
    records.append_audit(store, entries)
    return len(rows)


def _merge_tables(store: Store, item: Recode) -> int:
    """A district's merge tables: the returns' sites under their new codes, each once."""
    conn = store.db.conn
    moved = 0
    for source in store.query("SELECT * FROM merge_sources"):
        new_code = map_code(source["site_code"], [item])
        if new_code == source["site_code"]:
            continue
        values: dict[str, Any] = {
            **source,
            "site_code": new_code,
            "district_code": map_code(source["district_code"], [item]),
            "street_code": map_code(source["street_code"], [item]),
            "community_code": map_code(source["community_code"], [item]),
        }
        if item.name and new_code == item.new:
            level = _LEVELS[len(item.new)]
            values[f"{level}_name"] = item.name
        conn.execute("DELETE FROM merge_sources WHERE site_code = ?", (source["site_code"],))
        kept = conn.execute(
            "SELECT last_month FROM merge_sources WHERE site_code = ?", (new_code,)
        ).fetchone()
        if kept is None or kept[0] <= values["last_month"]:
            columns = ", ".join(values)
            marks = ", ".join("?" * len(values))
            conn.execute(
                f"INSERT OR REPLACE INTO merge_sources ({columns}) VALUES ({marks})",
                list(values.values()),
            )
        moved += 1
    like = (item.old, item.old + ":")
    for table in ("merge_state", "merge_conflicts"):
        for (code,) in conn.execute(
            f"SELECT DISTINCT site_code FROM {table} WHERE site_code >= ? AND site_code < ?", like
        ).fetchall():
            conn.execute(
                f"UPDATE {table} SET site_code = ? WHERE site_code = ?",
                (map_code(code, [item]), code),
            )
    for (code,) in conn.execute(
        "SELECT DISTINCT site_code FROM merge_databases WHERE site_code >= ? AND site_code < ?",
        like,
    ).fetchall():
        conn.execute(
            "UPDATE OR REPLACE merge_databases SET site_code = ? WHERE site_code = ?",
            (map_code(code, [item]), code),
        )
    return moved
