"""ID numbers in transit: the district's keys and the tokens that stand for ID numbers.

A monthly return travels by USB stick and chat app, so its data sheets carry no
full ID number: each one becomes a token, HMAC-SHA256 under a key every
community of the district shares (`token_key`), so the district still sees that
two rows (two communities, two months, a rebuilt database) hold the same person.
Without the key a token says nothing; with it, an ID number can only be
confirmed by guessing it (the README says what that protects against).

The keys come from one secret the district keeps (`district_secret`, 32 random
bytes in its database).  For each site that sends returns, a community (12-digit
code) or a street/town install (9 digits), the district issues a key text
(`issue_key`): the shared token key and a key of that site alone
(`community_mac_key`, HMAC of the secret and the site's code), so a site can
prove a return is its own without being able to speak for another.  The key
text is what a worker types or an install script passes: "CX1-", a check of the
site's code (a community's last 4 digits, or "J" and a street's last 3: a
street key is never taken for a community's) and 52 base32 letters in groups.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from canxie_tui.domain.errors import InputError

__all__ = [
    "SITE_CODE_LENGTHS",
    "TOKEN_PREFIX",
    "CommunityKey",
    "cert_token",
    "community_mac_key",
    "id_token",
    "is_street",
    "is_token",
    "issue_key",
    "key_fingerprint",
    "parse_key",
    "return_mac",
    "site_word",
    "token_key",
]

TOKEN_PREFIX = "idt:"
_KEY_PREFIX = "CX1"
_PART = 16  # bytes of each key in a key text
_ID_LENGTH = 18
_STREET = "J"  # 街: the check of a street's key starts with it (a community's is 4 digits)
SITE_CODE_LENGTHS = (9, 12)  # the sites a key is issued to: a street/town, a community


def is_street(code: str) -> bool:
    """A street's or town's 统计用区划代码 (9 digits), not a community's (12)."""
    return len(code) == SITE_CODE_LENGTHS[0]


def site_word(code: str) -> str:
    """What a site of `code` is called in messages: 街道/镇 (9 digits) or 社区."""
    return "街道/镇" if is_street(code) else "社区"


def _check(code: str) -> str:
    """The check a key text carries of the code it was issued for."""
    return _STREET + code[-3:] if is_street(code) else code[-4:]


def token_key(secret: bytes) -> bytes:
    """The district-wide key of ID tokens, derived from the district's secret."""
    return hmac.new(secret, b"canxie id token v1", hashlib.sha256).digest()[:_PART]


def community_mac_key(secret: bytes, community_code: str) -> bytes:
    """The key only `community_code` (a community or street, and the district) holds: it
    signs that site's returns."""
    message = f"canxie return mac v1:{community_code}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()[:_PART]


def key_fingerprint(key: bytes) -> str:
    """A short public name of a token key, written in returns to tell keys apart."""
    return hashlib.sha256(b"canxie key fingerprint" + key).hexdigest()[:12]


def id_token(key: bytes, id_number: str) -> str:
    """The token standing for `id_number` in a return ("idt:" + 32 hex digits)."""
    digest = hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()
    return TOKEN_PREFIX + digest[:32]


def is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


def cert_token(key: bytes, cert_number: str) -> str:
    """A certificate number with its ID part tokenised (category, level, reissue kept)."""
    text = cert_number.strip().upper()
    if len(text) < _ID_LENGTH:
        return id_token(key, text)
    return id_token(key, text[:_ID_LENGTH]) + "|" + text[_ID_LENGTH:]


def return_mac(key: bytes, community_code: str, checksum: str) -> str:
    """The MAC of a return: HMAC-SHA256 under the community's key over its checksum.

    The checksum of `_元数据` covers every metadata row (site, month, the key's
    community) and each data sheet's SHA-256, so this one MAC vouches for all of it.
    """
    message = f"canxie return v1|{community_code}|{checksum}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CommunityKey:
    """What a community (or street) holds: the shared token key and its own MAC key."""

    token: bytes
    mac: bytes
    check: str  # of the code it was issued for: a community's last 4 digits, J + a street's 3

    @property
    def for_street(self) -> bool:
        return self.check.startswith(_STREET)

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.token)


def issue_key(secret: bytes, community_code: str) -> str:
    """The key text the district gives the community (or street) `community_code`."""
    raw = token_key(secret) + community_mac_key(secret, community_code)
    letters = base64.b32encode(raw).decode().rstrip("=")
    groups = "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))
    return f"{_KEY_PREFIX}-{_check(community_code)}-{groups}"


def parse_key(text: str, community_code: str = "") -> CommunityKey:
    """Read a key text (spaces, dashes and case do not matter); InputError if it is wrong
    or (given the site's `community_code`, 12 or 9 digits) issued for another site."""
    clean = "".join(ch for ch in text.strip().upper() if ch.isalnum())
    if not clean.startswith(_KEY_PREFIX) or len(clean) < len(_KEY_PREFIX) + 4 + 52:
        raise InputError(
            "密钥格式不对：应为区里发放的“CX1-”开头的一串字母和数字，请核对后重新输入", "key"
        )
    check, letters = clean[3:7], clean[7:]
    try:
        raw = base64.b32decode(letters + "=" * (-len(letters) % 8))
    except ValueError as err:
        raise InputError("密钥中有不该出现的字符，请核对后重新输入", "key") from err
    if len(raw) != 2 * _PART:
        raise InputError("密钥长度不对，请核对后重新输入", "key")
    key = CommunityKey(raw[:_PART], raw[_PART:], check)
    if community_code and _check(community_code) != check:
        raise InputError(_wrong_site(key, community_code), "key")
    return key


def _wrong_site(key: CommunityKey, code: str) -> str:
    """Why `key` is not the key of site `code` (Chinese)."""
    here = site_word(code)
    if key.for_street:
        issued = f"代码尾号为 {key.check[1:]} 的街道/镇"
    else:
        issued = f"代码尾号为 {key.check} 的社区"
    return f"这个密钥是发给{issued}的，不是本{here}（{code}）的：请向区里索取本{here}的密钥"
