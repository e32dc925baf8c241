"""Settings of the site's transit: the key the district issued, and division recodes.

Two small forms (`TextForm`): 区里发放的密钥 (a community's or a street's; checked
against its code; a district's own database issues keys and takes none) and 区划代码变更 (旧代码 → 新代码, 新名称: households follow, the mapping
travels in every return; `store.recode`).  The checks are the store's, so the
form and `canxie site key` / `canxie site recode` refuse the same input alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from canxie_tui.domain.transit import parse_key, site_word
from canxie_tui.store import keys, recode, site

if TYPE_CHECKING:
    from canxie_tui.ui.app import CanxieApp


async def open_key_form(app: CanxieApp) -> None:
    from canxie_tui.ui.screens.text_form import TextForm

    code = app.site.key_code
    if not code:
        app.notify(
            "区数据库不需要填写密钥：它为各社区和街道发放密钥（canxie district key）",
            severity="warning",
        )
        return

    async def save(values: dict[str, Any]) -> str:
        found = await app.db(keys.set_community_key, values["key"], code)
        return found.fingerprint

    def done(fingerprint: object) -> None:
        if fingerprint is not None:
            app.notify(f"已保存区里发放的密钥（指纹 {fingerprint}），以后导出的月报可在区里合并")

    fields = [
        (
            "key",
            f"区里发放给本{site_word(code)}的密钥（CX1-…，大小写和横线不限）",
            "",
            "向区残联索取，不要通过聊天软件和月报一起发送",
        )
    ]
    app.push_screen(
        TextForm("设置：区里发放的密钥", fields, save, lambda v: parse_key(v["key"], code)), done
    )


async def open_recode_form(app: CanxieApp) -> None:
    from canxie_tui.ui.screens.text_form import TextForm

    async def save(values: dict[str, Any]) -> dict[str, int]:
        return await app.db(recode.recode, values["old"], values["new"], values["name"])

    def done(moved: object) -> None:
        if isinstance(moved, dict):
            new_site = site.get_site(app.store)
            operator = site.current_operator(app.store)
            if operator is not None:
                app.site_saved(new_site, operator)
            app.notify(
                f"区划代码已变更：{moved['households']} 户改为新代码；现在是 {new_site.full_name()}（{new_site.code}）"
            )

    fields = [
        (
            "old",
            "旧代码（6/9/12位）",
            app.site.district_code,
            "如 江北区 500105；整条街道填9位街道代码",
        ),
        ("new", "新代码（与旧代码同级）", "", "区里通知的新统计用区划代码"),
        ("name", "新名称（不改名可留空）", "", "如 两江新区"),
    ]
    app.push_screen(
        TextForm(
            "设置：区划代码变更（户随之改为新代码，旧→新对照随月报送区里）",
            fields,
            save,
            lambda v: recode.check(v["old"], v["new"], v["name"]),
        ),
        done,
    )
