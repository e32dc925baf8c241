"""Natural order of place names: Chinese numerals and digits compare as numbers."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canxie_tui.domain.natural import chinese_number, natural_key, sort_text

_DIGIT = "零一二三四五六七八九"


def spelled(n: int) -> str:
    """n (0..9999) as written in Chinese: 十一, 二十, 一百零五, 一千零一十."""
    if n < 10:
        return _DIGIT[n]
    if n < 20:
        return "十" + (_DIGIT[n - 10] if n > 10 else "")
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, unit)
        if digit:
            out += ("零" if zero and out else "") + _DIGIT[digit] + name
            zero = False
        else:
            zero = True
    return out


def in_order(*texts: str) -> None:
    """`texts` are in natural order, whatever order they come in."""
    for arrangement in (list(texts), list(reversed(texts))):
        random.Random(len(texts)).shuffle(arrangement)
        assert sorted(arrangement, key=natural_key) == list(texts)


def test_chinese_grids_in_number_order() -> None:
    in_order(
        "第一网格", "第二网格", "第三网格", "第十网格", "第十一网格", "第二十网格", "第二十一网格"
    )


def test_arabic_and_full_width_digits() -> None:
    in_order("2栋", "3栋", "１２栋", "13栋")
    in_order("2网格", "10网格")
    in_order("1单元", "2单元", "10单元")
    in_order("201", "１１０１", "1201")


def test_groups_and_two() -> None:
    in_order("一组", "两组", "三组", "十组")
    in_order("一组", "二组")


def test_the_same_number_written_two_ways_sits_together() -> None:
    keys = sorted(["第十网格", "第2网格", "第10网格", "第二网格", "第3网格"], key=natural_key)
    assert keys == ["第2网格", "第二网格", "第3网格", "第10网格", "第十网格"]
    assert natural_key("第2网格")[0] == natural_key("第二网格")[0] == ("第", 2, "网格")


def test_text_without_numbers_and_empty() -> None:
    in_order("", "A栋", "B栋")
    in_order("2栋", "北区", "南区")  # a number before text at the same place; then code points
    assert natural_key("") == (("",), "")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("二十一", 21),
        ("两", 2),
        ("两千", 2000),
        ("一百零五", 105),
        ("一千零十", 1010),
        ("一千一百一十一", 1111),
        ("二〇二四", 2024),
        ("零", 0),
        ("千", None),
        ("百", None),
        ("二三十", None),
        ("一百一千", None),
        ("十十", None),
        ("", None),
    ],
)
def test_chinese_number(text: str, number: int | None) -> None:
    assert chinese_number(text) == number


def test_a_run_that_is_no_number_stays_text() -> None:
    assert natural_key("千厮门1号")[0] == ("千厮门", 1, "号")
    assert natural_key("十十栋")[0] == ("十十栋",)


@given(st.integers(0, 9999))
def test_every_number_spelled_in_chinese_reads_back(n: int) -> None:
    assert chinese_number(spelled(n)) == n


@given(st.integers(0, 9999), st.integers(0, 9999))
def test_spelled_grids_sort_as_their_numbers(a: int, b: int) -> None:
    first, second = natural_key(f"第{spelled(a)}网格"), natural_key(f"第{a}网格")
    assert first[0] == second[0]
    assert (natural_key(f"第{spelled(a)}网格") < natural_key(f"第{spelled(b)}网格")) == (a < b)


_PIECES = st.sampled_from(["第", "网格", "栋", "单元", "A", "b", " ", "-", "千", "百", "十", "零"])
_MIXED = st.lists(
    st.one_of(_PIECES, st.sampled_from(list(_DIGIT + "两〇")), st.integers(0, 10**30).map(str)),
    max_size=8,
).map("".join)


@given(st.lists(st.one_of(_MIXED, st.text(max_size=6)), max_size=12), st.randoms())
def test_any_mix_sorts_without_error_and_whatever_the_input_order(
    texts: list[str], rnd: random.Random
) -> None:
    expected = sorted(texts, key=natural_key)
    shuffled = texts[:]
    rnd.shuffle(shuffled)
    assert sorted(shuffled, key=natural_key) == expected


@given(_MIXED, _MIXED)
def test_keys_are_equal_only_for_the_same_text(a: str, b: str) -> None:
    assert (natural_key(a) == natural_key(b)) == (a == b)
    # The numbers and texts alternate, so any two keys compare.
    assert isinstance(natural_key(a) < natural_key(b), bool)


_PLACES = st.tuples(_MIXED, _MIXED, _MIXED, st.one_of(_MIXED, st.text(max_size=4)))


@given(_PLACES, _PLACES)
def test_sort_text_compares_as_the_natural_keys(a: tuple[str, ...], b: tuple[str, ...]) -> None:
    """The stored place key (`sort_text`) orders exactly as building, unit and room in
    natural order then the name: the emergency list sorts the stored strings."""

    def key(t: tuple[str, ...]) -> tuple[object, ...]:
        return (natural_key(t[0]), natural_key(t[1]), natural_key(t[2]), t[3])

    def text(t: tuple[str, ...]) -> str:
        return sort_text(t[0], t[1], t[2], last=t[3])

    assert (text(a) < text(b)) == (key(a) < key(b))
    assert (text(a) == text(b)) == (a == b)


def test_sort_text_with_the_characters_it_uses_as_marks() -> None:
    texts = ["", "\x00", "\x01", "\x02", "\x03", "\x04", "a\x01b", "a", "a\x03", "3栋\x02", "3栋"]
    places = [(t, u, "", n) for t in texts for u in texts for n in ("", "\x01", "王")]
    by_key = sorted(
        places, key=lambda t: (natural_key(t[0]), natural_key(t[1]), natural_key(t[2]), t[3])
    )
    assert sorted(places, key=lambda t: sort_text(t[0], t[1], t[2], last=t[3])) == by_key
