"""Whatever is typed or pasted, a validator accepts it or says in Chinese what is wrong.

Random text, numbers, dates and Excel-like cell values go into every validator and
parser of the domain layer.  Each must return, or raise InputError / IdError with a
non-empty Chinese message — never any other exception (which would end up as a
traceback, or as an import that stops half-way).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from canxie_tui.domain import codes, dates, ids, validate
from canxie_tui.domain import daycare as daycare_rules
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.ids import IdError
from canxie_tui.domain.models import HOUSEHOLD_FORM_FIELDS, PERSON_FORM_FIELDS

TODAY = date(2026, 11, 29)
CHINESE = re.compile(r"[\u4e00-\u9fff]")
RELAXED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# What a cell, a form field or a paste can hold.
id_like = st.from_regex(r"\A[0-9０-９xX \-]{14,23}\Z")
date_like = st.from_regex(
    r"\A[0-9０-９]{0,4}[-/.年—。 ]?[0-9０-９]{1,2}[-/.月]?[0-9０-９]{0,3}[日号]?\Z"
)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**14, max_value=10**19),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False),
)
texts = st.one_of(st.text(), st.text(alphabet="0123456789Xx-/.年月日一二三四级残疾肢体 "))
cells = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    texts,
    id_like,
    date_like,
    st.dates(),
    st.datetimes(),
)
code_lists = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(sorted(codes.BENEFITS))))


def refuses_in_chinese(call: Callable[[], Any]) -> None:
    """Run `call`: a return is fine; a refusal must be ours and say something in Chinese."""
    try:
        call()
    except (InputError, IdError) as err:
        assert err.message.strip(), repr(err)
        assert CHINESE.search(err.message), err.message


def _valid_person() -> dict[str, Any]:
    number = ids.make_id("500105", date(1968, 5, 12), 123)
    return {
        "name": "王芳",
        "id_number": number,
        "cert_number": ids.make_certificate(number, 4, 2),
        "category": 4,
        "level": 2,
    }


VISIT_FIELDS = (
    "visit_date",
    "method",
    "purpose",
    "problem_text",
    "help_given",
    "note",
    "followup_what",
    "followup_due",
    "followup_urgent",
)


# -- forms ----------------------------------------------------------------------------------


@RELAXED
@given(
    scalars=st.dictionaries(st.sampled_from(PERSON_FORM_FIELDS), cells),
    lists=st.dictionaries(st.sampled_from(("care_flags", "benefits")), code_lists),
    start_valid=st.booleans(),
)
@example(scalars={"category": "1" * 5000, "name": "王芳"}, lists={}, start_valid=False)
def test_clean_person(
    scalars: dict[str, Any], lists: dict[str, list[str]], start_valid: bool
) -> None:
    values = {**(_valid_person() if start_valid else {}), **scalars, **lists}
    refuses_in_chinese(lambda: validate.clean_person(values, TODAY))


@RELAXED
@given(
    scalars=st.dictionaries(st.sampled_from(HOUSEHOLD_FORM_FIELDS), cells),
    flags=st.one_of(st.none(), code_lists, st.just(["dibao", "alone"])),
)
def test_clean_household(scalars: dict[str, Any], flags: list[str] | None) -> None:
    refuses_in_chinese(lambda: validate.clean_household({**scalars, "flags": flags}))


@RELAXED
@given(
    scalars=st.dictionaries(st.sampled_from(VISIT_FIELDS), cells),
    lists=st.dictionaries(
        st.sampled_from(("visitors", "persons_seen", "checklist", "problems", "referrals")),
        code_lists,
    ),
    start_valid=st.booleans(),
)
def test_clean_visit(
    scalars: dict[str, Any], lists: dict[str, list[str]], start_valid: bool
) -> None:
    base = (
        {"visit_date": "今天", "method": "home", "visitors": ["甲"], "persons_seen": ["乙"]}
        if start_valid
        else {}
    )
    refuses_in_chinese(lambda: validate.clean_visit({**base, **scalars, **lists}, TODAY))


@RELAXED
@given(category=st.one_of(st.text(), st.sampled_from(sorted(codes.NOTE_CATEGORIES))), body=texts)
def test_clean_note(category: str, body: str) -> None:
    refuses_in_chinese(lambda: validate.clean_note(category, body))


# -- identity numbers -----------------------------------------------------------------------


@RELAXED
@given(value=cells)
@example(value=500105196805120038)  # an ID typed into a number cell
@example(value=5.00105196805121e17)  # ... and what Excel made of it
@example(value="500105196805120038.0")
@example(value=float("nan"))
def test_parse_id(value: Any) -> None:
    refuses_in_chinese(lambda: ids.parse_id(value, TODAY))


@RELAXED
@given(
    value=st.one_of(cells, id_like.map(lambda s: s + "42"), id_like.map(lambda s: s + "42B1")),
    against=st.one_of(st.none(), id_like, st.just(_valid_person()["id_number"])),
    category=st.one_of(st.none(), st.integers(-3, 12)),
    level=st.one_of(st.none(), st.integers(-3, 12)),
)
def test_parse_certificate(value: Any, against: str | None, category: Any, level: Any) -> None:
    refuses_in_chinese(
        lambda: ids.parse_certificate(
            value, id_number=against, category=category, level=level, today=TODAY
        )
    )


# -- dates, weekdays, months, codes ---------------------------------------------------------


@RELAXED
@given(text=st.one_of(texts, date_like), allow_future=st.booleans())
@example(text="1129", allow_future=False)
@example(text="2026-02-30", allow_future=False)
@example(text="0000-01-01", allow_future=True)
@example(text="9999-12-31", allow_future=True)
def test_parse_day(text: str, allow_future: bool) -> None:
    refuses_in_chinese(lambda: dates.parse_day(text, TODAY, allow_future=allow_future))


@RELAXED
@given(
    value=st.one_of(
        texts,
        st.text(alphabet="1234567890一二三四五六日天周星期至到-~、， "),
        st.lists(st.integers()),
    )
)
def test_parse_weekdays(value: str | list[int]) -> None:
    refuses_in_chinese(lambda: daycare_rules.parse_weekdays(value))


@RELAXED
@given(text=st.one_of(texts, date_like))
@example(text="2026-13")
@example(text="0001-01")
def test_parse_month(text: str) -> None:
    refuses_in_chinese(lambda: dates.parse_month(text))


@RELAXED
@given(value=cells)
@example(value="肢体残疾")
@example(value="贰级")
def test_parse_category_and_level_return_a_code_or_none(value: Any) -> None:
    for parse, table in (
        (codes.parse_category, codes.CATEGORIES),
        (codes.parse_level, codes.LEVELS),
    ):
        found = parse(value)
        assert found is None or found in table


@pytest.mark.parametrize("parse", [codes.parse_category, codes.parse_level])
def test_parse_code_of_a_huge_number_text(parse: Callable[[object], int | None]) -> None:
    assert parse("4" * 5000) is None


def test_the_oracle_itself_rejects_other_exceptions() -> None:
    """refuses_in_chinese must not swallow a crash (else every test above proves nothing)."""
    with pytest.raises(ZeroDivisionError):
        refuses_in_chinese(lambda: 1 / 0)
    with pytest.raises(AssertionError):
        refuses_in_chinese(lambda: (_ for _ in ()).throw(InputError("bad input")))
    refuses_in_chinese(lambda: (_ for _ in ()).throw(InputError("请填写姓名")))
