"""What each emergency kind weighs and what to check: the tables behind the priority list.

Kept apart from the ranking (`domain.emergency`) because they are data a district
may want to tune after an event, not logic: factor labels, base weights, the
weights each kind changes, the bonuses, and the checklist per kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Factor code -> generic Chinese label (for settings and legends).  The reason shown
# for one person is concrete: 依赖制氧机, 重度精神残疾, 87岁.
FACTORS: Mapping[str, str] = MappingProxyType(
    {
        "powered_device": "依赖电动设备",
        "bedridden": "卧床",
        "alone": "独居",
        "no_carer": "无人照料",
        "severe_mental": "重度智力/精神残疾",
        "evac_help": "需协助撤离",
        "deaf": "听障",
        "blind": "视障",
        "very_old": "80岁以上",
        "elderly_carer": "以老养残",
        "multi_disabled": "一户多残",
        "unsafe_house": "危房",
        "low_lying": "低洼地带",
    }
)

BASE_WEIGHTS: Mapping[str, int] = MappingProxyType(
    {
        "powered_device": 30,
        "bedridden": 30,
        "alone": 25,
        "no_carer": 20,
        "severe_mental": 20,
        "evac_help": 20,
        "deaf": 15,
        "blind": 15,
        "very_old": 15,
        "elderly_carer": 15,
        "multi_disabled": 10,
        "unsafe_house": 15,
        "low_lying": 10,
    }
)

# What each event kind changes (the rest keep their base weight).
KIND_WEIGHTS: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {
        # Oxygen concentrators and ventilators stop; lifts stop for those who cannot walk.
        # Dependence on a device outweighs any likely mix of the other factors.
        "power": {"powered_device": 200, "bedridden": 35, "evac_help": 25},
        # Heat kills the bedridden and the very old first; no one to notice when alone.
        "heat": {"bedridden": 50, "very_old": 50, "alone": 35, "powered_device": 40},
        "flood": {"evac_help": 60, "unsafe_house": 60, "low_lying": 60, "bedridden": 45},
        "cold": {"very_old": 45, "alone": 45, "bedridden": 45, "no_carer": 30, "unsafe_house": 20},
        # Lockdown: nobody brings food or medicine; carers may be kept away.
        "epidemic": {
            "alone": 45,
            "no_carer": 45,
            "severe_mental": 50,
            "elderly_carer": 25,
            "multi_disabled": 20,
        },
        "quake": {"evac_help": 60, "bedridden": 60, "blind": 50, "deaf": 50, "unsafe_house": 40},
        "fire": {"evac_help": 60, "bedridden": 60, "blind": 50, "deaf": 50},
        # 滑坡、崩塌 (Chongqing's mountain city hazard): 危房 and those who cannot
        # leave on their own first; warnings come by loudspeaker, so the deaf too.
        "landslide": {
            "unsafe_house": 70,
            "evac_help": 60,
            "bedridden": 55,
            "deaf": 35,
            "very_old": 25,
        },
        "other": {},
    }
)
OLDEST_BONUS = 10
SEVERITY_BONUS: Mapping[int, int] = MappingProxyType({1: 3, 2: 2})

# What to check with each person, per event kind (水、电、气、食物、药品、冷暖、撤离路线).
CHECKLISTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "flood": (
            "撤离路线和安置点",
            "房屋是否进水、漏雨、开裂",
            "饮用水",
            "食物（够3天）",
            "常用药品",
            "用电安全（进水断电）",
            "手机电量",
        ),
        "heat": (
            "降温：空调/风扇能否使用",
            "饮水是否充足",
            "有无中暑症状",
            "用电（停电时的降温办法）",
            "常用药品",
            "食物",
        ),
        "cold": (
            "取暖：取暖器、被褥是否够",
            "用气用电安全（防一氧化碳中毒）",
            "热水和饮用水",
            "食物",
            "常用药品",
            "水管防冻",
        ),
        "power": (
            "照明（手电、应急灯）",
            "饮用水（高层二次供水停泵）",
            "冷藏药品（如胰岛素）",
            "电梯停运时的出行",
            "降温/取暖",
            "食物",
        ),
        "epidemic": (
            "常用药品和续方",
            "食物和生活物资",
            "有无发热等症状",
            "照护人是否在身边",
            "就医通道（透析、康复）",
            "情绪和心理",
        ),
        "quake": (
            "房屋是否受损",
            "撤离路线和避难场所",
            "有无受伤",
            "燃气是否关闭",
            "饮用水和食物",
            "常用药品",
        ),
        "fire": (
            "是否已撤离、撤离路线",
            "有无受伤、烟雾吸入",
            "燃气和用电安全",
            "临时安置（住处、饮水、食物）",
            "常用药品",
        ),
        "landslide": (
            "是否已撤离到安全地带（远离斜坡、崖下）",
            "房屋及屋后山体有无裂缝、渗水、掉块",
            "有无受伤",
            "临时安置（住处、饮水、食物）",
            "常用药品",
            "燃气和用电安全",
        ),
        "other": ("人身安全", "饮用水", "食物", "常用药品", "用电用气安全"),
    }
)
