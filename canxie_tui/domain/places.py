"""Places inside a community as the user names them at a street or district.

Grids (网格) and buildings (楼栋) are named within a community: 第1网格 and 8栋 exist
in every community.  Where a database holds one community a place is named as
stored; where it holds several, a place is named with its community,
"建新东路社区·第1网格", and may be typed so (the separator · as a Chinese input
method types it; the Japanese ・ is read as it too).

Two communities of a district may share a name under different streets (two
溉澜溪社区).  Each is then shown as "溉澜溪社区（寸滩街道）", by its street where the
database knows the streets' names and they differ, else by its code,
"溉澜溪社区（500105005006）": a label no other community has.  The bare shared name
is refused with these labels; the code or the label names one.
"""

from __future__ import annotations

from collections import Counter

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


def _bracketed(text: str) -> str:
    """Half-width brackets as the full-width ones labels are shown with."""
    return text.replace("(", "（").replace(")", "）")


def distinct(found: dict[str, str], streets: dict[str, str]) -> dict[str, str]:
    """Community code -> a label no other community has: its name, and where several
    codes share the name, with its street's name (`streets`: street code -> name) when
    that tells every one apart, else with its code."""
    count = Counter(found.values())
    shared: dict[str, list[str]] = {}
    for code, name in found.items():
        if count[name] > 1:
            shared.setdefault(name, []).append(code)
    labels = dict(found)
    for name, codes in shared.items():
        by_street = [streets.get(code[:9], "") for code in codes]
        apart = all(by_street) and len(set(by_street)) == len(codes)
        for code, street in zip(codes, by_street, strict=True):
            labels[code] = f"{name}（{street if apart else code}）"
        if apart and any(labels[c] in count for c in codes):  # a name some community has
            labels.update((c, f"{name}（{c}）") for c in codes)
    return labels


def named(labels: dict[str, str], found: dict[str, str], typed: str) -> list[str]:
    """The codes a community as typed names: its code, its label, or a name (every
    community of that name: more than one where the name is shared)."""
    typed = _bracketed(typed.strip())  # brackets either width, on both sides
    for code, shown in labels.items():
        if typed in (code, _bracketed(shown)):
            return [code]
    return [code for code, name in found.items() if _bracketed(name) == typed]


def ambiguous_community(name: str, choices: list[str]) -> str:
    """The message refusing a community's name that several communities share."""
    return f"有{len(choices)}个“{name}”，请写明是哪一个：{'、'.join(choices)}"
