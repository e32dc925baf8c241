"""Places inside a community as the user names them at a street or district.

Grids (网格) and buildings (楼栋) are named within a community: 第1网格 and 8栋 exist
in every community.  Where a database holds one community a place is named as
stored; where it holds several, a place is named with its community,
"建新东路社区·第1网格", and may be typed so (the separator · as a Chinese input
method types it; the Japanese ・ is read as it too).
"""

from __future__ import annotations

SEP = "·"
_TYPED_SEPS = (SEP, "・")


def label(community: str, name: str) -> str:
    """How a place is shown: with its community's name when there is one to show."""
    return f"{community}{SEP}{name}" if community else name


def split(text: str) -> tuple[str | None, str]:
    """(community as typed or None, the place's own name) from what the user typed."""
    for sep in _TYPED_SEPS:
        community, found, name = text.partition(sep)
        if found and community.strip() and name.strip():
            return community.strip(), name.strip()
    return None, text.strip()


def ambiguous(name: str, choices: list[str]) -> str:
    """The message refusing a bare name that several communities use."""
    return f"“{name}”在多个社区都有，请写明社区，如：{'、'.join(choices)}"
