"""Site settings (the divisions this install serves) and operators."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import asdict, fields
from typing import Any

from canxie_tui.domain.models import Operator, Site
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import ValidationError

# 统计用区划代码 (国家统计局): 区县 6 digits, 街镇 9, 村/社区 12.
CODE_DIGITS = {"district": 6, "street": 9, "community": 12}
_CJK = re.compile(r"[\u3400-\u9fff]")


def get_setting(store: Store, key: str, default: Any = None) -> Any:
    raw = store.scalar("SELECT value FROM settings WHERE key = ?", (key,))
    return default if raw is None else json.loads(raw)


def set_setting(store: Store, key: str, value: Any) -> None:
    """Settings are audited like records (table 'settings', record id = key)."""
    with store.transaction() as db:
        before = get_setting(store, key)
        db.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value, ensure_ascii=False)),
        )
        records.write_audit(store, "修改设置", "settings", key, {"value": before}, {"value": value})


def get_site(store: Store) -> Site:
    data = get_setting(store, "site", {}) or {}
    known = {f.name for f in fields(Site)}
    return Site(**{k: str(v) for k, v in data.items() if k in known})


def validate_site(site: Site) -> None:
    """Names and 区划代码 must fit together; raises ValidationError naming the field."""
    pairs = [
        ("district", site.district_name, site.district_code, "区县"),
        ("street", site.street_name, site.street_code, "街镇"),
        ("community", site.community_name, site.community_code, "村/社区"),
    ]
    if not site.district_name:
        raise ValidationError("请填写区县名称", "district_name")
    # A district office (merging the returns) has no street; a community has one.
    if site.community_name and not site.street_name:
        raise ValidationError("填写了村/社区，也请填写所属街道/镇名称", "street_name")
    for key, name, code, label in pairs:
        # A name is Chinese words: a mistyped code must not become the community's name.
        if name and not _CJK.search(name):
            raise ValidationError(
                f"{label}名称应为中文名称（如“观音桥街道”），“{name}”像是代码", f"{key}_name"
            )
        digits = CODE_DIGITS[key]
        if code and not re.fullmatch(rf"[0-9]{{{digits}}}", code):
            raise ValidationError(
                f"{label}的统计用区划代码应为{digits}位数字，“{code}”不对", f"{key}_code"
            )
        if code and not name:
            raise ValidationError(f"填写了{label}代码，也请填写{label}名称", f"{key}_name")
    for (_, _, upper, upper_label), (key, _, lower, label) in itertools.pairwise(pairs):
        if upper and lower and not lower.startswith(upper):
            raise ValidationError(
                f"{label}代码“{lower}”应以{upper_label}代码“{upper}”开头", f"{key}_code"
            )


def save_site(store: Store, site: Site) -> None:
    validate_site(site)
    set_setting(store, "site", asdict(site))


def check_setup(site: Site, operator_name: str) -> None:
    """What the first-run screen and `canxie init` both check; ValidationError names the field."""
    validate_site(site)
    if not operator_name.strip():
        raise ValidationError("请填写操作员姓名", "operator_name")


def setup_site(store: Store, site: Site, operator_name: str) -> Operator:
    """Save the divisions and switch in the operator, in one transaction (checked first).

    A district's own database (no street, no community) gets its secret here: the
    keys it issues to its communities come from it (`store.keys`).
    """
    from canxie_tui.store.keys import ensure_district_secret

    check_setup(site, operator_name)
    with store.transaction():
        save_site(store, site)
        operator = add_operator(store, operator_name)
        switch_operator(store, operator)
        if site.district_code and not site.street_code and not site.community_code:
            ensure_district_secret(store)
    return operator


def add_operator(store: Store, name: str, phone: str = "") -> Operator:
    name = name.strip()
    if not name:
        raise ValidationError("请填写操作员姓名", "name")
    existing = store.query("SELECT id FROM operators WHERE name = ? AND active = 1", (name,))
    if existing:
        return get_operator(store, existing[0]["id"])
    operator_id = records.insert(store, "operators", {"name": name, "phone": phone.strip()})
    return get_operator(store, operator_id)


def get_operator(store: Store, operator_id: str) -> Operator:
    row = store.query("SELECT id, name, phone, active FROM operators WHERE id = ?", (operator_id,))[
        0
    ]
    return Operator(row["id"], row["name"], row["phone"], bool(row["active"]))


def list_operators(store: Store) -> list[Operator]:
    rows = store.query("SELECT id, name, phone, active FROM operators WHERE active = 1 ORDER BY pk")
    return [Operator(r["id"], r["name"], r["phone"], True) for r in rows]


def switch_operator(store: Store, operator: Operator) -> None:
    """Make `operator` the one recorded on everything written from now on."""
    store.operator_id, store.operator_name = operator.id, operator.name
    set_setting(store, "current_operator", operator.id)


def current_operator(store: Store) -> Operator | None:
    return get_operator(store, store.operator_id) if store.operator_id else None
