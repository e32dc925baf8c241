"""居民身份证号 (GB 11643-1999) and 残疾人证号 validation.

Pure functions, no I/O.  Every rejection is an :class:`IdError` whose message says
in Chinese exactly what is wrong, so the UI can show it as is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from operator import mul

from canxie_tui.domain.codes import CATEGORIES, LEVELS
from canxie_tui.domain.dates import age_on

__all__ = [
    "CATEGORY_LABELS",
    "LEVEL_LABELS",
    "Certificate",
    "IdError",
    "IdNumber",
    "check_char",
    "make_certificate",
    "make_id",
    "mask_id",
    "normalize",
    "parse_certificate",
    "parse_id",
]

ID_LENGTH = 18
MIN_BIRTH = date(1900, 1, 1)

# ISO 7064 MOD 11-2 as used by GB 11643-1999.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_WEIGHTS_TIMES_48 = 48 * sum(_WEIGHTS)

CATEGORY_LABELS = CATEGORIES  # GB/T 26341-2010, kept in one place: domain.codes
LEVEL_LABELS = LEVELS

# Characters dropped by normalize(): hyphens/dashes and invisible separators.
# (Whitespace of every kind is dropped via str.isspace.)
_DROP = frozenset("-‐‑‒–—―−﹣－_\u200b\u200c\u200d\u2060\ufeff")

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

# How Excel shows a long number: 5.00105E+17, 5,00105E17 ...
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d*)?E[+]?\d+")
# A long number written back with a decimal part: 500105199003071000.0
_DECIMAL = re.compile(r"\d{15,}\.0*")

_EXCEL_HINT = "后几位数字已丢失。请把该列单元格格式设为“文本”，再重新录入"
_ID_EXCEL = "身份证号被Excel转换成了数值，" + _EXCEL_HINT + "身份证号"
_CERT_EXCEL = "残疾人证号被Excel转换成了数值，" + _EXCEL_HINT + "残疾人证号"


class IdError(ValueError):
    """Rejection with a precise Chinese message in ``str(err)`` / ``err.message``."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IdNumber:
    number: str  # 18 chars, upper-case half-width
    area_code: str  # first 6
    birth_date: date
    sex: str  # "男" / "女"

    def age_on(self, day: date) -> int:
        """Full years on ``day`` (negative if ``day`` is before the birth date)."""
        return age_on(self.birth_date, day)

    @property
    def masked(self) -> str:
        return mask_id(self.number)


@dataclass(frozen=True)
class Certificate:
    number: str  # 20 or 22 chars normalised
    id_number: str
    category: int  # 1..7
    level: int  # 1..4
    reissue: int  # 0 when no Bn suffix, else n

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]


def _normalize_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if not c.isspace() and c not in _DROP)
    return text.translate(_ASCII_UPPER)


def normalize(text: str) -> str:
    """Strip all spaces and hyphens, fold full-width to half-width (NFKC), upper-case a-z.

    Idempotent: repeated until stable, since dropping a character can let NFKC
    compose its neighbours.
    """
    if text.isascii() and text.isalnum():
        return text.translate(_ASCII_UPPER)  # the usual case: NFKC and dropping are no-ops
    for _ in range(8):
        new = _normalize_once(text)
        if new == text:
            break
        text = new
    return text


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"check_char needs 17 ASCII digits, got {first17!r}")
    # ASCII digit d is byte 48 + d: weigh the bytes, then take 48 x the weights back off.
    total = sum(map(mul, first17.encode("ascii"), _WEIGHTS)) - _WEIGHTS_TIMES_48
    return _CHECK_CHARS[total % 11]


def _show(char: str) -> str:
    """A character as it can be shown inside a message."""
    return char if char.isprintable() else f"U+{ord(char):04X}"


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _looks_like_excel_number(text: str) -> bool:
    if "E" not in text and "." not in text:  # the usual case: neither pattern can match
        return False
    return bool(_SCIENTIFIC.fullmatch(text) or _DECIMAL.fullmatch(text))


def _id_text(value: object) -> str:
    """Turn the raw input into normalised text, rejecting Excel-mangled numbers."""
    if value is None:
        raise IdError("身份证号为空")
    if isinstance(value, bool):
        raise IdError("身份证号格式不正确")
    if isinstance(value, float):
        # A float has at most ~15-17 significant digits: an 18-digit ID is lost.
        raise IdError(_ID_EXCEL)
    if isinstance(value, int):
        if value < 0:
            raise IdError("身份证号不能是负数")
        if value.bit_length() > 128:
            raise IdError(f"身份证号应为{ID_LENGTH}位，实际位数过多")
        return str(value)
    if not isinstance(value, str):
        raise IdError("身份证号格式不正确")
    return normalize(value)


def parse_id(text: str | int | float, today: date | None = None) -> IdNumber:
    """Validate a 居民身份证号 and return its parts; raise :class:`IdError` if invalid."""
    number = _id_text(text)
    if not number:
        raise IdError("身份证号为空")
    if _looks_like_excel_number(number):
        raise IdError(_ID_EXCEL)
    if not (_is_digits(number) or (number[-1] == "X" and _is_digits(number[:-1]))):
        bad = next((c for c in number if c != "X" and not _is_digits(c)), None)
        if bad is not None:
            raise IdError(f"身份证号含有非法字符“{_show(bad)}”")
    if len(number) != ID_LENGTH:
        hint = "（15位的旧号码已停用，请录入18位新号码）" if len(number) == 15 else ""
        raise IdError(f"身份证号应为{ID_LENGTH}位，实际为{len(number)}位{hint}")
    if "X" in number[:17]:
        raise IdError("身份证号中的X只能是最后一位（校验位）")

    area = number[:6]
    if area[0] == "0":
        raise IdError(f"身份证号中的地区码{area}无效：首位不能为0")

    ymd = number[6:14]
    try:
        birth = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
    except ValueError:
        raise IdError(f"身份证号中的出生日期{ymd}不是有效日期") from None
    if birth < MIN_BIRTH:
        raise IdError(f"身份证号中的出生日期{ymd}早于1900年，不是有效日期")
    today = today or date.today()
    if birth > today:
        raise IdError(f"身份证号中的出生日期{ymd}晚于今天（{today:%Y%m%d}），出生日期不能晚于今天")

    expected = check_char(number[:17])
    if number[17] != expected and number.endswith("000"):
        # 15 significant digits then zeros: Excel stored it as a number.
        raise IdError(_ID_EXCEL)
    if number[17] != expected:
        raise IdError(f"身份证号校验位错误：应为{expected}，实际为{number[17]}")

    sex = "男" if int(number[16]) % 2 else "女"
    return IdNumber(number=number, area_code=area, birth_date=birth, sex=sex)


def mask_id(number: str) -> str:
    """Mask for display: 18 chars keep first 6 and last 4; otherwise keep only the last 4."""
    text = normalize(number)
    n = len(text)
    if n == ID_LENGTH:
        return text[:6] + "*" * 8 + text[-4:]
    if n <= 4:
        return "*" * n
    return "*" * (n - 4) + text[-4:]


# An ID number inside free text, in any of the forms people type or paste it:
# digits of any script (full-width ５１０…), up to three separators between any two
# (spaces, hyphens and dashes, dots, underscores, zero-width and other invisible
# characters), and x/X/ｘ/Ｘ as the check character.  Not preceded by a digit; followed
# by no digit, or by two or more (the ID part of a 残疾人证号 is masked too).
_SEP = r"[\s\-‐‑‒–—―−﹣－_.·・\u00ad\u200b-\u200f\u2060-\u2064\ufeff]{0,3}"
_ID_IN_TEXT = re.compile(rf"(?<!\d)(?:\d{_SEP}){{17}}[\dXxＸｘ](?=\d{{2}}|(?!\d))")
_DIGIT = re.compile(r"\d")  # a decimal digit of any script, as str.isdecimal (category Nd)


def _plausible_birth(digits: str) -> bool:
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _masked_in_text(span: str) -> str | None:
    """The masked form of a matched span; None when it is not an ID after all."""
    number = "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() else "X" for c in span if c.isalnum()
    )
    # Separated or non-ASCII digits are an ID only with a birth date in the middle
    # (a phone number and a few more digits are not); a plain 18-digit run always is.
    if span != number and not _plausible_birth(number[6:14]):
        return None
    return number[:6] + "*" * 8 + number[14:]


def mask_ids_in_text(text: str) -> str:
    """`text` with every ID number in it masked as `mask_id` does (前6后4), in any form.

    The one rule for free text (notes, visit texts, audit values) wherever IDs are
    masked: `510211 19680126 5154`, `510211-19680126-5154`, full-width digits, a
    zero-width space inside, a lower-case x all come out as `510211********5154`.
    """
    if not text or _DIGIT.search(text) is None:  # most texts: no digit at all
        return text
    out: list[str] = []
    done = start = 0
    while match := _ID_IN_TEXT.search(text, start):
        masked = _masked_in_text(match.group())
        if masked is None:  # not an ID here: one may start inside it (a phone, then an ID)
            start = match.start() + 1
            continue
        out += [text[done : match.start()], masked]
        done = start = match.end()
    return "".join(out) + text[done:]


def make_id(area_code: str, birth: date, seq: int) -> str:
    """Build a valid 18-char ID (for demo data and tests).  Odd ``seq`` gives 男."""
    if len(area_code) != 6 or not _is_digits(area_code) or area_code[0] == "0":
        raise ValueError(f"area_code must be 6 digits not starting with 0, got {area_code!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"seq must be 0..999, got {seq}")
    if not 1 <= birth.year <= 9999:
        raise ValueError(f"birth year out of range: {birth}")
    first17 = f"{area_code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    return first17 + check_char(first17)


def _label(table: Mapping[int, str], code: int) -> str:
    return f"{code}（{table[code]}）" if code in table else str(code)


def parse_certificate(
    text: str,
    *,
    id_number: str | None = None,
    category: int | None = None,
    level: int | None = None,
    today: date | None = None,
    parsed_id: IdNumber | None = None,
) -> Certificate:
    """Validate a 残疾人证号 (2nd/3rd generation); raise :class:`IdError` if invalid.

    When ``id_number``, ``category`` or ``level`` are given, the certificate must
    agree with them.  ``parsed_id``, when given, is ``parse_id(id_number, today)``
    already done by the caller (it stands for ``id_number`` when that is None): the
    certificate's first 18 characters are not parsed again when they equal it.
    """
    if text is None:
        raise IdError("残疾人证号为空")
    if not isinstance(text, str):
        if isinstance(text, int | float) and not isinstance(text, bool):
            raise IdError(_CERT_EXCEL)
        raise IdError("残疾人证号格式不正确")
    number = normalize(text)
    if not number:
        raise IdError("残疾人证号为空")
    if _looks_like_excel_number(number):
        raise IdError(_CERT_EXCEL)
    if len(number) not in (20, 22):
        raise IdError(f"残疾人证号应为20位（补发的证另加B1至B9共22位），实际为{len(number)}位")
    if _is_digits(number) and number.endswith("00000"):
        # 15 significant digits then zeros: Excel stored it as a number.
        raise IdError(_CERT_EXCEL)

    reissue = 0
    if len(number) == 22:
        suffix = number[20:]
        if suffix[0] != "B" or suffix[1] not in "123456789":
            raise IdError(f"残疾人证号末尾的补发标记“{suffix}”无效，应为B1至B9")
        reissue = int(suffix[1])

    if parsed_id is not None and number[:18] == parsed_id.number:
        ident = parsed_id
    else:
        try:
            ident = parse_id(number[:18], today=today)
        except IdError as err:
            raise IdError("残疾人证号中的" + err.message) from None

    cat_char, lvl_char = number[18], number[19]
    if not _is_digits(cat_char) or int(cat_char) not in CATEGORY_LABELS:
        raise IdError(f"残疾人证号第19位残疾类别“{_show(cat_char)}”无效，应为1至7")
    if not _is_digits(lvl_char) or int(lvl_char) not in LEVEL_LABELS:
        raise IdError(f"残疾人证号第20位残疾等级“{_show(lvl_char)}”无效，应为1至4")
    cat, lvl = int(cat_char), int(lvl_char)

    if id_number is None and parsed_id is not None:
        id_number = parsed_id.number
    if id_number is not None:
        registered = parsed_id.number if parsed_id is not None else normalize(id_number)
        if registered != ident.number:
            diff = next(
                (
                    i
                    for i, (a, b) in enumerate(zip(registered, ident.number, strict=False))
                    if a != b
                ),
                min(len(registered), ID_LENGTH),
            )
            raise IdError(
                f"残疾人证号与身份证号不一致：证号前18位应与身份证号相同，第{diff + 1}位不同"
            )
    if category is not None and category != cat:
        raise IdError(
            f"残疾人证号中的残疾类别为{_label(CATEGORY_LABELS, cat)}，"
            f"与登记的{_label(CATEGORY_LABELS, category)}不一致"
        )
    if level is not None and level != lvl:
        raise IdError(
            f"残疾人证号中的残疾等级为{_label(LEVEL_LABELS, lvl)}，"
            f"与登记的{_label(LEVEL_LABELS, level)}不一致"
        )
    return Certificate(
        number=number, id_number=ident.number, category=cat, level=lvl, reissue=reissue
    )


def make_certificate(id_number: str, category: int, level: int, reissue: int = 0) -> str:
    """Build a 残疾人证号 from a valid ID (for demo data and tests)."""
    ident = normalize(id_number)
    if len(ident) != ID_LENGTH or check_char(ident[:17]) != ident[17]:
        raise ValueError(f"not a valid ID number: {id_number!r}")
    if category not in CATEGORY_LABELS:
        raise ValueError(f"category must be 1..7, got {category}")
    if level not in LEVEL_LABELS:
        raise ValueError(f"level must be 1..4, got {level}")
    if not 0 <= reissue <= 9:
        raise ValueError(f"reissue must be 0..9, got {reissue}")
    return f"{ident}{category}{level}" + (f"B{reissue}" if reissue else "")
