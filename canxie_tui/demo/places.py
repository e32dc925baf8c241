"""The demo's geography: the old Jiangbei district's streets, towns and communities,
with their 统计用区划代码 and roads."""

from __future__ import annotations

from dataclasses import dataclass

from canxie_tui.demo.tables import words

__all__ = [
    "COMMUNITY_SITE",
    "DISTRICT_CODE",
    "DISTRICT_NAME",
    "RIVERSIDE",
    "STREETS",
    "Community",
    "Street",
    "communities_of",
]

DISTRICT_NAME, DISTRICT_CODE = "江北区", "500105"


@dataclass(frozen=True)
class Street:
    name: str
    code: str  # 3 digits after the district code
    weight: float  # share of the district's disabled people
    communities: tuple[str, ...]  # 社区 first, then 村
    roads: tuple[str, ...]

    @property
    def full_code(self) -> str:
        return DISTRICT_CODE + self.code


# The old Jiangbei streets and towns (统计用区划代码 500105xxx): name, code,
# weight | communities | roads.  Community names are plausible, not a
# gazetteer; the site settings hold the real ones.
_STREET_TABLE = """
华新街街道 001 8 | 三洞桥社区 北城路社区 红土地社区 嘉陵一村社区 桥北村社区 华新村社区 兴竹苑社区
    鲤鱼池社区 | 华新街 北城路 三洞桥 红土地路 嘉陵一村 桥北村 鲤鱼池路 北城二路
江北城街道 002 5 | 金沙门社区 保定门社区 东升门社区 问津门社区 溉澜溪社区 江北嘴社区
    | 江北城大街 金沙门路 保定门路 东升门路 问津门路 溉澜溪路 北滨一路
石马河街道 003 9 | 石马河社区 南桥寺社区 桥北苑社区 大庆村社区 金源社区 红石路社区 盘溪社区
    鸿恩社区 | 石马河路 南桥寺 桥北苑 大庆村 金源路 红石路 盘溪路 鸿恩路
大石坝街道 004 10 | 大石坝社区 东原社区 九村社区 宏帆路社区 刘家台社区 黄花园社区 鸿恩寺社区
    | 大石坝正街 东原路 九村路 宏帆路 刘家台 黄花园路 鸿恩寺路
寸滩街道 005 8 | 寸滩社区 港城社区 海尔路社区 黑石子社区 大佛寺社区 溉澜溪社区
    | 寸滩正街 港城东路 港城南路 海尔路 黑石子路 大佛寺路
观音桥街道 006 17 | 建新北路社区 洋河路社区 建新东路社区 杨河一村社区 五简路社区 塔坪社区
    董家溪社区 北城天街社区 花园新村社区 红旗河沟社区 嘉陵社区 | 建新北路 洋河一路 建新东路
    建新南路 建新西路 洋河北路 五简路 塔坪路 董家溪路 北城天街 花园新村 红旗河沟 嘉陵路
五里店街道 007 11 | 五里店社区 玉带山社区 渝能社区 石子山社区 五红路社区 红黄路社区
    五里店新村社区 | 五里店正街 玉带山路 渝能路 石子山路 五红路 红黄路 五里店新村
郭家沱街道 008 7 | 郭家沱社区 望江社区 大河沟社区 长江社区 港安社区
    | 郭家沱正街 望江路 大河沟路 长江路 港安一路 港安二路
铁山坪街道 009 4 | 铁山坪社区 朝阳村 东风村 双河村 | 铁山坪路 朝阳路
鱼嘴镇 100 8 | 鱼嘴社区 沙湾社区 双溪村 石盘村 渝东村 乐园村 | 鱼嘴正街 沙湾路 鱼复大道 东风路
复盛镇 101 6 | 复盛社区 正街社区 八角村 高峰寺村 长河村 | 复盛正街 复兴路 复盛大道
五宝镇 102 5 | 五宝社区 高岩村 干坝村 箭沱村 | 五宝正街 五宝路
"""


def _parse_streets(table: str) -> tuple[Street, ...]:
    entries: list[str] = []
    for line in table.strip().splitlines():
        if line.startswith(" ") and entries:
            entries[-1] += " " + line.strip()
        else:
            entries.append(line.strip())
    streets = []
    for entry in entries:
        head, communities, roads = entry.split("|")
        name, code, weight = head.split()
        streets.append(Street(name, code, float(weight), words(communities), words(roads)))
    return tuple(streets)


STREETS = _parse_streets(_STREET_TABLE)
RIVERSIDE = frozenset({"江北城街道", "寸滩街道", "郭家沱街道", "鱼嘴镇"})  # 低洼地带 more often
COMMUNITY_SITE = ("观音桥街道", "建新东路社区")


@dataclass(frozen=True)
class Community:
    street: Street
    name: str
    code: str  # 12 digits
    roads: tuple[str, ...]

    @property
    def village(self) -> bool:
        return self.name.endswith("村")

    @property
    def town(self) -> bool:
        return self.street.name.endswith("镇")


def communities_of(street: Street) -> list[Community]:
    """Community codes: 居委会 001-199, 村委会 from 201 (统计用区划代码 rule)."""
    out = []
    n_urban = n_village = 0
    roads = street.roads
    for i, name in enumerate(street.communities):
        if name.endswith("村"):
            n_village += 1
            code = f"{street.full_code}{200 + n_village:03d}"
        else:
            n_urban += 1
            code = f"{street.full_code}{n_urban:03d}"
        own = name.removesuffix("社区").removesuffix("村")
        mine = [r for r in roads if r.startswith(own)]
        mine += [roads[(i + k) % len(roads)] for k in range(3)]
        out.append(Community(street, name, code, tuple(dict.fromkeys(mine))))
    return out
