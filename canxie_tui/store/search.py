"""Search as you type, at district scale.

Two indexes, both maintained when a person or household is written:
- `search_terms`: exact/prefix terms (every pinyin reading and initials of the
  name, the building) on a B-tree, which serves the very common 1-2 character
  queries (王芳, wf, 3栋).  FTS5's trigram tokenizer cannot: on SQLite 3.40 a
  2-character MATCH/LIKE returns nothing rather than scanning.
- `person_fts`: one trigram document per person (name, pinyin, ID number,
  certificate, phones, address, guardian) for fragments of 3+ characters such
  as an ID tail or a street name.

Ranking: exact name, then name prefix, then pinyin/initials/building prefix,
then fragments; only the page shown is fetched, and a huge count is capped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from canxie_tui.domain.models import SearchHit, SearchResult
from canxie_tui.domain.search_keys import name_keys, normalize_query
from canxie_tui.store.db import Store

COUNT_CAP = 10_000
_TOP = "\U0010ffff"  # sorts after any character: the upper bound of a prefix range
_SEP = " ␟ "  # field separator in the trigram document; no query contains it


@dataclass(frozen=True)
class Filters:
    category: int | None = None
    level: int | None = None
    status: str | None = None  # None = every status
    flags: frozenset[str] = field(default_factory=frozenset)  # household or care flags

    def sql(self) -> tuple[str, list[Any]]:
        """A WHERE fragment over persons `p` and households `h`."""
        parts: list[str] = ["1"]
        params: list[Any] = []
        if self.category is not None:
            parts.append("p.category = ?")
            params.append(self.category)
        if self.level is not None:
            parts.append("p.level = ?")
            params.append(self.level)
        if self.status:
            parts.append("p.status = ?")
            params.append(self.status)
        for flag in sorted(self.flags):
            parts.append(
                "(EXISTS (SELECT 1 FROM json_each(h.flags) WHERE value = ?) "
                "OR EXISTS (SELECT 1 FROM json_each(p.care_flags) WHERE value = ?))"
            )
            params += [flag, flag]
        return " AND ".join(parts), params


# -- indexing ------------------------------------------------------------------
def index_person(store: Store, person_pk: int) -> None:
    """Rebuild the search terms and trigram document of one person."""
    rows = store.query(
        "SELECT p.name, p.id_number, p.cert_number, p.phone, h.address, h.building, h.unit, "
        "h.room, h.grid, h.phone AS home_phone, h.guardian_name, h.guardian_phone, "
        "h.emergency_contact, h.emergency_phone "
        "FROM persons p JOIN households h ON h.id = p.household_id WHERE p.pk = ?",
        (person_pk,),
    )
    conn = store.db.conn
    conn.execute("DELETE FROM search_terms WHERE person_pk = ?", (person_pk,))
    conn.execute("DELETE FROM person_fts WHERE rowid = ?", (person_pk,))
    if not rows:
        return
    row = rows[0]
    keys = name_keys(row["name"])
    terms = {*keys, normalize_query(row["building"])} - {""}
    conn.executemany(
        "INSERT INTO search_terms (person_pk, term) VALUES (?, ?)",
        [(person_pk, t) for t in sorted(terms)],
    )
    place = "".join((row["building"], row["unit"], row["room"]))
    parts = [row["name"], " ".join(keys), *(row[k] or "" for k in _DOC_FIELDS), place]
    doc = normalize_query(_SEP.join(p for p in parts if p))
    conn.execute("INSERT INTO person_fts (rowid, doc) VALUES (?, ?)", (person_pk, doc))


_DOC_FIELDS = (
    "id_number",
    "cert_number",
    "phone",
    "home_phone",
    "address",
    "grid",
    "guardian_name",
    "guardian_phone",
    "emergency_contact",
    "emergency_phone",
)


def rebuild_index(store: Store) -> int:
    """Re-index everyone (after a bulk load); returns the number of persons."""
    pks = [r[0] for r in store.db.conn.execute("SELECT pk FROM persons")]
    with store.transaction():
        for pk in pks:
            index_person(store, pk)
    return len(pks)


# -- searching -----------------------------------------------------------------
def _fts_phrase(q: str) -> str:
    return '"' + q.replace('"', '""') + '"'


def search(
    store: Store, raw_query: str, *, limit: int = 200, filters: Filters | None = None
) -> SearchResult:
    """Persons matching `raw_query`, best first, at most `limit`, with the total."""
    filters = filters or Filters()
    where, params = filters.sql()
    q = normalize_query(raw_query)
    compact = q.replace(" ", "")
    conn = store.db.conn
    found: dict[int, tuple[int, bool, str]] = {}  # pk -> (rank, inactive, name)

    def collect(rank: int, sql: str, args: list[Any], cap: int) -> None:
        for pk, inactive, name in conn.execute(sql + " LIMIT ?", [*args, cap]):
            found.setdefault(pk, (rank, bool(inactive), name))

    person = "p.pk, p.status != 'active', p.name"
    base = f"FROM persons p JOIN households h ON h.id = p.household_id WHERE {where}"
    if not q:
        collect(3, f"SELECT {person} {base} ORDER BY p.name", params, limit)
        everyone = (f"SELECT p.pk {base}", params)
        total = len(found) if len(found) < limit else _count(conn, *everyone)
    else:
        cap = limit + 1
        terms_sql = (
            f"SELECT {person} FROM search_terms t JOIN persons p ON p.pk = t.person_pk "
            f"JOIN households h ON h.id = p.household_id WHERE {where} "
            "AND t.term >= ? AND t.term < ?"
        )
        terms_args = [*params, compact, compact + _TOP]
        collect(0, f"SELECT {person} {base} AND p.name = ?", [*params, q], cap)
        collect(
            1, f"SELECT {person} {base} AND p.name > ? AND p.name < ?", [*params, q, q + _TOP], cap
        )
        collect(2, terms_sql, terms_args, cap)
        if len(q) >= 3:
            fragment_sql = (
                f"SELECT {person} FROM person_fts f JOIN persons p ON p.pk = f.rowid "
                f"JOIN households h ON h.id = p.household_id WHERE f.doc MATCH ? AND {where}"
            )
            fragment_args = [_fts_phrase(q), *params]
        else:  # too short for trigrams: scan the (small, covering) name index
            fragment_sql = f"SELECT {person} {base} AND instr(p.name, ?) > 0"
            fragment_args = [*params, q]
        collect(3, fragment_sql, fragment_args, limit + len(found) + 1)
        # Every match is a term match or a fragment match (names are fragments of
        # themselves), so the union of the two is the whole candidate set.
        union = (
            f"SELECT pk FROM ({terms_sql.replace(person, 'p.pk AS pk', 1)} "
            f"UNION {fragment_sql.replace(person, 'p.pk AS pk', 1)})",
            [*terms_args, *fragment_args],
        )
        total = len(found) if len(found) <= limit else _count(conn, *union)
    page = sorted(found.items(), key=lambda item: item[1])[:limit]
    return SearchResult(
        query=raw_query,
        hits=tuple(_hits(store, [(pk, rank) for pk, (rank, _, _) in page])),
        total=min(total, COUNT_CAP),
        total_is_capped=total > COUNT_CAP,
    )


def _count(conn: Any, select_sql: str, params: list[Any]) -> int:
    """Count rows, stopping past COUNT_CAP so a broad query stays instant."""
    sql = f"SELECT count(*) FROM ({select_sql} LIMIT {COUNT_CAP + 1})"
    return int(conn.execute(sql, params).fetchone()[0])


def _hits(store: Store, page: list[tuple[int, int]]) -> list[SearchHit]:
    if not page:
        return []
    marks = ",".join("?" for _ in page)
    rows = store.query(
        "SELECT p.pk, p.id, p.household_id, p.name, p.sex, p.birth_date, p.id_number, "
        "p.category, p.level, p.status, p.phone, h.phone AS home_phone, h.address, "
        "h.building, h.unit, h.room "
        f"FROM persons p JOIN households h ON h.id = p.household_id WHERE p.pk IN ({marks})",
        [pk for pk, _ in page],
    )
    by_pk = {r["pk"]: r for r in rows}
    hits = []
    for pk, rank in page:
        r = by_pk[pk]
        hits.append(
            SearchHit(
                person_id=r["id"],
                household_id=r["household_id"],
                name=r["name"],
                sex=r["sex"],
                birth_date=date.fromisoformat(r["birth_date"]) if r["birth_date"] else None,
                id_number=r["id_number"] or "",
                category=r["category"],
                level=r["level"],
                status=r["status"],
                phone=r["phone"] or r["home_phone"],
                address=r["address"],
                place="".join((r["building"], r["unit"], r["room"])),
                rank=rank,
            )
        )
    return hits
