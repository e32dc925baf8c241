"""A district database merged into before ID tokens: its people's numbers become tokens.

Returns now carry tokens (`domain.transit`), so a district that holds full ID
numbers from earlier merges (or a roster import) would compare a token with a
number and take every person for another.  `tokenise_register` turns each full
ID and certificate number into the district's token, keeps the record "as last
merged" in step (as a recode does), and writes one audit entry per person; it
does nothing once every number is a token.  Called before each merge.
"""

from __future__ import annotations

from canxie_tui.domain import transit
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.district.content import content_hash, full_record

__all__ = ["tokenise_register"]

_PLAIN = (
    "(id_number IS NOT NULL AND id_number NOT LIKE 'idt:%') OR "
    "(cert_number IS NOT NULL AND cert_number <> '' AND cert_number NOT LIKE 'idt:%')"
)


def tokenise_register(store: Store, secret: bytes) -> int:
    """Full ID numbers of the district's people turned into tokens; how many people."""
    if not store.scalar(f"SELECT EXISTS (SELECT 1 FROM persons WHERE {_PLAIN})"):
        return 0
    key = transit.token_key(secret)
    entries: list[records.Audit] = []
    with store.transaction() as db:
        conn = db.conn
        for row in store.query(f"SELECT * FROM persons WHERE {_PLAIN}"):
            number, cert = row["id_number"], row["cert_number"]
            after = {
                **row,
                "id_number": number
                if not number or transit.is_token(number)
                else transit.id_token(key, number),
                "cert_number": cert
                if not cert or transit.is_token(cert)
                else transit.cert_token(key, cert),
            }
            conn.execute(
                "UPDATE persons SET id_number = ?, cert_number = ? WHERE pk = ?",
                (after["id_number"], after["cert_number"], row["pk"]),
            )
            conn.execute(
                "UPDATE merge_state SET row_hash = ? WHERE table_name = 'persons' "
                "AND record_id = ? AND row_hash = ?",
                (
                    content_hash(full_record("persons", after, {})),
                    row["id"],
                    content_hash(full_record("persons", row, {})),
                ),
            )
            entries.append(records.Audit("身份证号改为代号", "persons", row["id"], row, after))
        records.append_audit(store, entries)
    return len(entries)
