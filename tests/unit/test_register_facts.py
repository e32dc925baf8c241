"""The register facts the indicator rules read: how they are typed, imported and checked."""

from __future__ import annotations

from datetime import date

import pytest

from canxie_tui.domain import codes, validate
from canxie_tui.domain.errors import InputError

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("重庆市江北区观音桥街道建新东路1号", "cq"),
        ("重庆", "cq"),
        ("市内", "cq"),
        ("江北区华新街街道", "cq"),  # a local address without the city
        ("四川省广安市岳池县", "outside"),
        ("广西壮族自治区南宁市", "outside"),
        ("北京市朝阳区", "outside"),
        ("市外", "outside"),
        ("outside", "outside"),
        ("", None),
    ],
)
def test_hukou_from_what_rosters_write(text: str, code: str | None) -> None:
    assert codes.parse_hukou(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("城乡居民", "resident"),
        ("城镇职工", "employee"),
        ("职工", "employee"),
        ("未参保", "none"),
        ("无", "none"),
        ("", None),
        ("商业保险", None),
    ],
)
def test_insurance_scheme(text: str, code: str | None) -> None:
    assert codes.parse_scheme(text) == code


def test_yes_no_and_poverty() -> None:
    assert [codes.parse_yes_no(t) for t in ("是", "享受", "否", "未享受", "", "也许")] == [
        True,
        True,
        False,
        False,
        None,
        None,
    ]
    assert [codes.parse_poverty(t) for t in ("低保", "特困", "低保边缘", "无", "", "贫困")] == [
        "dibao",
        "tekun",
        "dibao_edge",
        "",
        None,
        None,
    ]


def test_register_facts_cleaned() -> None:
    facts = validate.clean_register_facts(
        {
            "hukou": "outside",
            "hukou_address": " 四川省岳池县 ",
            "apart": True,
            "pension_scheme": "employee",
            "medical_scheme": "",
            "cert_issued": "2019/3/8",
            "cert_valid_until": "20290308",
            "trained_on": "2026-05-06",
        },
        TODAY,
    )
    assert facts == {
        "hukou": "outside",
        "hukou_address": "四川省岳池县",
        "apart": 1,
        "pension_scheme": "employee",
        "medical_scheme": "",
        "cert_issued": "2019-03-08",
        "cert_valid_until": "2029-03-08",  # a future date is the point of it
        "trained_on": "2026-05-06",
    }
    assert validate.clean_register_facts({}, TODAY)["hukou"] == "cq"


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"hukou": "火星"}, "hukou", "户籍“火星”无法识别"),
        ({"pension_scheme": "商业"}, "pension_scheme", "养老保险“商业”无法识别"),
        ({"cert_issued": "2027-01-01"}, "cert_issued", "发证日期不能晚于今天"),
        (
            {"cert_issued": "2020-01-01", "cert_valid_until": "2019-01-01"},
            "cert_valid_until",
            "应晚于发证日期",
        ),
        ({"trained_on": "明天"}, "trained_on", "培训日期“明天”不是有效日期"),
    ],
)
def test_bad_register_facts_say_what_and_where(
    values: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(InputError) as caught:
        validate.clean_register_facts(values, TODAY)
    assert caught.value.field == field
    assert words in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "2026-1-5",
        "2026/1/5",
        "2026.1.5",
        "2026年1月5日",
        "20260105",
        "２０２６－０１－０５",
        " 2026-01-05 ",
    ],
)
def test_dates_as_people_write_them(text: str) -> None:
    assert validate.clean_date(text, "d", "日期", TODAY) == "2026-01-05"


@pytest.mark.parametrize("text", ["2026-13-01", "2026-2-30", "明天", "2026-1", "05/01/2026"])
def test_dates_that_are_not(text: str) -> None:
    with pytest.raises(InputError, match="不是有效日期"):
        validate.clean_date(text, "d", "日期", TODAY)
