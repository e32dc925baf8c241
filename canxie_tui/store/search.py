"""Search as you type, at district scale.

Two indexes, both maintained when a person or household is written:
- `search_terms`: exact/prefix terms on a B-tree — the name, every pinyin reading
  and its initials, the building, the last 4 and 6 digits of ID and phone numbers
  (strong), and every suffix of the name (weak: a fragment).  It serves the very
  common 1-2 character queries (王芳, wf, 3栋), which FTS5's trigram tokenizer
  cannot: on SQLite 3.40 a 2-character MATCH/LIKE returns nothing, not a scan.
- `person_fts`: one trigram document per person (name, pinyin, ID number,
  certificate, phones, address, guardian) for fragments of 3+ characters such
  as a street name or the middle of a number.

Ranking: exact name, then name prefix, then pinyin/initials/building prefix,
then fragments; only the page shown is fetched, and a huge count is capped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from canxie_tui.domain.ids import mask_id
from canxie_tui.domain.models import SearchHit, SearchResult
from canxie_tui.domain.search_keys import name_keys, normalize_query
from canxie_tui.store.connection import Store

COUNT_CAP = 2_000  # past this a count says 2000+: cheap, and as useful
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
_INDEX_CHUNK = 500  # persons fetched per query when indexing in bulk


def index_person(store: Store, person_pk: int) -> None:
    """Rebuild the search terms and trigram document of one person."""
    index_people(store, [person_pk])


def index_people(store: Store, person_pks: Iterable[int]) -> None:
    """Rebuild the search terms and trigram documents of many persons at once
    (a few `executemany` instead of several statements each)."""
    pks = list(dict.fromkeys(person_pks))
    if not pks:
        return
    conn = store.db.conn
    conn.executemany("DELETE FROM search_terms WHERE person_pk = ?", [(pk,) for pk in pks])
    conn.executemany("DELETE FROM person_fts WHERE rowid = ?", [(pk,) for pk in pks])
    found = {
        row["pk"]: row
        for row in store.query_in(
            "SELECT p.pk, p.name, p.id_number, p.cert_number, p.phone, h.address, h.building, "
            "h.unit, h.room, h.grid, h.phone AS home_phone, h.guardian_name, h.guardian_phone, "
            "h.emergency_contact, h.emergency_phone "
            "FROM persons p JOIN households h ON h.id = p.household_id WHERE p.pk IN ({marks})",
            pks,
            chunk=_INDEX_CHUNK,
        )
    }
    terms, docs = new_terms([found[pk] for pk in pks if pk in found])
    conn.executemany(
        f"INSERT INTO search_terms ({', '.join(TERM_COLUMNS)}) VALUES (?, ?, ?)", terms
    )
    conn.executemany(f"INSERT INTO person_fts ({', '.join(DOC_COLUMNS)}) VALUES (?, ?)", docs)


TERM_COLUMNS = ("person_pk", "term", "weak")
DOC_COLUMNS = ("rowid", "doc")


def new_terms(
    rows: Iterable[Mapping[str, Any]],
) -> tuple[list[tuple[int, str, int]], list[tuple[int, str]]]:
    """The rows of search_terms (`TERM_COLUMNS`) and person_fts (`DOC_COLUMNS`) of persons
    not indexed yet, for the caller to write (`index_people`; a roster import, on
    `store.writer`, has the values at hand and skips the query).

    Each row holds the person's pk, name, id_number, cert_number and phone and their
    household's fields (its phone as `home_phone`), as `index_people` selects them.
    """
    terms: list[tuple[int, str, int]] = []
    docs: list[tuple[int, str]] = []
    names: dict[str, tuple[frozenset[str], frozenset[str], str]] = {}  # names recur
    for row in rows:
        pk = row["pk"]
        found = names.get(row["name"])
        if found is None:
            found = names[row["name"]] = _name_terms(row["name"])
        by_name, suffixes, keys = found
        strong = {*by_name, normalize_query(row["building"])}
        for number in (row["id_number"], row["phone"], row["home_phone"]):
            if number:
                for tail in (number[-4:], number[-6:]):  # plain digits are their own form
                    strong.add(tail if tail.isdigit() and tail.isascii() else normalize_query(tail))
        weak = suffixes - strong
        terms += [(pk, t, 0) for t in sorted(strong - {""})]
        terms += [(pk, t, 1) for t in sorted(weak - {""})]
        place = "".join((row["building"], row["unit"], row["room"]))
        parts = [row["name"], keys, *(row[k] or "" for k in _DOC_FIELDS), place]
        docs.append((pk, normalize_query(_SEP.join(p for p in parts if p))))
    return terms, docs


def _name_terms(name: str) -> tuple[frozenset[str], frozenset[str], str]:
    """A name's strong terms (its pinyin keys and itself, normalised), its suffixes
    (weak terms unless strong for another reason) and its keys as the document has them."""
    keys = name_keys(name)
    normal = normalize_query(name)
    return (
        frozenset((*keys, normal)),
        frozenset(normal[i:] for i in range(1, len(normal))),
        " ".join(keys),
    )


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
    """Re-index everyone (after a bulk load, or when the keys changed); returns how many."""
    pks = [r[0] for r in store.db.conn.execute("SELECT pk FROM persons")]
    with store.transaction():
        for start in range(0, len(pks), _INDEX_CHUNK):
            index_people(store, pks[start : start + _INDEX_CHUNK])
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
        total = len(found) if len(found) < limit else _count(conn, f"SELECT p.pk {base}", params)
        return _result(store, raw_query, found, limit, total)

    cap = limit + 1
    terms = (
        f"SELECT {person} FROM search_terms t JOIN persons p ON p.pk = t.person_pk "
        f"JOIN households h ON h.id = p.household_id WHERE {where} "
        "AND t.term >= ? AND t.term < ?"
    )
    term_range = [compact, compact + _TOP]
    collect(0, f"SELECT {person} {base} AND p.name = ?", [*params, q], cap)
    collect(1, f"SELECT {person} {base} AND p.name > ? AND p.name < ?", [*params, q, q + _TOP], cap)
    collect(2, terms + " AND t.weak = 0", [*params, *term_range], cap)
    if len(q) >= 3:
        fragments = (
            f"SELECT {person} FROM person_fts f JOIN persons p ON p.pk = f.rowid "
            f"JOIN households h ON h.id = p.household_id WHERE f.doc MATCH ? AND {where}"
        )
        fragment_args = [_fts_phrase(q), *params]
    else:  # too short for trigrams: name suffixes in the term index
        fragments = terms + " AND t.weak = 1"
        fragment_args = [*params, *term_range]
    collect(3, fragments, fragment_args, limit + len(found) + 1)
    if len(found) <= limit:
        total = len(found)  # everything was fetched
    elif filters == Filters() and (len(q) < 3 or q == compact):
        # Unfiltered, one index answers: the term range (which holds names, pinyin,
        # buildings, tails) for short queries, the trigram index (whose documents
        # contain every term) for long ones.
        total = (
            _count(
                conn,
                "SELECT DISTINCT person_pk FROM search_terms WHERE term >= ? AND term < ?",
                term_range,
            )
            if len(q) < 3
            else _count(conn, "SELECT rowid FROM person_fts WHERE doc MATCH ?", [_fts_phrase(q)])
        )
    else:  # every match is a term match or a fragment match: count their union
        union = (
            f"SELECT pk FROM ({terms.replace(person, 'p.pk AS pk', 1)} "
            f"UNION {fragments.replace(person, 'p.pk AS pk', 1)})"
        )
        total = _count(conn, union, [*params, *term_range, *fragment_args])
    return _result(store, raw_query, found, limit, max(total, len(found)))


def _result(
    store: Store,
    raw_query: str,
    found: dict[int, tuple[int, bool, str]],
    limit: int,
    total: int,
) -> SearchResult:
    page = sorted(found.items(), key=lambda item: item[1])[:limit]
    return SearchResult(
        query=raw_query,
        hits=tuple(_hits(store, [(pk, rank) for pk, (rank, _, _) in page], raw_query)),
        total=min(total, COUNT_CAP),
        total_is_capped=total > COUNT_CAP,
    )


def _count(conn: Any, select_sql: str, params: list[Any]) -> int:
    """Count rows, stopping past COUNT_CAP so a broad query stays instant."""
    sql = f"SELECT count(*) FROM ({select_sql} LIMIT {COUNT_CAP + 1})"
    return int(conn.execute(sql, params).fetchone()[0])


def _hits(store: Store, page: list[tuple[int, int]], query: str = "") -> list[SearchHit]:
    if not page:
        return []
    marks = ",".join("?" for _ in page)
    rows = store.query(
        "SELECT p.pk, p.id, p.household_id, p.name, p.sex, p.birth_date, p.id_number, "
        "p.category, p.level, p.status, p.phone, h.phone AS home_phone, h.address, "
        "h.building, h.unit, h.room, h.grid, p.cert_number, h.guardian_name, h.guardian_phone, "
        "h.emergency_contact, h.emergency_phone "
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
                matched=matched_field(normalize_query(query), r),
            )
        )
    return hits


# Fields a row does not show, in the order a reason is looked for: (column, label, kind).
_HIDDEN = (
    ("home_phone", "同户电话", "phone"),
    ("phone", "本人电话", "phone"),
    ("guardian_phone", "监护人电话", "phone"),
    ("emergency_phone", "紧急联系人电话", "phone"),
    ("guardian_name", "监护人", "text"),
    ("emergency_contact", "紧急联系人", "text"),
    ("id_number", "身份证号", "number"),
    ("cert_number", "残疾人证号", "number"),
    ("grid", "网格", "text"),
)


def matched_field(q: str, row: Mapping[str, Any]) -> str:
    """Why `row` matched `q` when the fields a result row shows (name, masked ID,
    phone, address) do not say: "同户电话 …0657", "监护人 赵德明"; else ""."""
    compact = q.replace(" ", "")
    if not compact:
        return ""
    name = normalize_query(row["name"])
    if q in name or any(k.startswith(compact) for k in name_keys(row["name"])):
        return ""
    phone = row["phone"] or row["home_phone"] or ""
    place = "".join((row["building"], row["unit"], row["room"]))
    shown = [phone, row["address"], place, mask_id(row["id_number"] or "")]
    if any(q in normalize_query(text) for text in shown if text):
        return ""
    for column, label, kind in _HIDDEN:
        value = row[column] or ""
        if column == "phone" and value == phone:
            continue  # shown
        if q not in normalize_query(value):
            continue
        if kind == "phone":
            return f"{label} …{value[-4:]}" if q in value[-6:] else f"{label} {value}"
        if kind == "number":
            return f"{label}含{q}"  # never more of a hidden number than was typed
        return f"{label} {value}"
    return ""
