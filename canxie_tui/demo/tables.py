"""The demo's made-up data: names, area codes, age and disability weights, and the
texts of visits, follow-ups, case notes and the 渝馨家园.

Written as compact word lists so long tables stay readable; nothing here draws
from the generator.
"""

from __future__ import annotations

import json

from canxie_tui.domain import codes


def words(text: str) -> tuple[str, ...]:
    """A table written as whitespace-separated words (keeps long lists readable)."""
    return tuple(text.split())


def _weighted(text: str) -> tuple[tuple[str, float], ...]:
    """Weighted words: '王:7 李:7.5' -> (('王', 7.0), ('李', 7.5))."""
    pairs = (word.partition(":") for word in text.split())
    return tuple((key, float(weight)) for key, _, weight in pairs)


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
SURNAME_LIST = tuple(s for s, _ in _SURNAMES)
SURNAME_WEIGHTS = tuple(w for _, w in _SURNAMES)


def surname_of(name: str) -> str:
    return name[:2] if name[:2] in SURNAME_LIST else name[0]


# Given names by generation (born before 1965 / 1965-1999 / 2000 and after).
GIVEN: dict[tuple[str, int], tuple[str, ...]] = {
    ("男", 0): words("""
        建国 国华 德明 志强 光荣 永福 明亮 德才 正华 家贵 树林 开明 世荣 永红 国庆 成林 长青
        天福 大明 建华 学文 洪昌 绍华 德胜 福林 泽民 光明 庆 华 福 贵 明 德 林 荣 成"""),
    ("女", 0): words("""
        桂英 秀英 淑芬 玉兰 秀兰 桂兰 素芳 凤英 淑华 玉珍 桂芳 德芳 秀珍 翠华 素珍 明芬 玉梅
        群芳 国英 碧华 泽芬 正芬 光碧 素华 英 兰 珍 芬 琼 秀"""),
    ("男", 1): words("""
        伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 波 林 峰 建 东 海 江 川 兵 建军 志刚
        晓东 海涛 建平 小军 国强 文杰 洪波 红军 永刚 德勇 成刚 小平 建伟 志勇 俊杰 海波 明辉
        晓峰 大勇 云川 中华 小龙"""),
    ("女", 1): words("""
        芳 娜 敏 静 丽 艳 娟 霞 燕 萍 红 梅 琴 慧 莉 玲 英 兰 琼 蓉 小红 丽华 晓燕 红梅 春梅
        丽娟 小琴 海燕 晓霞 秀琼 小英 晓梅 丽萍 红英 雪梅 玉洁 静雯 小芳 春燕 晓丽 德容 明秀"""),
    ("男", 2): words("""
        子涵 浩宇 宇轩 梓轩 俊熙 一鸣 浩然 子墨 思远 博文 宇航 皓轩 明轩 子豪 天佑 嘉豪 睿 轩
        浩 宇 杰 博 鑫 阳"""),
    ("女", 2): words("""
        欣怡 雨桐 梓涵 子萱 一诺 思琪 雨萱 诗涵 佳怡 可馨 语嫣 梦瑶 紫涵 若曦 芊芊 悦 琪 涵
        彤 欣 璐 瑶"""),
}
# Very common names: they must exist more than once (search must tell them apart).
COMMON = {
    "男": words("张伟 王伟 李强 刘洋 王磊 张勇"),
    "女": words("王芳 李娜 张敏 刘芳 陈静 王静"),
}
# Given to the first primary persons of the right sex born 1950-1995, in this order:
# duplicates of common names, compound surnames and surnames read differently.
FORCED_NAMES = tuple(
    (word[0], word[1:])
    for word in words(
        "女王芳 男张伟 女王芳 男张伟 女李娜 女李娜 男欧阳志强 女单丽 男曾建华 女司马玉兰 男解放 女查秀英"
    )
)
OPERATOR_NAMES = (
    ("刘晓燕", "13908310426"),
    ("陈建国", "13594017732"),
    ("何丽", "18623056619"),
    ("谭静", "15823374480"),
)

# -- area codes (where the ID number was first assigned) --------------------------
SICHUAN_CQ = words("510202 510203 510212 510213 510214 510215 510219")  # 重庆 in 四川
SICHUAN = words("510104 510106 511302 510722 511102 513701 510502")
CHONGQING = words("500103 500106 500108 500112 500101 500113 500229 500235 500236 500243")
ELSEWHERE = words("420106 430102 522101 530102 610113 440305")

# -- people ------------------------------------------------------------------------
AGE_BANDS = ((3, 5), (6, 15), (16, 29), (30, 44), (45, 59), (60, 74), (75, 84), (85, 95))
AGE_WEIGHTS = (1.2, 4.5, 7, 11, 24, 30, 16, 6.3)
CATEGORY_BY_AGE = {  # weights for 1..7
    "child": (5, 10, 10, 15, 33, 9, 18),
    "adult": (9, 8, 3, 42, 13, 17, 8),
    "old": (16, 17, 2, 46, 3, 6, 10),
}
LEVEL_BY_CATEGORY = {  # weights for 一级..四级
    1: (15, 20, 30, 35),
    2: (10, 20, 30, 40),
    3: (10, 15, 35, 40),
    4: (8, 17, 30, 45),
    5: (10, 25, 40, 25),
    6: (5, 30, 45, 20),
    7: (25, 35, 25, 15),
}
# 户籍地址 of people whose 户籍 is elsewhere (人户分离): in other districts of the city,
# and outside it (by the first two digits of the ID number's area code, else any).
HUKOU_ELSEWHERE_CQ = words("""
    重庆市渝中区解放碑街道民族路 重庆市渝北区龙溪街道金龙路 重庆市南岸区南坪街道南坪西路
    重庆市沙坪坝区小龙坎街道小龙坎正街 重庆市九龙坡区杨家坪街道西郊路 重庆市大渡口区新山村街道松青路
    重庆市长寿区凤城街道桃花大道 重庆市合川区合阳城街道南园路""")
HUKOU_OUTSIDE = {
    "51": words("四川省广安市岳池县九龙镇 四川省南充市顺庆区中城街道 四川省达州市通川区西外镇"),
    "42": words("湖北省武汉市江岸区大智街道 湖北省恩施土家族苗族自治州恩施市舞阳坝街道"),
    "43": words("湖南省长沙市芙蓉区定王台街道"),
    "52": words("贵州省遵义市红花岗区老城街道 贵州省铜仁市碧江区环城街道"),
    "53": words("云南省昆明市五华区华山街道"),
    "61": words("陕西省西安市雁塔区小寨路街道"),
    "44": words("广东省深圳市福田区华强北街道"),
}
MOBILE_PREFIXES = words("""
    133 135 136 137 138 139 150 151 152 157 158 159 177 178 180 181 182 183 185 186 187 188
    189 191 199""")
STATUS_REASONS = {
    "moved": words("户籍迁往渝北区 随子女迁居外省 户籍迁往南岸区 入住外区养老机构"),
    "deceased": words("病故 因病去世 自然死亡 意外身故"),
    "cancelled": words("残疾人证有效期满未换领 复评不再符合残疾标准 重复持证，注销其一"),
}

# -- visits ------------------------------------------------------------------------
_METHOD_CODES = ("phone", "home", "wechat", "meet")
METHODS_BY_TIER = {
    "A": (_METHOD_CODES, (45, 35, 10, 10)),
    "B": (_METHOD_CODES, (35, 45, 10, 10)),
    "C": (_METHOD_CODES, (30, 50, 8, 12)),
}
_CHECKS = tuple(codes.VISIT_CHECKLIST)
CHECKLIST_JSON = {
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
CHECKLIST_JSON["wechat"] = CHECKLIST_JSON["phone"]
PROBLEM_TEXT = {
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
PROBLEM_REFERRAL = {
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
HELP_TEXT = (
    "当场讲解政策，协助准备申请材料",
    "联系社区家庭医生上门",
    "已上报街道残联",
    "协调物业维修",
    "联系家属加强照护",
    "送去米、油等生活物资",
    "帮助预约医院复查",
    "协助在线办理续费",
)
FOLLOWUP_TEXT = {
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
OUTCOMES = (
    "已办结",
    "已协助办理，补贴下月起发放",
    "家属已接回照护",
    "已维修完毕",
    "已电话回访，情况稳定",
    "已转介相关部门处理并反馈",
)
VISIT_NOTES = {
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
FESTIVAL_HELP = "送去慰问金和米、油等慰问品"
EMERGENCY_NOTE = "高温天气电话问候，提醒防暑降温、保持电话畅通"

# -- notes -------------------------------------------------------------------------
NOTE_TEXT = {
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
NOTE_DRAFTS = ("（初稿）{b}", "{b}待核实。")

# -- 渝馨家园 ------------------------------------------------------------------------
WEEKDAY_PLANS = _weighted("12345:55 135:15 24:10 1234:5 2345:5 15:5 3:5")
LEAVE_NOTES = ("病假", "事假", "就医复查", "家中有事", "天气原因")
MEMBER_END_REASONS = ("迁出本社区", "入住养老机构", "本人不再参加", "已实现就业")
CLOSURE_EXTRA = ("设施检修", "消防演练停课一天", "暴雨预警停课")
HOUSEHOLD_NOTES = (
    "子女在外地务工",
    "白天家中无人，请电话预约后上门",
    "家中养狗，入户前先电话联系",
    "耳背，敲门需用力",
)
