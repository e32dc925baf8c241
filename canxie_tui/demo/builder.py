"""Demo databases: one community, one street, or the whole old Jiangbei district.

`build_demo` fills an empty database with a realistic, deterministic register
and its activity: households and persons with valid ID and certificate numbers
(era-correct area codes), flags, benefits with realistic shortfalls, visits by
tier over months or years, follow-ups, case notes with revisions, and the
渝馨家园's members, attendance and closed days.

The same seed and `today` give the same content (names, ID numbers, record
UUIDs, dates, texts).  Two things come from outside the generator: the rows
written through the ordinary write path (the site settings and the operators,
whose UUIDs `site.add_operator` draws itself) and the audit timestamps, which
follow the store's clock.

Visit frequency follows the site's tier rules (domain.tiers); at the end
store.tiers.refresh derives every person's tier, reason and next due date from
the visits, as the visit form does for one household.

Speed: everything is written with executemany inside one transaction, with the
bookkeeping columns filled here and a single audit entry summarising the build
(per-row audit entries for a million visits would be noise, not history).
District scale (30k people, ~1.1M visits over three years) takes about 75 s.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from canxie_tui.domain import codes, ids
from canxie_tui.domain.dates import age_on
from canxie_tui.domain.models import Operator, Site
from canxie_tui.domain.tiers import TierFacts, tier_for
from canxie_tui.store import records, search
from canxie_tui.store import site as site_store
from canxie_tui.store import tiers as tier_store
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StoreError, ValidationError

__all__ = ["SCALES", "DemoScale", "Progress", "build_demo"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoScale:
    label: str
    certified: int  # certificate holders in the register
    months: int  # history of visits, notes and attendance
    daycare_members: int
    operators: int


SCALES: dict[str, DemoScale] = {
    "community": DemoScale("社区", 300, 6, 25, 3),
    "street": DemoScale("街道", 5_000, 12, 60, 4),
    "district": DemoScale("区", 30_000, 36, 300, 4),
}


# -- compact data tables -------------------------------------------------------
def _words(text: str) -> tuple[str, ...]:
    """A table written as whitespace-separated words (keeps long lists readable)."""
    return tuple(text.split())


def _weighted(text: str) -> tuple[tuple[str, float], ...]:
    """Weighted words: '王:7 李:7.5' -> (('王', 7.0), ('李', 7.5))."""
    pairs = (word.partition(":") for word in text.split())
    return tuple((key, float(weight)) for key, _, weight in pairs)


# -- geography -----------------------------------------------------------------
DISTRICT_NAME, DISTRICT_CODE = "江北区", "500105"


@dataclass(frozen=True)
class _Street:
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


def _parse_streets(table: str) -> tuple[_Street, ...]:
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
        streets.append(_Street(name, code, float(weight), _words(communities), _words(roads)))
    return tuple(streets)


_STREETS = _parse_streets(_STREET_TABLE)
_RIVERSIDE = frozenset({"江北城街道", "寸滩街道", "郭家沱街道", "鱼嘴镇"})  # 低洼地带 more often
_COMMUNITY_SITE = ("观音桥街道", "建新东路社区")


@dataclass(frozen=True)
class _Community:
    street: _Street
    name: str
    code: str  # 12 digits
    roads: tuple[str, ...]

    @property
    def village(self) -> bool:
        return self.name.endswith("村")

    @property
    def town(self) -> bool:
        return self.street.name.endswith("镇")


def _communities(street: _Street) -> list[_Community]:
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
        out.append(_Community(street, name, code, tuple(dict.fromkeys(mine))))
    return out


# -- calendar ------------------------------------------------------------------
# Public holidays (放假 first..last) and the weekend days worked instead (调休上班),
# from the State Council notices.  Years not listed fall back to the fixed-date
# holidays only.
_HOLIDAY_TABLE = """
2022 元旦 01-01..01-03 春节 01-31..02-06 清明节 04-03..04-05 劳动节 04-30..05-04
     端午节 06-03..06-05 中秋节 09-10..09-12 国庆节 10-01..10-07
     调休 01-29 01-30 04-02 04-24 05-07 10-08 10-09
2023 元旦 01-01..01-02 春节 01-21..01-27 清明节 04-05..04-05 劳动节 04-29..05-03
     端午节 06-22..06-24 中秋节、国庆节 09-29..10-06
     调休 01-28 01-29 04-23 05-06 06-25 10-07 10-08
2024 元旦 01-01..01-01 春节 02-10..02-17 清明节 04-04..04-06 劳动节 05-01..05-05
     端午节 06-08..06-10 中秋节 09-15..09-17 国庆节 10-01..10-07
     调休 02-04 02-18 04-07 04-28 05-11 09-14 09-29 10-12
2025 元旦 01-01..01-01 春节 01-28..02-04 清明节 04-04..04-06 劳动节 05-01..05-05
     端午节 05-31..06-02 国庆节、中秋节 10-01..10-08
     调休 01-26 02-08 04-27 09-28 10-11
2026 元旦 01-01..01-03 春节 02-15..02-23 清明节 04-04..04-06 劳动节 05-01..05-05
     端午节 06-19..06-21 中秋节 09-25..09-27 国庆节 10-01..10-07
     调休 01-04 02-14 02-28 05-09 09-20 10-10
"""
_FALLBACK_HOLIDAYS = "元旦 01-01..01-01 劳动节 05-01..05-03 国庆节 10-01..10-07"


def _parse_holidays(table: str) -> dict[int, tuple[list[tuple[str, str, str]], list[str]]]:
    """Year -> ([(name, first, last)], [makeup workdays]), dates as MM-DD."""
    out: dict[int, tuple[list[tuple[str, str, str]], list[str]]] = {}
    year = 0
    for line in table.strip().splitlines():
        words = line.split()
        if not line.startswith(" "):
            year, words = int(words[0]), words[1:]
            out[year] = ([], [])
        if words[0] == "调休":
            out[year][1].extend(words[1:])
            continue
        for name, span in zip(words[::2], words[1::2], strict=True):
            first, last = span.split("..")
            out[year][0].append((name, first, last))
    return out


_HOLIDAYS = _parse_holidays(_HOLIDAY_TABLE)


def _holidays(year: int) -> dict[int, str]:
    """Ordinal -> holiday name for one year."""
    fallback = _parse_holidays(f"{year} {_FALLBACK_HOLIDAYS}")[year]
    out: dict[int, str] = {}
    for name, first, last in _HOLIDAYS.get(year, fallback)[0]:
        day = date.fromisoformat(f"{year}-{first}").toordinal()
        end = date.fromisoformat(f"{year}-{last}").toordinal()
        for o in range(day, end + 1):
            out[o] = name
    return out


def _makeup_workdays(year: int) -> list[int]:
    days = _HOLIDAYS[year][1] if year in _HOLIDAYS else []
    return [date.fromisoformat(f"{year}-{d}").toordinal() for d in days]


def _festival_eves(year: int) -> list[int]:
    """First day of 春节 and of 中秋 (慰问 visits happen in the days before)."""
    spans = _HOLIDAYS[year][0] if year in _HOLIDAYS else []
    return [
        date.fromisoformat(f"{year}-{first}").toordinal()
        for name, first, _ in spans
        if "春节" in name or "中秋" in name
    ]


@lru_cache(maxsize=8192)
def _iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


# -- names ---------------------------------------------------------------------
_SURNAMES = _weighted("""
    王:7 李:7.5 张:6.5 刘:5.5 陈:5.5 杨:3.5 黄:2 赵:1.5 吴:2 周:2 徐:1.5 孙:1 马:1 朱:1
    胡:1.5 郭:1 何:2.2 高:1 林:0.8 罗:2.2 郑:1 梁:0.8 谢:1.2 宋:0.8 唐:1.8 许:0.7 韩:0.6
    冯:0.9 邓:1.6 曹:0.6 彭:1.2 曾:1.2 肖:1.1 田:0.9 董:0.5 袁:1.1 潘:0.4 蒋:0.9 蔡:0.4
    余:1.1 杜:0.8 叶:0.5 程:0.5 苏:0.4 魏:0.4 吕:0.4 丁:0.4 任:0.7 姚:0.4 卢:0.4 钟:0.5
    谭:1.1 汪:0.3 范:0.4 石:0.4 廖:0.7 夏:0.4 付:0.6 方:0.3 邹:0.4 熊:0.7 秦:0.5 邱:0.4
    江:0.4 尹:0.3 段:0.3 雷:0.5 侯:0.3 龙:0.4 陶:0.3 贺:0.3 毛:0.3 龚:0.4 万:0.3 覃:0.2
    戴:0.3 向:0.7 冉:0.4 牟:0.3 况:0.1 单:0.15 解:0.1 仇:0.1 查:0.08
    欧阳:0.15 司马:0.05 诸葛:0.02
""")
_SURNAME_LIST = tuple(s for s, _ in _SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in _SURNAMES)


def _surname_of(name: str) -> str:
    return name[:2] if name[:2] in _SURNAME_LIST else name[0]


# Given names by generation (born before 1965 / 1965-1999 / 2000 and after).
_GIVEN: dict[tuple[str, int], tuple[str, ...]] = {
    ("男", 0): _words("""
        建国 国华 德明 志强 光荣 永福 明亮 德才 正华 家贵 树林 开明 世荣 永红 国庆 成林 长青
        天福 大明 建华 学文 洪昌 绍华 德胜 福林 泽民 光明 庆 华 福 贵 明 德 林 荣 成"""),
    ("女", 0): _words("""
        桂英 秀英 淑芬 玉兰 秀兰 桂兰 素芳 凤英 淑华 玉珍 桂芳 德芳 秀珍 翠华 素珍 明芬 玉梅
        群芳 国英 碧华 泽芬 正芬 光碧 素华 英 兰 珍 芬 琼 秀"""),
    ("男", 1): _words("""
        伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 波 林 峰 建 东 海 江 川 兵 建军 志刚
        晓东 海涛 建平 小军 国强 文杰 洪波 红军 永刚 德勇 成刚 小平 建伟 志勇 俊杰 海波 明辉
        晓峰 大勇 云川 中华 小龙"""),
    ("女", 1): _words("""
        芳 娜 敏 静 丽 艳 娟 霞 燕 萍 红 梅 琴 慧 莉 玲 英 兰 琼 蓉 小红 丽华 晓燕 红梅 春梅
        丽娟 小琴 海燕 晓霞 秀琼 小英 晓梅 丽萍 红英 雪梅 玉洁 静雯 小芳 春燕 晓丽 德容 明秀"""),
    ("男", 2): _words("""
        子涵 浩宇 宇轩 梓轩 俊熙 一鸣 浩然 子墨 思远 博文 宇航 皓轩 明轩 子豪 天佑 嘉豪 睿 轩
        浩 宇 杰 博 鑫 阳"""),
    ("女", 2): _words("""
        欣怡 雨桐 梓涵 子萱 一诺 思琪 雨萱 诗涵 佳怡 可馨 语嫣 梦瑶 紫涵 若曦 芊芊 悦 琪 涵
        彤 欣 璐 瑶"""),
}
# Very common names: they must exist more than once (search must tell them apart).
_COMMON = {
    "男": _words("张伟 王伟 李强 刘洋 王磊 张勇"),
    "女": _words("王芳 李娜 张敏 刘芳 陈静 王静"),
}
# Given to the first primary persons of the right sex born 1950-1995, in this order:
# duplicates of common names, compound surnames and surnames read differently.
_FORCED_NAMES = tuple(
    (word[0], word[1:])
    for word in _words(
        "女王芳 男张伟 女王芳 男张伟 女李娜 女李娜 男欧阳志强 女单丽 男曾建华 女司马玉兰 男解放 女查秀英"
    )
)
_OPERATOR_NAMES = (
    ("刘晓燕", "13908310426"),
    ("陈建国", "13594017732"),
    ("何丽", "18623056619"),
    ("谭静", "15823374480"),
)

# -- area codes (where the ID number was first assigned) --------------------------
_SICHUAN_CQ = _words("510202 510203 510212 510213 510214 510215 510219")  # 重庆 in 四川
_SICHUAN = _words("510104 510106 511302 510722 511102 513701 510502")
_CHONGQING = _words("500103 500106 500108 500112 500101 500113 500229 500235 500236 500243")
_ELSEWHERE = _words("420106 430102 522101 530102 610113 440305")

# -- people ------------------------------------------------------------------------
_AGE_BANDS = ((3, 5), (6, 15), (16, 29), (30, 44), (45, 59), (60, 74), (75, 84), (85, 95))
_AGE_WEIGHTS = (1.2, 4.5, 7, 11, 24, 30, 16, 6.3)
_CATEGORY_BY_AGE = {  # weights for 1..7
    "child": (5, 10, 10, 15, 33, 9, 18),
    "adult": (9, 8, 3, 42, 13, 17, 8),
    "old": (16, 17, 2, 46, 3, 6, 10),
}
_LEVEL_BY_CATEGORY = {  # weights for 一级..四级
    1: (15, 20, 30, 35),
    2: (10, 20, 30, 40),
    3: (10, 15, 35, 40),
    4: (8, 17, 30, 45),
    5: (10, 25, 40, 25),
    6: (5, 30, 45, 20),
    7: (25, 35, 25, 15),
}
_MOBILE_PREFIXES = _words("""
    133 135 136 137 138 139 150 151 152 157 158 159 177 178 180 181 182 183 185 186 187 188
    189 191 199""")
_STATUS_REASONS = {
    "moved": _words("户籍迁往渝北区 随子女迁居外省 户籍迁往南岸区 入住外区养老机构"),
    "deceased": _words("病故 因病去世 自然死亡 意外身故"),
    "cancelled": _words("残疾人证有效期满未换领 复评不再符合残疾标准 重复持证，注销其一"),
}

# -- visits ------------------------------------------------------------------------
_METHOD_CODES = ("phone", "home", "wechat", "meet")
_METHODS_BY_TIER = {
    "A": (_METHOD_CODES, (45, 35, 10, 10)),
    "B": (_METHOD_CODES, (35, 45, 10, 10)),
    "C": (_METHOD_CODES, (30, 50, 8, 12)),
}
_CHECKS = tuple(codes.VISIT_CHECKLIST)
_CHECKLIST_JSON = {
    "home": (
        json.dumps(sorted(_CHECKS)),
        json.dumps(sorted(_CHECKS[:5])),
        json.dumps(sorted(("address", "living", "needs", "family"))),
    ),
    "meet": (
        json.dumps(sorted(("phone", "living", "needs", "policies"))),
        json.dumps(sorted(("living", "needs"))),
    ),
    "phone": (
        json.dumps(sorted(("phone", "living", "needs"))),
        json.dumps(sorted(("phone", "living"))),
        json.dumps(["living"]),
    ),
}
_CHECKLIST_JSON["wechat"] = _CHECKLIST_JSON["phone"]
_PROBLEM_TEXT = {
    "living": (
        "家庭收入低，日常开支困难",
        "低保金不足以维持基本生活，希望申请临时救助",
        "冬季取暖费用负担重",
    ),
    "health": (
        "近期血压偏高，需定期复查",
        "褥疮复发，需上门护理",
        "腿部疼痛加重，行走困难",
        "药快吃完了，家属无暇去医院开药",
    ),
    "housing": ("房屋墙体开裂，雨天漏水", "楼道灯坏了，夜间出行不便", "厨房燃气管老化"),
    "care": (
        "主要照护人住院，暂时无人照料",
        "照护人年迈，照护力不从心",
        "子女在外务工，白天无人照看",
    ),
    "mental": ("情绪低落，不愿出门", "近期睡眠差，家属反映情绪波动大", "未按时服药，家属担心复发"),
    "employment": ("希望找一份力所能及的工作", "辅助性就业岗位待安排", "咨询盲人按摩培训"),
    "education": (
        "孩子入学需无障碍支持",
        "送教上门老师调整，需要对接",
        "孩子在校受到排斥，家长担心",
    ),
    "policy": (
        "符合条件但未享受重度残疾人护理补贴",
        "护理补贴申请材料尚未提交",
        "医保未续费",
        "残疾人证即将到期，需换领",
    ),
    "barrier": ("卫生间无扶手，如厕困难", "家门口台阶多，轮椅进出困难", "楼栋无电梯，下楼困难"),
    "other": ("咨询辅助器具申领流程", "咨询残疾人乘车优惠办理", "希望参加社区文体活动"),
}
_PROBLEM_REFERRAL = {
    "living": ("civil", "street"),
    "health": ("health", "medical_ins"),
    "housing": ("housing",),
    "care": ("civil",),
    "mental": ("health",),
    "employment": ("hr",),
    "education": ("education",),
    "policy": ("civil", "street", "medical_ins"),
    "barrier": ("street", "housing"),
    "other": ("other", "legal"),
}
_HELP_TEXT = (
    "当场讲解政策，协助准备申请材料",
    "联系社区家庭医生上门",
    "已上报街道残联",
    "协调物业维修",
    "联系家属加强照护",
    "送去米、油等生活物资",
    "帮助预约医院复查",
    "协助在线办理续费",
)
_FOLLOWUP_TEXT = {
    "living": "跟进临时救助申请结果",
    "health": "回访身体状况，确认是否就医",
    "housing": "联系住建部门核查房屋安全",
    "care": "落实临时照护人员",
    "mental": "联系精神卫生社工随访",
    "employment": "推荐辅助性就业岗位",
    "education": "与学校沟通入学支持",
    "policy": "跟进补贴申请进度",
    "barrier": "申报无障碍改造",
    "other": "答复咨询事项",
}
_OUTCOMES = (
    "已办结",
    "已协助办理，补贴下月起发放",
    "家属已接回照护",
    "已维修完毕",
    "已电话回访，情况稳定",
    "已转介相关部门处理并反馈",
)
_VISIT_NOTES = {
    "home": (
        "身体状况稳定，家属照顾到位。",
        "居住环境整洁，生活基本能自理。",
        "老人精神较好，叮嘱注意防滑。",
        "家中药品充足，按时服药。",
        "了解近期康复训练情况，进展良好。",
    ),
    "phone": ("电话联系本人，近况良好。", "电话联系家属，反映情况稳定。", "电话提醒按时领取补贴。"),
    "wechat": ("视频通话，精神状态好。", "微信联系家属，发送政策通知。"),
    "meet": ("在渝馨家园见面，状态良好。", "来社区办事时见面了解情况。"),
}
_FESTIVAL_HELP = "送去慰问金和米、油等慰问品"
_EMERGENCY_NOTE = "高温天气电话问候，提醒防暑降温、保持电话畅通"

# -- notes -------------------------------------------------------------------------
_NOTE_TEXT = {
    "need": (
        "{n}希望申请一辆轮椅，已登记，待街道残联统一采购。",
        "{n}希望参加社区康复训练，每周两次。",
        "家属希望{n}能到渝馨家园参加日间照料。",
        "{n}需要助听器验配，已告知申请流程。",
    ),
    "difficulty": (
        "{n}家庭收入低，医疗费用负担重。",
        "照护人身体不好，{n}日常照料困难。",
        "{n}住房老旧，楼层高，出行不便。",
    ),
    "plan": (
        "服务计划：每月电话随访，每季度入户；协助{n}办理护理补贴。",
        "服务计划：联系家庭医生每月上门一次，关注{n}用药情况。",
        "服务计划：为{n}申报家庭无障碍改造，预计下季度完成。",
    ),
    "progress": (
        "{n}的护理补贴已审批，本月起发放。",
        "{n}已适配轮椅，使用情况良好。",
        "{n}已参加三次康复训练，行走有改善。",
        "{n}的无障碍改造已完成验收。",
    ),
    "other": ("{n}家属更换了联系电话，已更新。", "{n}咨询残疾人证换领事宜，已解答。"),
}
_NOTE_DRAFTS = ("（初稿）{b}", "{b}待核实。")

# -- 渝馨家园 ------------------------------------------------------------------------
_WEEKDAY_PLANS = _weighted("12345:55 135:15 24:10 1234:5 2345:5 15:5 3:5")
_LEAVE_NOTES = ("病假", "事假", "就医复查", "家中有事", "天气原因")
_MEMBER_END_REASONS = ("迁出本社区", "入住养老机构", "本人不再参加", "已实现就业")
_CLOSURE_EXTRA = ("设施检修", "消防演练停课一天", "暴雨预警停课")
_HOUSEHOLD_NOTES = (
    "子女在外地务工",
    "白天家中无人，请电话预约后上门",
    "家中养狗，入户前先电话联系",
    "耳背，敲门需用力",
)


# ==================================================================================
@dataclass(slots=True)
class _Person:
    id: str
    name: str
    sex: str
    birth: date
    age: int
    id_number: str
    relation: str = ""
    category: int | None = None
    level: int | None = None
    cert: str | None = None
    phone: str = ""
    status: str = codes.ACTIVE
    status_date: str = ""
    status_reason: str = ""
    until: int = 10**7  # ordinal of the day they left the register
    care: list[str] = field(default_factory=list)
    device: str = ""
    benefits: list[str] = field(default_factory=list)
    school: str = ""
    tier: str = ""  # by the site's tier rules (A weekly, B monthly, C quarterly by default)
    version: int = 1
    updated_at: str = ""

    @property
    def certified(self) -> bool:
        return self.category is not None

    @property
    def severe(self) -> bool:
        return self.level in codes.SEVERE_LEVELS


@dataclass(slots=True)
class _Household:
    id: str
    community: _Community
    address: str
    building: str
    unit: str
    room: str
    grid: str
    persons: list[_Person] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    phone: str = ""
    guardian: _Person | None = None
    guardian_relation: str = ""
    emergency_contact: str = ""
    emergency_phone: str = ""
    note: str = ""
    tier: str = "C"
    owner: int = 0  # index of the operator in charge

    def certified(self) -> list[_Person]:
        return [p for p in self.persons if p.certified]

    @property
    def poor(self) -> bool:
        return any(f in codes.POOR_FLAGS for f in self.flags)


@dataclass(slots=True)
class _Compound:
    """A residential compound (road + number, buildings) or a village group (组)."""

    road: str
    number: int
    buildings: int
    units: int
    floors: int
    grid: int


# Parents before children, so that every foreign key finds its row.
_TABLE_ORDER = (
    "households",
    "persons",
    "visits",
    "visit_visitors",
    "visit_persons",
    "followups",
    "notes",
    "note_revisions",
    "daycare_closures",
    "daycare_members",
    "attendance",
)
_CHUNK = 20_000


class _Writer:
    """Rows waiting for executemany, per table, flushed parents first."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pending: dict[str, list[dict[str, Any]]] = {t: [] for t in _TABLE_ORDER}
        self.counts: dict[str, int] = dict.fromkeys(_TABLE_ORDER, 0)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.pending[table].append(row)

    def size(self) -> int:
        return sum(len(rows) for rows in self.pending.values())

    def flush(self) -> None:
        for table, rows in self.pending.items():
            if not rows:
                continue
            columns = list(rows[0])
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})",
                rows,
            )
            self.counts[table] += len(rows)
            rows.clear()


def _codes_json(values: Iterable[str]) -> str:
    """A list of codes as the register stores it (sorted JSON array)."""
    return json.dumps(sorted(values))


# ==================================================================================
class _Builder:
    def __init__(
        self,
        store: Store,
        scale: DemoScale,
        scale_name: str,
        seed: int,
        today: date,
        progress: Progress | None,
        certified: int,
    ) -> None:
        self.store = store
        self.out = _Writer(store.db.conn)
        self.scale = scale
        self.scale_name = scale_name
        self.rng = random.Random(seed)
        self.today = today
        self.today_o = today.toordinal()
        self.start_o = (today - timedelta(days=round(scale.months * 30.44))).toordinal()
        self.progress = progress
        self.tier_settings = tier_store.get_settings(store)
        self.certified_target = certified
        self.used_ids: set[str] = set()
        self.forced = list(_FORCED_NAMES)
        self.households: list[_Household] = []
        self.operators: list[Operator] = []
        self.last_visit: dict[str, tuple[str, str]] = {}  # person id -> (date, method)
        self.roster_at = f"{_iso(self.start_o - 21)}T09:30:00"  # when the roster was loaded
        self.holidays: dict[int, str] = {}
        self.makeup: set[int] = set()
        self.festivals: list[int] = []
        for year in range(date.fromordinal(self.start_o).year - 1, today.year + 2):
            self.holidays.update(_holidays(year))
            self.makeup.update(_makeup_workdays(year))
            self.festivals += _festival_eves(year)

    # -- helpers -----------------------------------------------------------------
    def report(self, label: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(label, done, total)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _record(
        self, at: str, by: str, *, updated_at: str = "", version: int = 1, record_id: str = ""
    ) -> dict[str, Any]:
        """The bookkeeping columns every record table has."""
        return {
            "id": record_id or self._uuid(),
            "version": version,
            "created_at": at,
            "created_by": by,
            "updated_at": max(updated_at, at),
            "updated_by": by,
        }

    def _is_workday(self, o: int) -> bool:
        if o in self.makeup:
            return True
        return o % 7 not in (0, 6) and o not in self.holidays  # ordinal % 7: 0 is a Sunday

    def _is_open_day(self, o: int) -> bool:
        """渝馨家园 opens Monday to Friday except public holidays."""
        return o % 7 not in (0, 6) and o not in self.holidays

    def _next_workday(self, o: int) -> int:
        while not self._is_workday(o):
            o += 1
        return o

    def _mobile(self) -> str:
        return self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _landline(self) -> str:
        exchange = self.rng.choice(("67", "86", "88", "89"))
        return f"023{exchange}{self.rng.randrange(10**6):06d}"

    def _stamp(self, o: int, hour_lo: int = 9, hour_hi: int = 17) -> str:
        rng = self.rng
        return f"{_iso(o)}T{rng.randint(hour_lo, hour_hi):02d}:{rng.randrange(60):02d}:00"

    def _chance(self, p: float) -> bool:
        return self.rng.random() < p

    # -- names and ID numbers --------------------------------------------------------
    def _name(
        self, sex: str, birth_year: int, surname: str | None = None, common: bool = False
    ) -> str:
        """A name; `common` lets a primary person take a forced or very common name."""
        rng = self.rng
        if surname is None and common:
            for i, (forced_sex, forced) in enumerate(self.forced):
                if forced_sex == sex and 1950 <= birth_year <= 1995:
                    del self.forced[i]
                    return forced
            if 1955 <= birth_year <= 2000 and rng.random() < 0.03:
                return rng.choice(_COMMON[sex])
        if surname is None:
            surname = rng.choices(_SURNAME_LIST, _SURNAME_WEIGHTS)[0]
        era = 0 if birth_year < 1965 else 1 if birth_year < 2000 else 2
        return surname + rng.choice(_GIVEN[sex, era])

    def _area_code(self, birth_year: int, town: bool) -> str:
        """Where a number was first assigned: Sichuan-era codes for the older people."""
        rng = self.rng
        r = rng.random()
        home_old = "510224" if town else "510211"  # 江北县 (the towns) / 江北区, 1983-1997
        if birth_year < 1990:
            if r < 0.75:
                return home_old
            if r < 0.85:
                return rng.choice(_SICHUAN_CQ)
            return rng.choice(_SICHUAN if r < 0.94 else _ELSEWHERE)
        if birth_year < 1997:
            if r < 0.5:
                return home_old
            return DISTRICT_CODE if r < 0.9 else rng.choice(_CHONGQING)
        if birth_year >= 2019 and self.today >= date(2025, 11, 1) and r < 0.08:
            return "500157"  # household registration done late, after the move to 两江新区
        if r < 0.85:
            return DISTRICT_CODE
        return rng.choice(_CHONGQING if r < 0.95 else _ELSEWHERE)

    def _id_number(self, birth: date, sex: str, town: bool) -> str:
        area = self._area_code(birth.year, town)
        parity = 1 if sex == "男" else 0
        while True:
            number = ids.make_id(area, birth, self.rng.randrange(500) * 2 + parity)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def _person(
        self,
        age: int,
        sex: str,
        relation: str,
        town: bool,
        surname: str | None = None,
        common: bool = False,
    ) -> _Person:
        days = int(max(0, min(age, 99)) * 365.2425) + self.rng.randrange(365)
        birth = date.fromordinal(self.today_o - days)
        if (birth.month, birth.day) == (2, 29):
            birth = birth.replace(day=28)
        t = self.today
        return _Person(
            id=self._uuid(),
            name=self._name(sex, birth.year, surname, common),
            sex=sex,
            birth=birth,
            age=age_on(birth, t),
            id_number=self._id_number(birth, sex, town),
            relation=relation,
        )

    # -- disability, care and benefits ---------------------------------------------
    def _certify(self, p: _Person) -> None:
        rng = self.rng
        group = "child" if p.age < 16 else "old" if p.age >= 60 else "adult"
        category = rng.choices(range(1, 8), _CATEGORY_BY_AGE[group])[0]
        level = rng.choices(range(1, 5), _LEVEL_BY_CATEGORY[category])[0]
        r = rng.random()
        reissue = 1 if r < 0.06 else 2 if r < 0.07 else 0  # 补发 B1/B2
        p.category, p.level = category, level
        p.cert = ids.make_certificate(p.id_number, category, level, reissue)

    def _care(self, p: _Person) -> None:
        chance = self._chance
        cat, severe, age = p.category, p.severe, p.age
        bedridden = (
            (cat in (4, 7) and p.level == 1 and chance(0.3))
            or (p.level == 2 and age >= 70 and chance(0.1))
            or (age >= 85 and chance(0.05))
        )
        device = ""
        if bedridden and age >= 55 and chance(0.3):
            device = "制氧机"
        elif bedridden and chance(0.04):
            device = "呼吸机"
        elif cat == 4 and severe and chance(0.12):
            device = "电动轮椅"
        elif age >= 50 and severe and chance(0.005):
            device = "透析设备"
        evac = (
            bedridden
            or (cat == 4 and severe and chance(0.8))
            or (cat == 1 and severe and age >= 60)
            or (age >= 85 and chance(0.6))
            or device == "电动轮椅"
        )
        deaf_text = (cat == 2 and ((severe and chance(0.8)) or chance(0.3))) or (
            cat == 7 and chance(0.1)
        )
        blind = cat == 1 and (severe or chance(0.3))
        p.care = [
            flag
            for flag, on in (
                ("bedridden", bedridden),
                ("powered_device", bool(device)),
                ("evac_help", evac),
                ("deaf_text", deaf_text),
                ("blind", blind),
            )
            if on
        ]
        p.device = device
        if 6 <= age <= 15:
            weights = (58, 27, 11, 4) if severe else (80, 15, 3, 2)
            p.school = self.rng.choices(("regular", "special", "home", "not_enrolled"), weights)[0]

    def _benefits(self, p: _Person, hh: _Household) -> None:
        """Roughly what the rules give, with shortfalls (the indicators' point)."""
        chance = self._chance
        cat, severe, age = p.category, p.severe, p.age
        in_school = p.school in codes.ENROLLED_SCHOOL or (16 <= age <= 20 and chance(0.4))
        got = {
            # Most 重度 receive 护理补贴, some do not; a few districts extend it to 智力/精神.
            "care_subsidy": chance(0.88) if severe else cat in (5, 6) and chance(0.05),
            "living_subsidy": ("dibao" in hh.flags and chance(0.9))
            or ("tekun" in hh.flags and chance(0.5)),
            "in_school": in_school,
            "pension_ins": age >= 16 and not in_school and chance(0.87),
            "medical_ins": chance(0.96),
            "family_doctor": chance(0.88),
        }
        if chance(0.6 if severe else 0.35):
            got["rehab_needed"], got["rehab_received"] = True, chance(0.8)
        if cat in (1, 2, 4, 7) and chance(0.35):
            got["device_needed"], got["device_fitted"] = True, chance(0.8)
        if (hh.poor or severe) and cat in (1, 4, 7) and chance(0.6):
            got["barrier_free_needed"], got["barrier_free_done"] = True, chance(0.7)
        p.benefits = [code for code in codes.BENEFITS if got.get(code)]

    def _status(self, p: _Person) -> None:
        """About 5% have left the register (迁出/死亡/注销), with a date and a reason."""
        rng = self.rng
        r = rng.random()
        death = 0.10 if p.age >= 80 else 0.03 if p.age >= 60 else 0.005
        if r < death:
            status = "deceased"
        elif r < death + 0.02:
            status = "moved"
        elif r < death + 0.025:
            status = "cancelled"
        else:
            return
        o = self.today_o - 1 - rng.randrange(self.today_o - self.start_o + 180)
        p.status, p.until, p.status_date = status, o, _iso(o)
        p.status_reason = rng.choice(_STATUS_REASONS[status])
        p.version = 2
        p.updated_at = f"{_iso(max(o, self.start_o - 20))}T10:{rng.randrange(60):02d}:00"

    # -- addresses -------------------------------------------------------------------
    def _compounds(self, community: _Community, households: int) -> list[_Compound]:
        if community.village:  # 村民小组, about 60 households with a disabled member each
            groups = max(6, households // 60 + 1)
            return [_Compound("", g, 0, 0, 0, (g - 1) // 2 + 1) for g in range(1, groups + 1)]
        rng = self.rng
        n = max(6, households // 12)
        grids = max(3, min(12, households // 40 + 3))
        return [
            _Compound(
                road=community.roads[i % len(community.roads)],
                number=rng.randint(1, 180),
                buildings=rng.randint(1, 12),
                units=rng.randint(1, 4),
                floors=rng.choice((6, 7, 8, 11, 18, 26, 32)),
                grid=i * grids // n + 1,
            )
            for i in range(n)
        ]

    def _address(
        self, hh_id: str, community: _Community, compounds: list[_Compound], used: set[str]
    ) -> _Household:
        """A household at a free address: 观音桥街道建新东路12号 3栋2单元301."""
        rng = self.rng
        prefix = community.street.name
        for _ in range(10_000):
            c = rng.choice(compounds)
            building = unit = room = ""
            if community.village:
                address = f"{prefix}{community.name}{c.number}组{rng.randint(1, 150)}号"
            else:
                floor, door = rng.randint(1, c.floors), rng.randint(1, 4)
                if c.floors <= 8 and rng.random() < 0.15:  # old style: 12号3-2
                    room = f"{floor}-{door}"
                    address = f"{prefix}{c.road}{c.number}号{room}"
                else:
                    building = f"{rng.randint(1, c.buildings)}栋"
                    unit = f"{rng.randint(1, c.units)}单元"
                    room = f"{floor}{door:02d}"
                    address = f"{prefix}{c.road}{c.number}号 {building}{unit}{room}"
            if address not in used:
                used.add(address)
                return _Household(
                    hh_id, community, address, building, unit, room, f"第{c.grid}网格"
                )
        raise AssertionError(f"no free address left in {community.name}")

    # -- households --------------------------------------------------------------------
    def _household(
        self, community: _Community, compounds: list[_Compound], used: set[str], n_cert: int
    ) -> _Household:
        rng = self.rng
        hh = self._address(self._uuid(), community, compounds, used)
        sex = "男" if rng.random() < 0.55 else "女"
        age = rng.randint(*rng.choices(_AGE_BANDS, _AGE_WEIGHTS)[0])
        primary = self._person(age, sex, "户主", community.town, common=True)
        self._certify(primary)
        hh.persons = [primary]
        carer_age = self._family(hh, primary)
        self._more_certified(hh, primary, n_cert - 1)
        certified = hh.certified()

        flags = hh.flags
        r = rng.random()
        poor_p = 0.11 + 0.06 * any(p.severe for p in certified) + 0.1 * (len(certified) > 1)
        if "alone" in flags and age >= 70 and r < 0.05:
            flags.append("tekun")
        elif r < poor_p:
            flags.append("dibao")
        elif r < poor_p + 0.04:
            flags.append("dibao_edge")
        if len(certified) > 1:
            flags.append("multi_disabled")
        if carer_age >= 60 and primary.relation == "子女" and hh.guardian is not None:
            flags.append("elderly_carer")
        if self._chance(0.06 if community.village else 0.015):
            flags.append("unsafe_house")
        low = community.village or community.street.name in _RIVERSIDE
        if self._chance(0.08 if low else 0.01):
            flags.append("low_lying")
        for p in certified:
            self._care(p)
            self._benefits(p, hh)
        needs_care = any("bedridden" in p.care or p.severe for p in certified)
        if "alone" in flags and needs_care and self._chance(0.5):
            flags.append("no_carer")
        self._contacts(hh, primary)
        for p in certified:
            self._status(p)
        hh.tier = self._tier(hh)
        hh.owner = rng.randrange(len(self.operators))
        return hh

    def _family(self, hh: _Household, primary: _Person) -> int:
        """Add the family members who are recorded; return the main carer's age."""
        rng = self.rng
        town = hh.community.town
        age, sex, cat = primary.age, primary.sex, primary.category
        surname = _surname_of(primary.name)
        other_sex = "女" if sex == "男" else "男"

        def add(member: _Person, guardian_relation: str = "") -> int:
            hh.persons.append(member)
            if guardian_relation:
                hh.guardian, hh.guardian_relation = member, guardian_relation
            return member.age

        def relative(age: int, sex: str, relation: str, kin: bool) -> _Person:
            """`kin`: carries the family surname (father, or child of a father)."""
            return self._person(age, sex, relation, town, surname if kin else None)

        child_kin = sex == "男"  # children take their father's surname

        if age < 22:  # a child or young adult: a parent heads the household
            primary.relation = "子女"
            father = relative(age + rng.randint(24, 38), "男", "户主", kin=True)
            mother = relative(father.age + rng.randint(-4, 2), "女", "配偶", kin=False)
            main = mother if rng.random() < 0.65 else father
            if rng.random() < 0.35:  # both parents recorded: father 户主, mother 配偶
                hh.persons += [father, mother]
            else:
                main.relation = "户主"
                hh.persons.append(main)
            if age < 18 or cat in (5, 6, 7):
                hh.guardian, hh.guardian_relation = main, "母亲" if main is mother else "父亲"
                return main.age
            return 0
        if cat in (5, 6) or (cat == 7 and primary.level == 1) or (age >= 75 and self._chance(0.3)):
            if age < 58:  # a parent cares for the disabled adult child
                primary.relation = "子女"
                parent_sex = "女" if rng.random() < 0.6 else "男"
                parent = relative(age + rng.randint(22, 34), parent_sex, "户主", parent_sex == "男")
                return add(parent, "母亲" if parent_sex == "女" else "父亲")
            if age < 75 and self._chance(0.5):
                spouse = relative(age + rng.randint(-5, 5), other_sex, "配偶", kin=False)
                return add(spouse, "配偶")
            primary.relation = "父母"
            child_sex = "男" if rng.random() < 0.5 else "女"
            child = relative(age - rng.randint(24, 34), child_sex, "户主", child_kin)
            return add(child, "儿子" if child_sex == "男" else "女儿")
        if age >= 60:
            r = rng.random()
            if r < 0.22:
                hh.flags.append("alone")
                return 0
            if r < 0.72:
                carer = 0
                if self._chance(0.3):
                    spouse = relative(age + rng.randint(-5, 5), other_sex, "配偶", kin=False)
                    carer = add(spouse)
                if self._chance(0.5):
                    hh.flags.append("empty_nest")
                return carer
            if self._chance(0.45):
                primary.relation = "父母"
                child_sex = "男" if rng.random() < 0.5 else "女"
                return add(relative(age - rng.randint(24, 34), child_sex, "户主", child_kin))
            return 0
        if self._chance(0.3):
            spouse = relative(age + rng.randint(-5, 5), other_sex, "配偶", kin=False)
            if self._chance(0.3):
                primary.relation, spouse.relation = "配偶", "户主"
            return add(spouse)
        return 0

    def _more_certified(self, hh: _Household, primary: _Person, extra: int) -> None:
        """一户多残: family members hold a certificate too (or one is added)."""
        for member in hh.persons[1:]:
            if extra and member.age >= 16:
                self._certify(member)
                extra -= 1
        surname = _surname_of(primary.name)
        for _ in range(extra):
            if primary.relation == "户主" and primary.age >= 40:
                relation, age = "子女", primary.age - self.rng.randint(22, 32)
            else:  # a brother or sister (a child of the head when the primary is one)
                relation = "子女" if primary.relation == "子女" else "兄弟姐妹"
                age = primary.age + self.rng.randint(-6, 6)
            sex = "男" if self.rng.random() < 0.5 else "女"
            member = self._person(max(age, 4), sex, relation, hh.community.town, surname)
            self._certify(member)
            hh.persons.append(member)

    def _contacts(self, hh: _Household, primary: _Person) -> None:
        rng = self.rng
        for p in hh.persons:
            if p.age >= 16 and (p.age < 80 or self._chance(0.6)) and self._chance(0.93):
                p.phone = self._mobile()
        if self._chance(0.3):
            hh.phone = self._landline()
        else:
            hh.phone = next((p.phone for p in hh.persons if p.phone), "")
        if hh.guardian is not None and not hh.guardian.phone:
            hh.guardian.phone = self._mobile()
        if self._chance(0.9):
            relative = rng.choice(("儿子", "女儿", "侄子", "外甥女", "邻居", "兄弟"))
            sex = "男" if relative in ("儿子", "侄子", "兄弟") else "女"
            surname = _surname_of(primary.name) if relative in ("儿子", "女儿", "兄弟") else None
            hh.emergency_contact = f"{self._name(sex, 1975, surname)}（{relative}）"
            hh.emergency_phone = self._mobile()
        if self._chance(0.05):
            hh.note = rng.choice(_HOUSEHOLD_NOTES)

    def _tier(self, hh: _Household) -> str:
        """Each certificate holder's tier by the site's rules; the household visits
        follow the most frequent one among those still in the register."""
        settings = self.tier_settings
        active = [p for p in hh.certified() if p.status == codes.ACTIVE]
        flags = frozenset(hh.flags)
        for p in hh.certified():
            facts = TierFacts(
                category=p.category,
                level=p.level,
                care_flags=frozenset(p.care),
                device_kind=p.device,
                household_flags=flags,
                certified_in_household=len(active),
                urgent_followup=False,
            )
            p.tier = tier_for(facts, settings).tier
        return self._most_frequent(p.tier for p in active or hh.certified())

    def _most_frequent(self, tiers: Iterable[str]) -> str:
        found = set(tiers)
        return next((t for t in self.tier_settings.order if t in found), "")

    def _plan(self) -> list[tuple[_Community, int]]:
        """How many certificate holders each community gets."""
        rng = self.rng
        home = next(s for s in _STREETS if s.name == _COMMUNITY_SITE[0])
        if self.scale_name == "community":
            community = next(c for c in _communities(home) if c.name == _COMMUNITY_SITE[1])
            return [(community, self.certified_target)]
        weighted: list[tuple[_Community, float]] = []
        for street in [home] if self.scale_name == "street" else _STREETS:
            communities = _communities(street)
            for community in communities:
                size = rng.uniform(0.6, 1.4) * (0.6 if community.village else 1.0)
                weighted.append((community, street.weight / len(communities) * size))
        total = sum(w for _, w in weighted)
        plan = [(c, max(1, round(self.certified_target * w / total))) for c, w in weighted]
        first, n = plan[0]
        plan[0] = (first, max(1, n + self.certified_target - sum(n for _, n in plan)))
        return plan

    def build_register(self) -> None:
        plan = self._plan()
        total = sum(n for _, n in plan)
        done = 0
        for community, quota in plan:
            compounds = self._compounds(community, int(quota / 1.2))
            used: set[str] = set()
            made = 0
            while made < quota:
                r = self.rng.random()
                n_cert = min(quota - made, 1 if r < 0.84 else 2 if r < 0.98 else 3)
                hh = self._household(community, compounds, used, n_cert)
                self.households.append(hh)
                made += len(hh.certified())
                if len(self.households) % 1000 == 0:
                    self.report("生成户籍", done + made, total)
            done += made
        self.report("生成户籍", done, total)

    def write_register(self) -> None:
        by = self.operators[0].name
        at = self.roster_at
        for hh in self.households:
            guardian = hh.guardian
            self.out.add(
                "households",
                {
                    **self._record(at, by, record_id=hh.id),
                    "division_code": hh.community.code,
                    "division_name": hh.community.name,
                    "address": hh.address,
                    "building": hh.building,
                    "unit": hh.unit,
                    "room": hh.room,
                    "grid": hh.grid,
                    "phone": hh.phone,
                    "flags": _codes_json(hh.flags),
                    "guardian_name": guardian.name if guardian else "",
                    "guardian_phone": guardian.phone if guardian else "",
                    "guardian_relation": hh.guardian_relation,
                    "emergency_contact": hh.emergency_contact,
                    "emergency_phone": hh.emergency_phone,
                    "note": hh.note,
                },
            )
            for p in hh.persons:
                self.out.add(
                    "persons",
                    {
                        **self._record(
                            at, by, updated_at=p.updated_at, version=p.version, record_id=p.id
                        ),
                        "household_id": hh.id,
                        "name": p.name,
                        "id_number": p.id_number,
                        "sex": p.sex,
                        "birth_date": p.birth.isoformat(),
                        "cert_number": p.cert,
                        "category": p.category,
                        "level": p.level,
                        "relation": p.relation,
                        "phone": p.phone,
                        "status": p.status,
                        "status_date": p.status_date,
                        "status_reason": p.status_reason,
                        "care_flags": _codes_json(p.care),
                        "device_kind": p.device,
                        "benefits": _codes_json(p.benefits),
                        "school": p.school,
                    },
                )
        self.out.flush()
        self.report("写入户籍", 1, 1)

    # -- visits ----------------------------------------------------------------------
    def _schedule(self, hh: _Household, start: int, end: int) -> list[tuple[int, str]]:
        """Visit days and purposes for one household, in date order."""
        rng = self.rng
        interval = self.tier_settings.intervals[hh.tier]
        out: list[tuple[int, str]] = []
        stop = end
        if rng.random() < 0.06:  # not visited lately: overdue now
            stop = end - int(interval * (1.3 + 2 * rng.random()))
        o = start + rng.randrange(interval)
        while o <= stop:
            if rng.random() >= 0.03:  # now and then a call at the weekend
                o = self._next_workday(o)
            if o > end:
                break
            out.append((o, "routine"))
            o += max(1, int(interval * (0.6 + 0.55 * rng.random())))
        if hh.tier != "C" or hh.poor:
            for eve in self.festivals:  # 春节/中秋 慰问
                o = self._next_workday(eve - rng.randint(3, 12))
                if start <= o <= end and o < eve:
                    out.append((o, "festival"))
        for year in range(date.fromordinal(start).year, date.fromordinal(end).year + 1):
            o = self._next_workday(date(year, 4, 1).toordinal() + rng.randrange(80))
            if start <= o <= end:  # 残疾人动态更新调查, April to June
                out.append((o, "survey"))
            heat = date(year, 8, 8).toordinal() + rng.randrange(10)
            if start <= heat <= end and (hh.tier == "A" or "alone" in hh.flags):
                out.append((heat, "emergency"))
        out.sort()
        return out

    def _problem_codes(self, hh: _Household, person: _Person) -> list[str]:
        rng = self.rng
        options = ["health", "other"]
        if hh.poor:
            options += ["living", "living"]
        if person.severe or "bedridden" in person.care:
            options += ["care", "health"]
        if "unsafe_house" in hh.flags:
            options += ["housing", "housing"]
        if person.category in (5, 6):
            options += ["mental", "mental"]
        if 6 <= person.age <= 15:
            options += ["education", "education"]
        elif 16 <= person.age <= 59:
            options.append("employment")
        if (person.severe and "care_subsidy" not in person.benefits) or rng.random() < 0.3:
            options += ["policy", "policy"]
        if "barrier_free_needed" in person.benefits and "barrier_free_done" not in person.benefits:
            options.append("barrier")
        first = rng.choice(options)
        second = rng.choice(options) if rng.random() < 0.2 else first
        return sorted({first, second})

    def _method(self, hh: _Household, day: int, purpose: str) -> str:
        rng = self.rng
        if purpose == "festival":
            return "home"
        if purpose == "survey":
            return "home" if rng.random() < 0.75 else "phone"
        if purpose == "emergency":
            return "phone"
        if day % 7 in (0, 6):
            return "phone" if rng.random() < 0.7 else "wechat"
        methods, weights = _METHODS_BY_TIER[hh.tier]
        return rng.choices(methods, weights)[0]

    def build_visits(self) -> None:
        total = len(self.households)
        for index, hh in enumerate(self.households):
            certified = hh.certified()
            end = min(self.today_o, max(p.until for p in certified) - 1)
            if end >= self.start_o:
                self._household_visits(hh, certified, end)
            if self.out.size() >= _CHUNK:
                self.out.flush()
                self.report("生成走访记录", index + 1, total)
        self.out.flush()
        self.report("生成走访记录", total, total)

    def _household_visits(self, hh: _Household, certified: list[_Person], end: int) -> None:
        schedule = self._schedule(hh, self.start_o, end)
        revisits: list[tuple[int, str]] = []
        last_day = -1
        while schedule or revisits:
            if revisits and (not schedule or revisits[0] <= schedule[0]):
                day, purpose = revisits.pop(0)
            else:
                day, purpose = schedule.pop(0)
            active = [p for p in certified if p.until > day]
            if day == last_day or day > end or not active:
                continue
            last_day = day
            revisit = self._visit(hh, day, purpose, active)
            if revisit and revisit <= end:
                revisits.append((revisit, "revisit"))
                revisits.sort()

    def _visit(self, hh: _Household, day: int, purpose: str, active: list[_Person]) -> int:
        """Write one visit; return the day of a revisit it calls for (0 for none)."""
        rng = self.rng
        ops = self.operators
        method = self._method(hh, day, purpose)
        focus = rng.choice(active)
        people = [focus]
        if method == "home":
            people = active + [p for p in hh.persons if not p.certified and rng.random() < 0.5]
        first = hh.owner if rng.random() < 0.85 else rng.randrange(len(ops))
        visitors = [ops[first]]
        if method == "home" and len(ops) > 1 and rng.random() < 0.4:
            visitors.append(ops[(first + 1 + rng.randrange(len(ops) - 1)) % len(ops)])
        row = {
            **self._record(self._stamp(day), visitors[0].name),
            "household_id": hh.id,
            "visit_date": _iso(day),
            "method": method,
            "purpose": purpose,
            "checklist": rng.choice(_CHECKLIST_JSON[method]),
            "problems": "[]",
            "problem_text": "",
            "help_given": _FESTIVAL_HELP if purpose == "festival" else "",
            "referrals": "[]",
            "note": _EMERGENCY_NOTE if purpose == "emergency" else "",
            "tier": self._most_frequent(p.tier for p in people if p.certified),
        }
        revisit = 0
        problem_p = {"A": 0.15, "B": 0.1, "C": 0.06}[hh.tier]
        if purpose == "survey":
            problem_p = 0.15
        elif purpose in ("festival", "revisit"):
            problem_p = 0.04
        if rng.random() < problem_p:
            found = self._problem_codes(hh, focus)
            row["problems"] = json.dumps(found)
            row["problem_text"] = "；".join(rng.choice(_PROBLEM_TEXT[c]) for c in found)
            row["help_given"] = rng.choice(_HELP_TEXT)
            if rng.random() < 0.3:
                referred = {rng.choice(_PROBLEM_REFERRAL[c]) for c in found}
                row["referrals"] = json.dumps(sorted(referred))
            if rng.random() < 0.3:
                revisit = self._next_workday(day + rng.randint(7, 20))
            if rng.random() < 0.5:
                self._followup(hh, focus, row["id"], day, found[0], visitors[0])
        if not row["note"] and rng.random() < 0.4:
            row["note"] = rng.choice(_VISIT_NOTES[method])
        self.out.add("visits", row)
        for op in visitors:
            self.out.add("visit_visitors", {"visit_id": row["id"], "operator_id": op.id})
        for p in people:
            self.out.add("visit_persons", {"visit_id": row["id"], "person_id": p.id})
            self.last_visit[p.id] = (row["visit_date"], method)
        return revisit

    def _followup(
        self, hh: _Household, person: _Person, visit_id: str, day: int, code: str, owner: Operator
    ) -> None:
        rng = self.rng
        urgent = code in ("care", "health", "housing") and rng.random() < 0.3
        due = day + (rng.randint(2, 7) if urgent else rng.randint(7, 30))
        late = self.today_o - due
        created = self._stamp(day, 14, 18)
        row = {
            **self._record(created, owner.name),
            "household_id": hh.id,
            "person_id": person.id,
            "source": "visit",
            "source_id": visit_id,
            "what": _FOLLOWUP_TEXT[code],
            "due_date": _iso(due),
            "urgent": int(urgent),
            "owner_id": owner.id,
            "status": "open",
            "closed_date": "",
            "outcome": "",
        }
        if rng.random() < (0.997 if late > 90 else 0.9 if late > 14 else 0.5 if late > 0 else 0.2):
            closed = min(self.today_o, day + rng.randint(1, max(2, due - day + 10)))
            row.update(
                status="closed",
                closed_date=_iso(closed),
                outcome=rng.choice(_OUTCOMES),
                version=2,
                updated_at=max(self._stamp(closed), created),
            )
        self.out.add("followups", row)

    def write_last_visits(self) -> None:
        self.out.conn.executemany(
            "UPDATE persons SET last_visit_date = ?, last_visit_method = ? WHERE id = ?",
            [(day, method, pid) for pid, (day, method) in self.last_visit.items()],
        )

    # -- notes -------------------------------------------------------------------------
    def build_notes(self) -> None:
        rng = self.rng
        rate = {"A": 0.3, "B": 0.1, "C": 0.03}  # notes per household and month
        span = self.today_o - self.start_o
        for hh in self.households:
            expected = rate[hh.tier] * self.scale.months
            n = int(expected) + (rng.random() < expected - int(expected))
            certified = hh.certified()
            for _ in range(n):
                day = self.start_o + rng.randrange(span + 1)
                alive = [p for p in certified if p.until > day]
                if alive:
                    self._note(hh, rng.choice(alive), day)
        self.out.flush()
        self.report("生成个案记录", 1, 1)

    def _note(self, hh: _Household, person: _Person, day: int) -> None:
        """A case note; some were edited once or twice (the earlier texts are revisions)."""
        rng = self.rng
        ops = self.operators
        category = rng.choices(tuple(codes.NOTE_CATEGORIES), (25, 20, 20, 25, 10))[0]
        body = rng.choice(_NOTE_TEXT[category]).format(n=person.name)
        author = ops[hh.owner if rng.random() < 0.8 else rng.randrange(len(ops))]
        created = self._stamp(day, 9, 18)
        r = rng.random()
        edits = 2 if r < 0.03 else 1 if r < 0.13 else 0
        texts = [rng.choice(_NOTE_DRAFTS).format(b=body), body][:edits]  # the replaced texts
        if edits == 2:
            body += "已电话核实。"
        row = {
            **self._record(created, author.name, version=1 + len(texts)),
            "household_id": hh.id,
            "person_id": person.id if rng.random() < 0.7 else None,
            "category": category,
            "body": body,
            "author_id": author.id,
            "author_name": author.name,
        }
        written = created  # when the text being replaced was written
        for revision, text in enumerate(texts, 1):
            edited = self._stamp(min(self.today_o, day + revision * rng.randint(1, 10)), 9, 18)
            self.out.add(
                "note_revisions",
                {
                    "note_id": row["id"],
                    "revision": revision,
                    "category": category,
                    "body": text,
                    "author_name": author.name,
                    "revised_at": written,
                },
            )
            written = row["updated_at"] = max(edited, written)
        self.out.add("notes", row)

    # -- 渝馨家园 ------------------------------------------------------------------------
    def build_daycare(self) -> None:
        closures = self._closures()
        open_days = [
            o
            for o in range(self.start_o, self.today_o + 1)
            if self._is_open_day(o) and o not in closures
        ]
        members = self._choose_members()
        for index, (hh, person) in enumerate(members, 1):
            self._member(hh, person, open_days)
            if self.out.size() >= _CHUNK:
                self.out.flush()
                self.report("生成渝馨家园考勤", index, len(members))
        self.out.flush()
        self.report("生成渝馨家园考勤", len(members), len(members))

    def _closures(self) -> set[int]:
        """Closed days: public holidays on weekdays (and the next weeks'), a few others."""
        closures: dict[int, str] = {}
        for o in range(self.start_o, self.today_o + 46):
            if o in self.holidays and o % 7 not in (0, 6):
                closures[o] = self.holidays[o]
        for year in range(date.fromordinal(self.start_o).year, self.today.year + 1):
            o = self._next_workday(date(year, 3, 1).toordinal() + self.rng.randrange(200))
            if self.start_o <= o <= self.today_o and o not in closures:
                closures[o] = self.rng.choice(_CLOSURE_EXTRA)
        by = self.operators[0].name
        for o, reason in sorted(closures.items()):
            at = f"{_iso(min(o, self.today_o) - 7)}T16:00:00"
            self.out.add(
                "daycare_closures", {**self._record(at, by), "day": _iso(o), "reason": reason}
            )
        return set(closures)

    def _choose_members(self) -> list[tuple[_Household, _Person]]:
        """Active adults, 智力/精神 most likely, then 肢体 and 多重."""
        candidates: list[tuple[_Household, _Person]] = []
        weights: list[float] = []
        for hh in self.households:
            for p in hh.certified():
                if p.status == codes.ACTIVE and 16 <= p.age <= 75:
                    candidates.append((hh, p))
                    weights.append({5: 3.0, 6: 3.0, 4: 1.5, 7: 1.0}.get(p.category or 0, 0.5))
        chosen: dict[str, tuple[_Household, _Person]] = {}
        while len(chosen) < min(self.scale.daycare_members, len(candidates)):
            hh, p = self.rng.choices(candidates, weights)[0]
            chosen.setdefault(p.id, (hh, p))
        return list(chosen.values())

    def _member(self, hh: _Household, p: _Person, open_days: list[int]) -> None:
        rng = self.rng
        chance = self._chance
        cat = p.category
        wanted = {
            "day_care": chance(0.9 if cat in (5, 6) else 0.5),
            "residential": chance(0.05),
            "rehab": chance(0.8 if cat in (4, 7) else 0.35),
            "work": chance(0.45 if cat in (5, 6) and p.age < 55 else 0.1),
            "training": chance(0.2),
            "culture": chance(0.4),
            "counselling": chance(0.4 if cat == 6 else 0.1),
            "errands": chance(0.1),
        }
        services = [s for s in codes.DAYCARE_SERVICES if wanted[s]] or ["day_care"]
        weekdays = rng.choices([w for w, _ in _WEEKDAY_PLANS], [n for _, n in _WEEKDAY_PLANS])[0]
        if rng.random() < 0.7:
            start = self.start_o - rng.randint(30, 700)
        else:
            start = self.start_o + rng.randrange(max(1, self.today_o - self.start_o - 20))
        end = 0
        member = {
            **self._record(f"{_iso(start)}T10:00:00", self.operators[0].name),
            "person_id": p.id,
            "services": json.dumps(services),
            "weekdays": weekdays,
            "start_date": _iso(start),
            "end_date": "",
            "end_reason": "",
        }
        if rng.random() < 0.1 and self.today_o - start > 60:
            end = min(self.today_o - 5, max(start, self.start_o) + rng.randint(30, 300))
            member.update(
                end_date=_iso(end),
                end_reason=rng.choice(_MEMBER_END_REASONS),
                version=2,
                updated_at=f"{_iso(end)}T10:00:00",
            )
        self.out.add("daycare_members", member)
        days = [
            o
            for o in open_days
            if o >= start and (not end or o <= end) and str(o % 7 or 7) in weekdays
        ]
        streak = self._absence_streak(hh, p, member["id"], days)
        self._attendance(member, days, streak, services)

    def _absence_streak(
        self, hh: _Household, p: _Person, member_id: str, days: list[int]
    ) -> set[int]:
        """Now and then 3-5 absences in a row, and the follow-up they raised."""
        rng = self.rng
        if len(days) <= 10 or rng.random() >= 0.12:
            return set()
        k = rng.randrange(len(days) - 5)
        streak = days[k : k + rng.randint(3, 5)]
        due = self._next_workday(streak[-1] + 2)
        owner = self.operators[hh.owner]
        row = {
            **self._record(f"{_iso(streak[-1])}T17:00:00", owner.name),
            "household_id": hh.id,
            "person_id": p.id,
            "source": "attendance",
            "source_id": member_id,
            "what": f"连续缺勤{len(streak)}天，请电话或上门了解情况",
            "due_date": _iso(due),
            "urgent": int(p.category in (5, 6)),
            "owner_id": owner.id,
            "status": "open",
            "closed_date": "",
            "outcome": "",
        }
        if self.today_o - due > 10:
            closed = _iso(min(due, self.today_o))
            row.update(
                status="closed",
                closed_date=closed,
                outcome="已电话联系，身体不适在家休养",
                version=2,
                updated_at=f"{closed}T11:00:00",
            )
        self.out.add("followups", row)
        return set(streak)

    def _attendance(
        self, member: dict[str, Any], days: list[int], streak: set[int], services: list[str]
    ) -> None:
        rng = self.rng
        by = self.operators[0].name
        rate = rng.uniform(0.8, 0.97)
        for o in days:
            day = _iso(o)
            r = rng.random()
            row = {
                "member_id": member["id"],
                "day": day,
                "status": "absent",
                "half_day": 0,
                "meal": 0,
                "services": "[]",
                "arrival_time": "",
                "note": "",
            }
            if o not in streak and r < rate:
                half = rng.random() < 0.2
                got = [s for s in services if rng.random() < 0.7] or services[:1]
                hour, minute = (
                    (8, rng.randint(20, 59)) if rng.random() < 0.7 else (9, rng.randint(0, 40))
                )
                if half and rng.random() < 0.4:  # came for the afternoon
                    hour, minute = 13, rng.randint(20, 59)
                row.update(
                    status="present",
                    half_day=int(half),
                    meal=int(rng.random() < (0.3 if half else 0.75)),
                    services=member["services"] if got == services else json.dumps(got),
                    arrival_time=f"{hour:02d}:{minute:02d}",
                )
            elif o not in streak and r < rate + (1 - rate) * 0.6:
                row.update(status="leave", note=rng.choice(_LEAVE_NOTES))
            elif rng.random() < 0.5:
                row["note"] = "未到，未请假"
            at = f"{day}T{row['arrival_time'] or '10:30'}:00"
            self.out.add("attendance", {**self._record(at, by), **row})

    # -- search index ------------------------------------------------------------------
    def build_index(self) -> None:
        conn = self.out.conn
        pks = [r[0] for r in conn.execute("SELECT pk FROM persons ORDER BY pk")]
        for i, pk in enumerate(pks, 1):
            search.index_person(self.store, pk)
            if i % 5000 == 0:
                self.report("建立搜索索引", i, len(pks))
        conn.execute("INSERT INTO person_fts (person_fts) VALUES ('optimize')")
        self.report("建立搜索索引", len(pks), len(pks))

    def counts(self) -> dict[str, int]:
        c = self.out.counts
        return {
            "households": c["households"],
            "persons": c["persons"],
            "certified": sum(len(hh.certified()) for hh in self.households),
            "visits": c["visits"],
            "followups": c["followups"],
            "notes": c["notes"],
            "members": c["daycare_members"],
            "attendance": c["attendance"],
        }


def _site_for(scale_name: str) -> Site:
    street = next(s for s in _STREETS if s.name == _COMMUNITY_SITE[0])
    if scale_name == "community":
        community = next(c for c in _communities(street) if c.name == _COMMUNITY_SITE[1])
        codes_ = (street.name, street.full_code, community.name, community.code)
        return Site(DISTRICT_NAME, DISTRICT_CODE, *codes_)
    if scale_name == "street":
        return Site(DISTRICT_NAME, DISTRICT_CODE, street.name, street.full_code)
    return Site(DISTRICT_NAME, DISTRICT_CODE)


def _save_site(store: Store, site: Site) -> None:
    try:
        site_store.save_site(store, site)
    except ValidationError as err:
        # validate_site() does not yet accept a district-level install (no street);
        # until it does, the district demo records its site by the same audited setter.
        if err.field != "street_name" or site.street_name or not site.district_code:
            raise
        site_store.set_setting(store, "site", asdict(site))


def build_demo(
    store: Store,
    *,
    scale: str = "community",
    seed: int = 1,
    today: date | None = None,
    progress: Progress | None = None,
    certified: int | None = None,
    activity: bool = True,
) -> dict[str, int]:
    """Fill an empty database with demo data; return the row counts.

    scale: "community" (~300 certificate holders, 6 months of activity),
    "street" (~5k, 12 months) or "district" (~30k, 36 months, ~1M visits).
    certified: override the number of certificate holders (benchmarks).
    activity: False writes the register and its search index only (no visits,
    follow-ups, notes or day-care records).
    progress(label, done, total) is called as each phase advances.
    Everything is written in one transaction: on failure nothing is left behind.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown demo scale {scale!r}; expected one of {sorted(SCALES)}")
    spec = SCALES[scale]
    if store.scalar("SELECT EXISTS (SELECT 1 FROM households UNION ALL SELECT 1 FROM persons)"):
        raise StoreError("演示数据只能生成在空数据库中：该数据库已有户籍数据，未做任何修改。")
    target = spec.certified if certified is None else certified
    builder = _Builder(store, spec, scale, seed, today or store.today(), progress, target)
    conn = store.db.conn
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute("PRAGMA cache_size = -262144")  # 256 MB while loading
    try:
        with store.transaction():
            builder.report("设置站点和操作员", 0, 1)
            _save_site(store, _site_for(scale))
            for name, phone in _OPERATOR_NAMES[: spec.operators]:
                builder.operators.append(site_store.add_operator(store, name, phone))
            site_store.switch_operator(store, builder.operators[0])
            builder.build_register()
            builder.write_register()
            if activity:
                builder.build_visits()
                builder.build_notes()
                builder.build_daycare()
                builder.write_last_visits()
            builder.report("计算走访分级", 0, 1)
            tier_store.refresh(store)
            builder.build_index()
            counts = builder.counts()
            records.write_audit(store, "生成演示数据", "demo", scale, None, counts)
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
    builder.report("完成", 1, 1)
    return counts
