"""Event kinds and roll-call statuses as users type them, and each kind's weights."""

from __future__ import annotations

import re

from canxie_tui.domain import codes
from canxie_tui.domain.emergency_tables import BASE_WEIGHTS, KIND_WEIGHTS
from canxie_tui.domain.errors import InputError

PENDING = "pending"
HELP_STATUSES = frozenset({"help", "unreachable"})  # these raise a follow-up


def kind_label(kind: str) -> str:
    return codes.label(codes.EMERGENCY_KINDS, kind, kind)


def parse_kind(text: str) -> str:
    """A kind code from what a user types: "power", "停电", "暴雨", "汛期", "滑坡", "地质灾害"."""
    raw = (text or "").strip()
    if raw in codes.EMERGENCY_KINDS:
        return raw
    for code, label in codes.EMERGENCY_KINDS.items():
        if raw and (raw == label or raw in re.split(r"[/（）、]", label)):
            return code
    choices = "、".join(codes.EMERGENCY_KINDS.values())
    raise InputError(f"未知的事件类型“{raw}”，可选：{choices}", "kind")


# Other words users type, and the labels of earlier versions (kept so old
# scripts and call sheets still parse).
_STATUS_WORDS = {
    "已联系·安全": "safe",
    "已联系": "safe",
    "已转移安置": "moved",
    "转移": "moved",
    "帮助": "help",
    "需帮助": "help",
    "上门": "unreachable",
    "需上门": "unreachable",
}


def parse_status(text: str) -> str:
    """A roll-call status code from "safe", "安全", "已联系·安全", "需要帮助", "已转移" ..."""
    raw = (text or "").strip()
    if raw in codes.ROLL_CALL_STATUSES:
        return raw
    for code, label in codes.ROLL_CALL_STATUSES.items():
        if raw == label:
            return code
    if raw in _STATUS_WORDS:
        return _STATUS_WORDS[raw]
    choices = "、".join(codes.ROLL_CALL_STATUSES.values())
    raise InputError(f"未知的点名状态“{raw}”，可选：{choices}", "status")


def weights_for(kind: str) -> dict[str, int]:
    """Every factor's weight for an event of `kind`."""
    if kind not in KIND_WEIGHTS:
        raise InputError(f"未知的事件类型“{kind}”", "kind")
    return {**BASE_WEIGHTS, **KIND_WEIGHTS[kind]}
