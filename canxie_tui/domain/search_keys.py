"""Search keys for Chinese person names: full pinyin and pinyin initials.

Community workers look people up by name (王芳), by full pinyin (``wangfang``)
or by pinyin initials (``wf``).  :func:`name_keys` turns a stored name into the
lower-case ASCII strings a query is matched against.

Rules
-----
* Every key is lower-case ASCII (``a-z`` and ``0-9``), without tones or spaces.
* For each *reading variant* of the name there are two keys: the full pinyin
  (``wangfang``) and the initials (``wf``, the first letter of each syllable, so
  ``zh``/``ch``/``sh`` become ``z``/``c``/``s``).  Keys are deduplicated, in a
  stable order, primary reading first, and capped at :data:`MAX_KEYS`.
* Surnames with several readings produce one variant per reading, the surname
  reading first (单丽 -> ``shanli``, ``sl``, ``danli``, ``dl``, ``chanli``,
  ``cl``).  pypinyin itself has no surname mode, so the readings live in the
  small :data:`SURNAME_READINGS` table below, which also holds the compound
  surnames (欧阳, 司马, 诸葛, ...).
* The given name is converted by pypinyin's default reading (with its phrase
  table); polyphonic characters in the given name are *not* expanded.
* Two more kinds of key follow, for what people type besides the above: the
  surname in full and the given name's initials (张小伟 -> ``zhangxw``; only
  when that is not a prefix of a key already there, as keys are matched by
  prefix), and ü written ``u`` as well as ``v`` (吕德华 -> ``lvdehua``,
  ``ludehua``; 绿 -> ``lv``/``lu``, 略 -> ``lve``/``lue``).
* Surnames pypinyin reads wrongly (阚 kan, not han; 卜 bu; 薄 bo; 藏 zang; 佴
  nai; 长 chang as a surname of its own) are in :data:`SURNAME_READINGS` too.
  Keys are written when a person is saved: after changing these rules, re-index
  an existing database (``search.rebuild_index``).
* Latin letters and digits are kept (lower-cased, accents stripped, full-width
  forms folded); the middle dot of transliterated minority names
  (阿依古丽·买买提), spaces and other punctuation are dropped.  Names that
  contain a middle dot are not given the surname treatment, as they are not
  "surname + given name".

pypinyin is imported lazily, inside the functions, so importing this module
does not load pypinyin's dictionaries (which costs start-up time).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from functools import cache

__all__ = [
    "MAX_KEYS",
    "SURNAME_READINGS",
    "initials",
    "is_pinyin_query",
    "name_keys",
    "normalize_query",
]

MAX_KEYS = 12
# Raised whenever the keys a name gets change (readings, kinds of keys): a database
# indexed by an earlier version is re-indexed once when it is opened (store.session).
KEYS_VERSION = 2
"""Upper bound on the number of keys :func:`name_keys` returns."""

# Surname -> readings, surname reading first, then the common (dictionary
# default) reading people may type instead.  Syllables are space-separated.
# Traditional forms of the same surnames are listed too.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    # single-character surnames with several readings
    "单": ("shan", "dan", "chan"),
    "單": ("shan", "dan", "chan"),
    "曾": ("zeng", "ceng"),
    "解": ("xie", "jie"),
    "仇": ("qiu", "chou"),
    "区": ("ou", "qu"),
    "區": ("ou", "qu"),
    "查": ("zha", "cha"),
    "朴": ("piao", "pu"),
    "乐": ("yue", "le"),
    "樂": ("yue", "le"),
    "尉": ("wei", "yu"),
    "盖": ("ge", "gai"),
    "蓋": ("ge", "gai"),
    "缪": ("miao", "mou"),
    "繆": ("miao", "mou"),
    "种": ("chong", "zhong"),
    "種": ("chong", "zhong"),
    "重": ("chong", "zhong"),
    "覃": ("qin", "tan"),
    "万": ("wan", "mo"),
    "萬": ("wan", "mo"),
    "翟": ("zhai", "di"),
    "员": ("yun", "yuan"),
    "員": ("yun", "yuan"),
    "秘": ("bi", "mi"),
    "召": ("shao", "zhao"),
    "繁": ("po", "fan"),
    "黑": ("he", "hei"),
    "折": ("she", "zhe"),
    "谌": ("chen", "shen"),
    "諶": ("chen", "shen"),
    "隗": ("wei", "kui"),
    "洗": ("xian", "xi"),
    "句": ("gou", "ju"),
    "能": ("nai", "neng"),
    "都": ("du", "dou"),
    # surnames pypinyin reads with the wrong (non-surname) reading
    "阚": ("kan",),
    "闞": ("kan",),
    "卜": ("bu",),
    "薄": ("bo", "bao"),
    "藏": ("zang", "cang"),
    "佴": ("nai", "er"),
    "长": ("chang", "zhang"),
    "長": ("chang", "zhang"),
    # compound surnames
    "欧阳": ("ou yang",),
    "歐陽": ("ou yang",),
    "司马": ("si ma",),
    "司馬": ("si ma",),
    "上官": ("shang guan",),
    "诸葛": ("zhu ge",),
    "諸葛": ("zhu ge",),
    "东方": ("dong fang",),
    "東方": ("dong fang",),
    "皇甫": ("huang fu",),
    "尉迟": ("yu chi", "wei chi"),
    "尉遲": ("yu chi", "wei chi"),
    "长孙": ("zhang sun", "chang sun"),
    "長孫": ("zhang sun", "chang sun"),
    "令狐": ("ling hu",),
    "夏侯": ("xia hou",),
    "慕容": ("mu rong",),
    "端木": ("duan mu",),
    "公孙": ("gong sun",),
    "公孫": ("gong sun",),
    "单于": ("chan yu", "shan yu", "dan yu"),
    "單于": ("chan yu", "shan yu", "dan yu"),
    "万俟": ("mo qi", "wan si"),
    "萬俟": ("mo qi", "wan si"),
    "司徒": ("si tu",),
    "司空": ("si kong",),
    "宇文": ("yu wen",),
    "澹台": ("tan tai", "dan tai"),
    "轩辕": ("xuan yuan",),
    "軒轅": ("xuan yuan",),
    "呼延": ("hu yan",),
    "钟离": ("zhong li",),
    "鍾離": ("zhong li",),
    "申屠": ("shen tu",),
    "闻人": ("wen ren",),
    "聞人": ("wen ren",),
}

_MAX_SURNAME_LEN = max(len(s) for s in SURNAME_READINGS)

# Han ideographs: 〇, CJK Ext. A, URO, compatibility ideographs, planes 2-3.
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# After NFKD + lower(): Han runs, ASCII letter runs, digit runs.  Everything
# else (spaces, '·', punctuation, combining marks, other scripts) separates.
_TOKEN_RE = re.compile(rf"([{_HAN}]+)|([a-z]+)|([0-9]+)")
_NON_ASCII_ALNUM_RE = re.compile(r"[^a-z0-9]+")
# Middle dots used in transliterated names (after NFKD; '．' folds to '.').
_NAME_DOTS = frozenset("·・•‧∙⋅ꞏ.")

# Syllables with ü, which pinyin writes v: the same syllable typed with u.
_V_SYLLABLES = {"lv": "lu", "nv": "nu", "lve": "lue", "nve": "nue"}

# A syllable/word: (full form, contribution to the initials).
_Piece = tuple[str, str]


@cache
def _pinyin() -> Callable[[str], list[str]]:
    """Load pypinyin on first use and return a text -> syllables converter."""
    from pypinyin import Style, lazy_pinyin

    def convert(text: str) -> list[str]:
        return lazy_pinyin(text, style=Style.NORMAL, errors="ignore")

    return convert


# Given names repeat far more than whole names (芳, 伟, 秀英 ...): a roster import of
# 30,000 people converts a few thousand runs instead of one per person.
@functools.lru_cache(maxsize=65_536)
def _han_pieces(run: str) -> tuple[_Piece, ...]:
    """The pinyin pieces of a run of Han characters (pypinyin's phrases within it)."""
    pieces: list[_Piece] = []
    for syllable in _pinyin()(run):
        # NORMAL style is already plain ASCII ('v' for ü); fold anything odd.
        clean = _NON_ASCII_ALNUM_RE.sub("", unicodedata.normalize("NFKD", syllable).lower())
        if clean:
            pieces.append((clean, clean[0]))
    return tuple(pieces)


def _reading_pieces(reading: str) -> list[_Piece]:
    return [(s, s[0]) for s in reading.split()]


def _variants(name: str) -> list[list[_Piece]]:
    """Reading variants of *name*, primary first; each is a list of pieces."""
    return [pieces for pieces, _ in _variants_with_surname(name)]


def _variants_with_surname(name: str) -> list[tuple[list[_Piece], int]]:
    """Reading variants of *name*, primary first, each with how many of its pieces
    are the surname (0 when the name is not treated as surname + given name)."""
    text = unicodedata.normalize("NFKD", name).lower()
    tokens = [m for m in _TOKEN_RE.finditer(text)]
    if not tokens:
        return []

    surname_readings: tuple[str, ...] = ()
    rest: list[_Piece] = []
    first = tokens[0]
    if first.group(1) is not None and not _NAME_DOTS.intersection(text):
        run = first.group(1)
        for size in range(min(_MAX_SURNAME_LEN, len(run)), 0, -1):
            readings = SURNAME_READINGS.get(run[:size])
            if readings is not None:
                surname_readings = readings
                break
        else:
            size = 1
        if not surname_readings:
            # Surname alone, so that no phrase spans surname and given name.
            surname_readings = (" ".join(s for s, _ in _han_pieces(run[:size])),)
        if run[size:]:
            rest.extend(_han_pieces(run[size:]))
        tokens = tokens[1:]

    for match in tokens:
        han, letters, digits = match.groups()
        if han is not None:
            rest.extend(_han_pieces(han))
        elif letters is not None:
            rest.append((letters, letters[0]))
        else:
            rest.append((digits, digits))

    if not surname_readings:
        return [(rest, 0)] if rest else []
    variants = []
    for reading in surname_readings:
        head = _reading_pieces(reading)
        variants.append((head + rest, len(head)))
    return variants


def name_keys(name: str) -> list[str]:
    """All search terms for a person name (see `_name_keys`); a fresh list each call."""
    return list(_name_keys(name))


@functools.lru_cache(maxsize=65_536)  # names repeat a lot in a register: 王芳, 张伟…
def _name_keys(name: str) -> tuple[str, ...]:
    """All search terms for a person name: full pinyin and initials per reading.

    Lower-case ASCII, deduplicated, stable order (primary reading first),
    at most :data:`MAX_KEYS` entries.  ``"王芳"`` -> ``["wangfang", "wf"]``;
    ``"单丽"`` -> ``["shanli", "sl", "danli", "dl", "chanli", "cl"]``.
    See the module docstring for the rules.
    """
    keys: list[str] = []
    more: list[str] = []  # surname in full + given initials, then ü typed as u
    u_forms: list[str] = []
    for pieces, surname_len in _variants_with_surname(name):
        for key in ("".join(p[0] for p in pieces), "".join(p[1] for p in pieces)):
            if key and key not in keys:
                keys.append(key)
        mixed: list[str] = []
        if 0 < surname_len < len(pieces):
            head, given = pieces[:surname_len], pieces[surname_len:]
            mixed.append("".join(p[0] for p in head) + "".join(p[1] for p in given))
            more += mixed
        if any(p[0] in _V_SYLLABLES for p in pieces):
            u_pieces = [(_V_SYLLABLES.get(p[0], p[0]), p[1]) for p in pieces]
            u_forms.append("".join(p[0] for p in u_pieces))
            if mixed:
                head, given = u_pieces[:surname_len], u_pieces[surname_len:]
                u_forms.append("".join(p[0] for p in head) + "".join(p[1] for p in given))
    for key in [*more, *u_forms]:
        # Matching is by prefix: a key that starts another one finds nothing new.
        if key and not any(k.startswith(key) for k in keys):
            keys.append(key)
    return tuple(keys[:MAX_KEYS])


def initials(text: str) -> str:
    """Initials of the primary reading: ``"王芳"`` -> ``"wf"``, ``"单丽"`` -> ``"sl"``."""
    variants = _variants(text)
    return "".join(p[1] for p in variants[0]) if variants else ""


def normalize_query(q: str) -> str:
    """Strip, NFKC-fold (full-width -> half-width), lower-case, collapse spaces.

    Chinese characters are kept as they are: ``" ＷＦ "`` -> ``"wf"``,
    ``"王　芳"`` -> ``"王 芳"``.  Control characters (a NUL pasted in) count as spaces:
    they can mean nothing in a name, and SQLite's full-text syntax stops at a NUL.
    """
    if q.isascii() and q.isalnum():
        return q.lower()  # digits and letters only (a phone's tail): nothing else to fold
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFKC", q)).lower().split())


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_pinyin_query(q: str) -> bool:
    """True when the normalized query is non-empty and only ASCII letters a-z.

    Such a query may be full pinyin or initials.  Spaces and digits make it
    False (``"wang fang"`` -> False); strip spaces first if you want those.
    """
    norm = normalize_query(q)
    return bool(norm) and norm.isascii() and norm.isalpha()
