"""The keys of returns in transit, kept in the settings (see `domain.transit`).

A district database keeps its secret (`district_secret`, made once, never shown
but through the key texts it issues); a community's or a street's database keeps
the key text the district issued to it (`transit_key`, with the code it was
issued for).  One without (set up before keys existed, or not yet given one)
still never writes a full ID number into a return: it tokenises with a key of
its own (`local_token_key`), which the district does not know, so such a return
is refused there with the reason.

The audit entries of these settings name the key by its fingerprint, never
the key itself.  `database_id` names this database file in its returns (two
databases sending the same community's return are told apart by it).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from canxie_tui.domain import transit
from canxie_tui.store import records
from canxie_tui.store.connection import Store, new_id
from canxie_tui.store.errors import ValidationError

__all__ = [
    "ReturnKeys",
    "community_mac_key",
    "database_id",
    "district_secret",
    "ensure_district_secret",
    "issue_key",
    "return_keys",
    "set_community_key",
]

_SECRET = "district_secret"
_KEY = "transit_key"
_LOCAL = "local_token_key"
_DATABASE = "database_id"


def _get(store: Store, key: str) -> str | None:
    raw = store.scalar("SELECT value FROM settings WHERE key = ?", (key,))
    return None if raw is None else str(json.loads(raw))


def _put(store: Store, key: str, value: str, shown: dict[str, str]) -> None:
    """Save a secret setting; the audit entry holds `shown` (a fingerprint), not the value."""
    with store.transaction() as db:
        had = _get(store, key)
        db.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )
        records.write_audit(
            store, "设置密钥", "settings", key, {"set": True} if had else None, shown
        )


def community_mac_key(store: Store, community_code: str) -> bytes | None:
    """The key the district issued to `community_code` (None: this is no district)."""
    secret = district_secret(store)
    return None if secret is None else transit.community_mac_key(secret, community_code)


def district_secret(store: Store) -> bytes | None:
    text = _get(store, _SECRET)
    return bytes.fromhex(text) if text else None


def ensure_district_secret(store: Store, secret: bytes | None = None) -> bytes:
    """The district's secret, made (32 random bytes) when it has none; `secret` for tests."""
    found = district_secret(store)
    if found is not None:
        return found
    made = secret or secrets.token_bytes(32)
    _put(
        store, _SECRET, made.hex(), {"token_key": transit.key_fingerprint(transit.token_key(made))}
    )
    return made


def issue_key(store: Store, community_code: str) -> str:
    """The key text for community (12 digits) or street (9) `community_code` (a district
    database only)."""
    code = community_code.strip()
    if not (len(code) in transit.SITE_CODE_LENGTHS and code.isdigit()):
        raise ValidationError(
            f"密钥发给村/社区（12位统计用区划代码）或街道/镇（9位），“{code}”不是这样的代码",
            "community_code",
        )
    secret = district_secret(store)
    if secret is None:
        raise ValidationError(
            "这个数据库不是区数据库（没有区密钥），不能发放密钥：请用 canxie init 新建区数据库",
            "community_code",
        )
    return transit.issue_key(secret, code)


def set_community_key(store: Store, text: str, community_code: str) -> transit.CommunityKey:
    """Keep the key text the district issued to this community or street (checked first:
    `community_code` is the site's own code, 12 or 9 digits)."""
    key = transit.parse_key(text, community_code)
    _put(
        store,
        _KEY,
        json.dumps({"key": text.strip(), "code": community_code}),
        {"token_key": key.fingerprint, "community": community_code},
    )
    return key


@dataclass(frozen=True)
class ReturnKeys:
    """How this database tokenises ID numbers in its returns."""

    token: bytes
    issued: bool  # False: a key of its own, unknown to the district
    mac: bytes | None = None  # the site's own key: signs its returns
    mac_code: str = ""  # the community (or street) code the key was issued for

    @property
    def fingerprint(self) -> str:
        return transit.key_fingerprint(self.token)


def return_keys(store: Store) -> ReturnKeys:
    """The keys a return of this database uses (a local token key is made if need be).

    An issued key comes first: a street database given a district secret by an
    earlier version (which let a street merge) still signs with its street key.
    """
    stored = _get(store, _KEY)
    if stored:
        found = json.loads(stored)
        key = transit.parse_key(found["key"])
        return ReturnKeys(key.token, True, key.mac, found["code"])
    secret = district_secret(store)
    if secret is not None:  # the district's own exports
        return ReturnKeys(transit.token_key(secret), True)
    local = _get(store, _LOCAL)
    if not local:
        made = secrets.token_bytes(16)
        _put(store, _LOCAL, made.hex(), {"token_key": transit.key_fingerprint(made)})
        local = made.hex()
    return ReturnKeys(bytes.fromhex(local), False)


def database_id(store: Store) -> str:
    """This database file's own name in its returns (made once)."""
    found = _get(store, _DATABASE)
    if found:
        return found
    made = new_id()
    with store.transaction() as db:
        db.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (_DATABASE, json.dumps(made)),
        )
    return _get(store, _DATABASE) or made
