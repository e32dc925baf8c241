"""`canxie init` and `canxie site`: setting up a database without the TUI, keys, recodes.

    canxie init --district-name N --district-code C [--street-name … --street-code …
                [--community-name … --community-code …]] --operator NAME [--key KEY] [--json]
    canxie site key KEY
    canxie site recode --from OLD --to NEW [--name NEW_NAME] [--json]

init checks exactly what the first-run screen checks (`store.site.check_setup`,
same Chinese messages) before anything is created; a database already set up is
refused.  A district's own database (no street) gets its secret; a community's
or a street's takes the key its district issued for its code (--key, or later
`canxie site key`).  recode
changes a division code (or the prefix of a street's or district's codes):
households follow, the mapping is kept and travels in every return.
"""

from __future__ import annotations

import argparse

from canxie_tui.cli.common import (
    EXIT_USAGE,
    Commands,
    add_json_flag,
    db_path,
    fail,
    opened_store,
    print_json,
    subcommands,
    usage_errors,
)

_DISTRICT_NO_KEY = "只有村/社区或街道/镇的数据库需要填写区里发放的密钥，区数据库自己发放密钥"


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    init = commands.add_parser(
        "init",
        help="新建数据库并设置辖区和操作员（与首次使用界面相同的检查；可用于批量安装）",
        parents=[common],
    )
    for name, label in (
        ("district", "区县"),
        ("street", "街道/镇"),
        ("community", "村/社区"),
    ):
        required = name == "district"
        init.add_argument(f"--{name}-name", required=required, help=f"{label}名称")
        init.add_argument(f"--{name}-code", required=required, help=f"{label}统计用区划代码")
    init.add_argument("--operator", required=True, help="操作员姓名")
    init.add_argument(
        "--key",
        help="社区或街道：区里发放的密钥（CX1-…）；也可以以后用 canxie site key 填写",
    )
    add_json_flag(init)
    init.set_defaults(handler=cmd_init)

    site = commands.add_parser(
        "site", help="本站点：区里发放的密钥、区划代码变更", parents=[common]
    )
    sub = subcommands(site, "site_command")
    key = sub.add_parser("key", help="填写区里发放给本社区（或本街道）的密钥", parents=[common])
    key.add_argument("key", metavar="KEY", help="密钥（CX1-…）")
    key.set_defaults(handler=cmd_site_key)
    recode = sub.add_parser(
        "recode",
        help="区划代码变更（如江北区撤销后改属两江新区）：户随之改为新代码，旧→新对照随月报送区里",
        parents=[common],
    )
    recode.add_argument("--from", dest="old", required=True, help="旧代码（6/9/12位）")
    recode.add_argument("--to", dest="new", required=True, help="新代码（与旧代码同级）")
    recode.add_argument("--name", default="", help="新名称（如 两江新区；不填则名称不变）")
    add_json_flag(recode)
    recode.set_defaults(handler=cmd_site_recode)


def cmd_init(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from canxie_tui.domain.errors import InputError
    from canxie_tui.domain.models import Site
    from canxie_tui.domain.transit import parse_key
    from canxie_tui.store import keys, site

    wanted = Site(
        **{
            f"{level}_{part}": str(getattr(args, f"{level}_{part}") or "").strip()
            for level in ("district", "street", "community")
            for part in ("name", "code")
        }
    )
    with usage_errors():
        site.check_setup(wanted, args.operator or "")
        if args.key:
            if not wanted.key_code:
                raise InputError(_DISTRICT_NO_KEY + "（--key）", "key")
            parse_key(args.key, wanted.key_code)
    path = db_path(args)
    with opened_store(args, create=True) as store:
        if (current := site.get_site(store)).is_configured:
            fail(f"数据库“{path}”已经设置过辖区（{current.full_name()}），没有改动。")
        operator = site.setup_site(store, wanted, args.operator)
        if args.key:
            keys.set_community_key(store, args.key, wanted.key_code)
        district = keys.district_secret(store) is not None
        has_key = district or bool(args.key)
    if args.json:
        print_json(
            {
                "db": str(path),
                "site": asdict(wanted),
                "site_code": wanted.code,
                "operator": operator.name,
                "district": district,
                "key": has_key,
            }
        )
        return 0
    print(
        f"已新建并设置：{wanted.full_name()}（{wanted.code}），操作员 {operator.name}。数据库：{path}"
    )
    if district:
        print(
            "已生成区密钥。为每个社区（或街道）发放密钥："
            "canxie district key --community-code 社区代码（或 --street-code 街道代码）"
        )
    elif not has_key:
        print("提示：还没有填写区里发放的密钥，月报在区里无法合并。拿到后用 canxie site key 填写。")
    return 0


def cmd_site_key(args: argparse.Namespace) -> int:
    from canxie_tui.store import keys, site

    with opened_store(args) as store:
        here = site.get_site(store)
        if not here.key_code:
            fail(_DISTRICT_NO_KEY + "。", EXIT_USAGE)
        key = keys.set_community_key(store, args.key, here.key_code)
    print(f"已保存区里发放的密钥（指纹 {key.fingerprint}）。以后导出的月报可在区里合并。")
    return 0


def cmd_site_recode(args: argparse.Namespace) -> int:
    from canxie_tui.store import recode, site

    with opened_store(args) as store:
        moved = recode.recode(store, args.old, args.new, args.name)
        now = site.get_site(store)
    if args.json:
        print_json({"from": args.old.strip(), "to": args.new.strip(), "name": args.name, **moved})
        return 0
    print(
        f"区划代码 {args.old.strip()} → {args.new.strip()}：{moved['households']} 户已改为新代码"
        f"{'，本站点代码已更新' if moved['site'] else ''}。现在：{now.full_name()}（{now.code}）。"
        "旧→新对照已保存，随以后的月报送区里。"
    )
    return 0
