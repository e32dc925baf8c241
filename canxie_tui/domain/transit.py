"""ID numbers in transit: the district's keys and the tokens that stand for ID numbers.

A monthly return travels by USB stick and chat app, so its data sheets carry no
full ID number: each one becomes a token, HMAC-SHA256 under a key every
community of the district shares (`token_key`), so the district still sees that
two rows (two communities, two months, a rebuilt database) hold the same person.
Without the key a token says nothing; with it, an ID number can only be
confirmed by guessing it (the README says what that protects against).

The keys come from one secret the district keeps (`district_secret`, 32 random
bytes in its database).  For each community the district issues a key text
(`issue_key`): the shared token key and a key of that community alone
(`community_mac_key`, HMAC of the secret and the community's code), so a
community can prove a return is its own without being able to speak for
another.  The key text is what a worker types or an install script passes:
"CX1-" and 52 base32 letters in groups, with the community code's last digits
to catch a key given to the wrong community.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from canxie_tui.domain.errors import InputError

__all__ = [
    "TOKEN_PREFIX",
    "CommunityKey",
    "cert_token",
    "community_mac_key",
    "id_token",
    "is_token",
    "issue_key",
    "key_fingerprint",
    "parse_key",
    "return_mac",
    "token_key",
]

TOKEN_PREFIX = "idt:"
_KEY_PREFIX = "CX1"
_PART = 16  # bytes of each key in a key text
_ID_LENGTH = 18


def token_key(secret: bytes) -> bytes:
    """The district-wide key of ID tokens, derived from the district's secret."""
    return hmac.new(secret, b"canxie id token v1", hashlib.sha256).digest()[:_PART]


def community_mac_key(secret: bytes, community_code: str) -> bytes:
    """The key only `community_code` (and the district) holds: it signs that site's returns."""
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
    """What a community holds: the shared token key and its own MAC key."""

    token: bytes
    mac: bytes
    check: str  # the last 4 digits of the community code it was issued for

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.token)


def issue_key(secret: bytes, community_code: str) -> str:
    """The key text the district gives the community `community_code`."""
    raw = token_key(secret) + community_mac_key(secret, community_code)
    letters = base64.b32encode(raw).decode().rstrip("=")
    groups = "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))
    return f"{_KEY_PREFIX}-{community_code[-4:]}-{groups}"


def parse_key(text: str, community_code: str = "") -> CommunityKey:
    """Read a key text (spaces, dashes and case do not matter); InputError if it is wrong."""
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
    if community_code and community_code[-4:] != check:
        raise InputError(
            f"这个密钥是发给代码尾号为 {check} 的社区的，不是本社区（{community_code}）的："
            "请向区里索取本社区的密钥",
            "key",
        )
    return CommunityKey(raw[:_PART], raw[_PART:], check)
