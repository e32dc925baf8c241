"""Tests for 居民身份证号 and 残疾人证号 validation."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from canxie_tui.domain.ids import (
    Certificate,
    IdError,
    IdNumber,
    check_char,
    make_certificate,
    make_id,
    mask_id,
    normalize,
    parse_certificate,
    parse_id,
)

TODAY = date(2026, 6, 1)
PUBLISHED = "11010519491231002X"  # GB 11643-1999 example number


def _with_check(first17: str) -> str:
    return first17 + check_char(first17)


# --- check character ---------------------------------------------------------------------


def test_check_char_by_hand() -> None:
    # 11010519491231002: weighted sum 167, 167 % 11 = 2 -> "X"
    first17 = "11010519491231002"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    assert total % 11 == 2
    assert check_char(first17) == "X"


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("44052419800101001", "3"),
        ("50010519900307123", "1"),
        ("00000000000000000", "1"),
    ],
)
def test_check_char_known(first17: str, expected: str) -> None:
    assert check_char(first17) == expected


def test_check_char_covers_every_remainder() -> None:
    seen = set()
    for seq in range(200):
        seen.add(check_char(f"50010519900307{seq:03d}"))
    assert seen == set("10X98765432")


@pytest.mark.parametrize("bad", ["", "1234", "1101051949123100X", "110105194912310021"])
def test_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        check_char(bad)


# --- valid IDs ---------------------------------------------------------------------------


def test_published_example_is_valid() -> None:
    ident = parse_id(PUBLISHED, today=TODAY)
    assert ident == IdNumber(
        number=PUBLISHED, area_code="110105", birth_date=date(1949, 12, 31), sex="女"
    )


def test_make_id_output_parses() -> None:
    number = make_id("500105", date(1990, 3, 7), 123)
    assert number == "500105199003071231"
    ident = parse_id(number, today=TODAY)
    assert ident.number == number
    assert ident.area_code == "500105"
    assert ident.birth_date == date(1990, 3, 7)
    assert ident.sex == "男"  # 17th digit 3 is odd


def test_sex_from_17th_digit() -> None:
    assert parse_id(make_id("500105", date(1990, 3, 7), 124), today=TODAY).sex == "女"
    assert parse_id(make_id("500105", date(1990, 3, 7), 0), today=TODAY).sex == "女"
    assert parse_id(make_id("500105", date(1990, 3, 7), 999), today=TODAY).sex == "男"


@pytest.mark.parametrize("area", ["510211", "500105", "500157"])
def test_era_area_codes_accepted(area: str) -> None:
    number = make_id(area, date(1960, 5, 20), 31)
    assert parse_id(number, today=TODAY).area_code == area


def test_unknown_area_code_not_rejected() -> None:
    # 999999 is no real division; still accepted (area code is never checked).
    assert parse_id(make_id("999999", date(1980, 1, 1), 11), today=TODAY).area_code == "999999"


def test_lower_case_x_accepted_and_stored_upper() -> None:
    assert parse_id("11010519491231002x", today=TODAY).number == PUBLISHED


def test_full_width_input_normalised() -> None:
    full = "１１０１０５１９４９１２３１００２Ｘ"
    assert parse_id(full, today=TODAY).number == PUBLISHED
    assert parse_id("１１０１０５１９４９１２３１００２ｘ", today=TODAY).number == PUBLISHED


def test_spaces_and_hyphens_inside_stripped() -> None:
    for text in (
        "  110105 19491231 002X ",
        "110105\u300019491231\u3000002x",
        "110105-19491231-002X",
        "\t110105194912310 02X\n",
    ):
        assert parse_id(text, today=TODAY).number == PUBLISHED


def test_valid_int_input_accepted() -> None:
    number = make_id("500105", date(1990, 3, 7), 123)
    assert number[-1] != "X"
    assert parse_id(int(number), today=TODAY).number == number


def test_birth_today_is_accepted() -> None:
    assert parse_id(make_id("500105", TODAY, 1), today=TODAY).birth_date == TODAY


def test_1900_01_01_is_accepted() -> None:
    parse_id(make_id("510211", date(1900, 1, 1), 1), today=TODAY)


# --- normalize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 11010519491231002x ", PUBLISHED),
        ("１１０１０５１９４９１２３１００２Ｘ", PUBLISHED),
        ("110105\u300019491231 002X", PUBLISHED),
        ("110105－19491231-002X", PUBLISHED),
        ("50010519900307123141b1", "50010519900307123141B1"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# --- rejections --------------------------------------------------------------------------


def _reject(text: str | int | float, today: date = TODAY) -> str:
    with pytest.raises(IdError) as info:
        parse_id(text, today=today)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.message == str(err)
    return err.message


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_empty(text: str) -> None:
    assert _reject(text) == "身份证号为空"


def test_wrong_length() -> None:
    assert _reject(PUBLISHED[:17]) == "身份证号应为18位，实际为17位"
    assert _reject(PUBLISHED + "1").startswith("身份证号应为18位，实际为19位")
    assert "实际为15位" in _reject("110105491231002")


def test_illegal_character() -> None:
    assert _reject("11010519491231002Y") == "身份证号含有非法字符“Y”"
    assert _reject("1101051949123100.2") == "身份证号含有非法字符“.”"
    assert _reject("张三") == "身份证号含有非法字符“张”"


def test_x_not_last() -> None:
    assert "X只能是最后一位" in _reject("1101051949123100X2")
    assert "X只能是最后一位" in _reject("X10105194912310020")


def test_area_code_leading_zero() -> None:
    message = _reject(_with_check("01010519491231002"))
    assert "地区码010105" in message
    assert "首位不能为0" in message


def test_check_char_wrong() -> None:
    assert _reject("110105194912310023") == "身份证号校验位错误：应为X，实际为3"
    number = make_id("500105", date(1990, 3, 7), 123)  # ...1231
    assert _reject(number[:17] + "X") == "身份证号校验位错误：应为1，实际为X"


def test_invalid_date() -> None:
    assert _reject(_with_check("50010520230231001")) == "身份证号中的出生日期20230231不是有效日期"
    assert "出生日期19901301不是有效日期" in _reject(_with_check("50010519901301001"))
    assert "出生日期19900000不是有效日期" in _reject(_with_check("50010519900000001"))


def test_feb_29_leap_and_non_leap() -> None:
    for year in (2000, 2024, 1904):
        ident = parse_id(make_id("500105", date(year, 2, 29), 12), today=TODAY)
        assert ident.birth_date == date(year, 2, 29)
    for year in (1900, 1901, 2023):  # 1900 is not a leap year
        message = _reject(_with_check(f"500105{year}0229012"))
        assert message == f"身份证号中的出生日期{year}0229不是有效日期"


def test_future_birth_date() -> None:
    tomorrow = TODAY + timedelta(days=1)
    message = _reject(make_id("500157", tomorrow, 1))
    assert "出生日期不能晚于今天" in message
    assert tomorrow.strftime("%Y%m%d") in message


def test_future_relative_to_default_today() -> None:
    future = date.today() + timedelta(days=400)
    with pytest.raises(IdError, match="出生日期不能晚于今天"):
        parse_id(make_id("500157", future, 1))


def test_before_1900() -> None:
    message = _reject(_with_check("51021118991231001"))
    assert "18991231" in message
    assert "1900" in message


# --- Excel-mangled numbers ---------------------------------------------------------------


def _assert_excel(message: str) -> None:
    assert "Excel" in message
    assert "数值" in message
    assert "丢失" in message
    assert "文本" in message
    assert "重新录入" in message


@pytest.mark.parametrize(
    "value",
    [
        5.00105199003071e17,
        500105199003071232.0,
        float(11010519491231002),
        1.0,
        float("nan"),
        float("inf"),
    ],
)
def test_float_always_rejected_as_excel(value: float) -> None:
    _assert_excel(_reject(value))


@pytest.mark.parametrize(
    "text",
    ["5.00105E+17", "5.00105e17", "5.00105E17", "5,00105E+17", "５．００１０５Ｅ＋１７"],
)
def test_scientific_notation_rejected_as_excel(text: str) -> None:
    _assert_excel(_reject(text))


def test_decimal_string_rejected_as_excel() -> None:
    _assert_excel(_reject("500105199003071000.0"))


def test_precision_loss_rejected_as_excel() -> None:
    # 15 significant digits then zeros, checksum fails.
    assert check_char("50010519900307100") != "0"
    _assert_excel(_reject("500105199003071000"))
    _assert_excel(_reject(500105199003071000))


def test_trailing_zeros_with_valid_checksum_accepted() -> None:
    # Ends in 000 but the checksum holds: a real number, not precision loss.
    first17 = next(
        f"500105{day:%Y%m%d}{seq:03d}"
        for day in (date(1990, 3, 1) + timedelta(days=i) for i in range(60))
        for seq in range(0, 1000, 100)
        if check_char(f"500105{day:%Y%m%d}{seq:03d}") == "0"
    )
    number = first17 + "0"
    assert number.endswith("000")
    assert parse_id(number, today=TODAY).number == number


def test_trailing_zero_check_fail_without_000_is_checksum_error() -> None:
    number = make_id("500105", date(1990, 3, 7), 123)
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    assert bad.endswith("30") or bad.endswith("31")
    assert "校验位错误" in _reject(bad)


def test_negative_and_odd_types() -> None:
    assert "负数" in _reject(-int(make_id("500105", date(1990, 3, 7), 123)))
    with pytest.raises(IdError):
        parse_id(True, today=TODAY)
    with pytest.raises(IdError, match="身份证号为空"):
        parse_id(None, today=TODAY)  # type: ignore[arg-type]


# --- age ---------------------------------------------------------------------------------


def test_age_on() -> None:
    ident = parse_id(make_id("500105", date(1990, 3, 7), 1), today=TODAY)
    assert ident.age_on(date(2026, 3, 6)) == 35
    assert ident.age_on(date(2026, 3, 7)) == 36
    assert ident.age_on(date(1990, 3, 7)) == 0


def test_age_on_feb_29_birthday() -> None:
    ident = parse_id(make_id("500105", date(2000, 2, 29), 1), today=TODAY)
    assert ident.age_on(date(2023, 2, 28)) == 22
    assert ident.age_on(date(2023, 3, 1)) == 23
    assert ident.age_on(date(2024, 2, 29)) == 24


# --- mask_id -----------------------------------------------------------------------------


def test_mask_id() -> None:
    assert mask_id("500105199003071234") == "500105********1234"
    assert mask_id(PUBLISHED) == "110105********002X"
    assert mask_id("11010519491231002x") == "110105********002X"
    assert mask_id("") == ""
    assert mask_id("12345") == "*2345"
    assert mask_id("110105491231002") == "***********1002"
    assert mask_id("123") == "***"
    cert = "50010519900307123141B1"
    masked = mask_id(cert)
    assert len(masked) == len(cert)
    assert masked.endswith("41B1")
    assert "199003071231" not in masked


def test_mask_id_keeps_no_birth_date() -> None:
    number = make_id("500105", date(1990, 3, 7), 123)
    assert "19900307" not in mask_id(number)
    assert parse_id(number, today=TODAY).masked == mask_id(number)


# --- make_id -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "birth", "seq"),
    [
        ("50010", date(1990, 1, 1), 1),
        ("050010", date(1990, 1, 1), 1),
        ("50010A", date(1990, 1, 1), 1),
        ("500105", date(1990, 1, 1), -1),
        ("500105", date(1990, 1, 1), 1000),
    ],
)
def test_make_id_rejects_bad_args(area: str, birth: date, seq: int) -> None:
    with pytest.raises(ValueError):
        make_id(area, birth, seq)


# --- certificates ------------------------------------------------------------------------

ID_A = make_id("500105", date(1985, 6, 15), 231)  # 男
ID_B = make_id("510211", date(1950, 11, 2), 442)  # 女


def _reject_cert(text: str, **kwargs: object) -> str:
    with pytest.raises(IdError) as info:
        parse_certificate(text, today=TODAY, **kwargs)  # type: ignore[arg-type]
    return info.value.message


def test_certificate_parse() -> None:
    cert = parse_certificate(ID_A + "42", today=TODAY)
    assert cert == Certificate(number=ID_A + "42", id_number=ID_A, category=4, level=2, reissue=0)
    assert cert.category_label == "肢体"
    assert cert.level_label == "二级"


def test_certificate_with_reissue_suffix() -> None:
    cert = parse_certificate(ID_B + "13B1", today=TODAY)
    assert cert.reissue == 1
    assert cert.number == ID_B + "13B1"
    assert cert.id_number == ID_B
    assert (cert.category, cert.level) == (1, 3)
    assert parse_certificate(ID_B + "13b9", today=TODAY).reissue == 9


def test_certificate_normalises_input() -> None:
    text = " " + ID_B.lower()
    full = "".join(chr(ord(c) + 0xFEE0) for c in "54B2")
    cert = parse_certificate(text + " " + full, today=TODAY)
    assert cert.number == ID_B + "54B2"
    assert cert.reissue == 2


def test_certificate_matches_registered_values() -> None:
    cert = parse_certificate(ID_A + "24", id_number=ID_A.lower(), category=2, level=4, today=TODAY)
    assert (cert.category, cert.level) == (2, 4)


def test_certificate_wrong_length() -> None:
    assert "实际为19位" in _reject_cert(ID_A + "4")
    assert "实际为21位" in _reject_cert(ID_A + "42B")
    assert _reject_cert("") == "残疾人证号为空"


def test_certificate_bad_suffix() -> None:
    assert "补发标记“B0”无效" in _reject_cert(ID_A + "42B0")
    assert "补发标记“C1”无效" in _reject_cert(ID_A + "42C1")


def test_certificate_bad_id_part_prefixed() -> None:
    bad = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")
    message = _reject_cert(bad + "42")
    assert message.startswith("残疾人证号中的身份证号校验位错误")
    message = _reject_cert(_with_check("50010520230231001") + "42")
    assert message.startswith("残疾人证号中的")
    assert "20230231不是有效日期" in message


def test_certificate_bad_category_and_level() -> None:
    assert "残疾类别“8”无效" in _reject_cert(ID_A + "82")
    assert "残疾类别“0”无效" in _reject_cert(ID_A + "02")
    assert "残疾等级“5”无效" in _reject_cert(ID_A + "45")
    assert "残疾等级“0”无效" in _reject_cert(ID_A + "40")


def test_certificate_id_mismatch() -> None:
    message = _reject_cert(ID_A + "42", id_number=ID_B)
    assert message.startswith("残疾人证号与身份证号不一致")


def test_certificate_category_mismatch() -> None:
    message = _reject_cert(ID_A + "42", category=2)
    assert message == "残疾人证号中的残疾类别为4（肢体），与登记的2（听力）不一致"


def test_certificate_level_mismatch() -> None:
    message = _reject_cert(ID_A + "31", level=3)
    assert message == "残疾人证号中的残疾等级为1（一级），与登记的3（三级）不一致"


def test_certificate_excel_mangled() -> None:
    _assert_excel(_reject_cert("5.00105E+19"))
    _assert_excel(_reject_cert("50010519900307100000"))


def test_make_certificate() -> None:
    assert make_certificate(ID_A, 4, 2) == ID_A + "42"
    assert make_certificate(ID_A, 7, 1, reissue=3) == ID_A + "71B3"
    assert parse_certificate(make_certificate(ID_B, 5, 4, 2), today=TODAY).reissue == 2
    for args in ((ID_A, 0, 1), (ID_A, 8, 1), (ID_A, 1, 5), (ID_A[:17] + "Y", 1, 1)):
        with pytest.raises(ValueError):
            make_certificate(*args)
    with pytest.raises(ValueError):
        make_certificate(ID_A, 1, 1, reissue=10)


# --- property-based ----------------------------------------------------------------------

REAL_TODAY = date.today()

valid_ids = st.builds(
    make_id,
    st.integers(110000, 659999).map(str),
    st.dates(min_value=date(1900, 1, 1), max_value=REAL_TODAY),
    st.integers(0, 999),
)


@given(valid_ids)
def test_every_generated_id_parses(number: str) -> None:
    ident = parse_id(number)
    assert ident.number == number
    assert ident.area_code == number[:6]
    assert ident.birth_date.strftime("%Y%m%d") == number[6:14]
    assert ident.sex == ("男" if int(number[16]) % 2 else "女")
    assert parse_id(number.lower()).number == number


@given(valid_ids, st.integers(0, 16), st.integers(1, 9))
def test_single_digit_corruption_rejected(number: str, pos: int, shift: int) -> None:
    digit = str((int(number[pos]) + shift) % 10)
    corrupted = number[:pos] + digit + number[pos + 1 :]
    assert corrupted != number
    with pytest.raises(IdError):
        parse_id(corrupted)


@given(valid_ids, st.sampled_from("10X98765432"))
def test_check_char_corruption_rejected(number: str, char: str) -> None:
    assume(char != number[17])
    with pytest.raises(IdError):
        parse_id(number[:17] + char)


@given(valid_ids, st.integers(1, 7), st.integers(1, 4), st.integers(0, 9))
def test_generated_certificates_parse(number: str, cat: int, lvl: int, reissue: int) -> None:
    cert = parse_certificate(
        make_certificate(number, cat, lvl, reissue), id_number=number, category=cat, level=lvl
    )
    assert (cert.id_number, cert.category, cert.level, cert.reissue) == (number, cat, lvl, reissue)


@given(st.text())
def test_normalize_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(st.text())
def test_parse_id_only_raises_id_error_on_text(text: str) -> None:
    with contextlib.suppress(IdError):
        parse_id(text)


@given(st.one_of(st.floats(), st.integers()))
def test_parse_id_only_raises_id_error_on_numbers(value: float) -> None:
    with contextlib.suppress(IdError):
        parse_id(value)


@given(st.floats())
def test_floats_always_rejected(value: float) -> None:
    with pytest.raises(IdError, match="Excel"):
        parse_id(value)


@given(st.text())
def test_parse_certificate_only_raises_id_error(text: str) -> None:
    with contextlib.suppress(IdError):
        parse_certificate(text)


@given(st.text())
def test_mask_id_never_reveals_more_than_last_four(text: str) -> None:
    masked = mask_id(text)
    norm = normalize(text)
    assert len(masked) == len(norm)
    if len(norm) != 18:
        assert masked[: max(len(norm) - 4, 0)] == "*" * max(len(norm) - 4, 0)
