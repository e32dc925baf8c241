"""Tests for canxie_tui.domain.search_keys."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canxie_tui.domain.search_keys import (
    MAX_KEYS,
    SURNAME_READINGS,
    initials,
    is_pinyin_query,
    name_keys,
    normalize_query,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY_RE = re.compile(r"[a-z0-9]+")


def _assert_valid_keys(keys: list[str]) -> None:
    assert isinstance(keys, list)
    assert len(keys) <= MAX_KEYS
    assert len(keys) == len(set(keys))
    for key in keys:
        assert isinstance(key, str)
        assert KEY_RE.fullmatch(key), key


# --- name_keys: basic names -------------------------------------------------


def test_plain_name_full_pinyin_and_initials() -> None:
    assert name_keys("王芳") == ["wangfang", "wf"]


def test_single_reading_surname_gives_exactly_two_keys() -> None:
    keys = name_keys("李明")
    assert keys == ["liming", "lm"]
    assert len(keys) == 2


def test_three_character_name() -> None:
    assert name_keys("张晓梅") == ["zhangxiaomei", "zxm", "zhangxm"]


def test_empty_and_blank_give_no_keys() -> None:
    assert name_keys("") == []
    assert name_keys("   ") == []
    assert name_keys("·") == []


def test_keys_are_lower_case_ascii() -> None:
    for name in ["王芳", "单丽", "欧阳娜娜", "阿依古丽·买买提", "ＡＢ王", "Müller"]:
        _assert_valid_keys(name_keys(name))


def test_deterministic() -> None:
    names = ["单丽", "曾小红", "欧阳娜娜", "阿依古丽·买买提", "王芳"]
    first = [name_keys(n) for n in names]
    for _ in range(3):
        assert [name_keys(n) for n in names] == first


def test_identical_initials_deduplicated() -> None:
    # 朴 piao/pu: both readings start with "p", so "pzx" appears once.
    keys = name_keys("朴智星")
    assert keys == ["piaozhixing", "pzx", "puzhixing", "piaozx", "puzx"]


def test_single_letter_name_full_equals_initials() -> None:
    # full form and initials are both "a": deduplicated to one key.
    assert name_keys("A") == ["a"]


# --- polyphonic surnames ----------------------------------------------------


def test_shan_surname_all_readings() -> None:
    keys = name_keys("单丽")
    for key in ["shanli", "sl", "danli", "dl"]:
        assert key in keys
    assert keys[:2] == ["shanli", "sl"]  # surname reading first


def test_zeng_surname_reading_first() -> None:
    keys = name_keys("曾小红")
    assert keys[0] == "zengxiaohong"
    assert keys[1] == "zxh"
    assert "cengxiaohong" in keys
    assert "cxh" in keys


def test_xie_surname() -> None:
    keys = name_keys("解放")
    assert keys[0] == "xiefang"
    assert "jiefang" in keys
    assert "xf" in keys
    assert "jf" in keys


@pytest.mark.parametrize(
    ("name", "primary", "other"),
    [
        ("仇军", "qiujun", "choujun"),
        ("区华", "ouhua", "quhua"),
        ("查明", "zhaming", "chaming"),
        ("乐平", "yueping", "leping"),
        ("盖伟", "gewei", "gaiwei"),
        ("缪斌", "miaobin", "moubin"),
        ("覃兵", "qinbing", "tanbing"),
        ("翟刚", "zhaigang", "digang"),
        ("召勇", "shaoyong", "zhaoyong"),
        ("黑军", "hejun", "heijun"),
        ("折兰", "shelan", "zhelan"),
        ("谌静", "chenjing", "shenjing"),
    ],
)
def test_polyphonic_surname_table(name: str, primary: str, other: str) -> None:
    keys = name_keys(name)
    assert keys[0] == primary
    assert other in keys


def test_surname_table_is_lower_ascii() -> None:
    for surname, readings in SURNAME_READINGS.items():
        assert 1 <= len(surname) <= 2
        assert readings
        for reading in readings:
            syllables = reading.split()
            assert len(syllables) == len(surname), (surname, reading)
            assert all(re.fullmatch(r"[a-z]+", s) for s in syllables)


def test_surname_only_name() -> None:
    assert name_keys("单")[:2] == ["shan", "s"]


# --- compound surnames ------------------------------------------------------


def test_ouyang_compound_surname() -> None:
    assert name_keys("欧阳娜娜") == ["ouyangnana", "oynn", "ouyangnn"]


@pytest.mark.parametrize(
    ("name", "primary"),
    [
        ("司马光", "simaguang"),
        ("上官婉儿", "shangguanwaner"),
        ("诸葛亮", "zhugeliang"),
        ("东方明", "dongfangming"),
        ("皇甫嵩", "huangfusong"),
        ("令狐冲", "linghuchong"),
        ("夏侯惇", "xiahoudun"),
        ("慕容复", "murongfu"),
        ("端木蓉", "duanmurong"),
        ("公孙胜", "gongsunsheng"),
    ],
)
def test_compound_surnames(name: str, primary: str) -> None:
    assert name_keys(name)[0] == primary


def test_polyphonic_compound_surnames() -> None:
    keys = name_keys("长孙无忌")
    assert keys[:2] == ["zhangsunwuji", "zswj"]
    assert "changsunwuji" in keys

    keys = name_keys("尉迟恭")
    assert keys[:2] == ["yuchigong", "ycg"]
    assert "weichigong" in keys

    keys = name_keys("单于明")
    assert keys[:2] == ["chanyuming", "cym"]
    assert "shanyuming" in keys


# --- given names, ü, non-Chinese characters --------------------------------


def test_lv_written_with_v() -> None:
    keys = name_keys("张绿")
    assert keys[0] == "zhanglv"
    assert not any("ü" in k for k in keys)
    assert name_keys("吕女")[0] == "lvnv"


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("阚德明", ["kandeming", "kdm"]),
        ("卜一凡", ["buyifan", "byf"]),
        ("薄明", ["boming", "bm"]),
        ("藏建华", ["zangjianhua", "zjh"]),
        ("佴军", ["naijun", "nj"]),
        ("长明", ["changming", "cm"]),
    ],
)
def test_surnames_pypinyin_reads_wrongly(name: str, keys: list[str]) -> None:
    assert name_keys(name)[:2] == keys


def test_surname_in_full_with_given_initials() -> None:
    assert "zhangxw" in name_keys("张小伟")
    assert "ouyangnn" in name_keys("欧阳娜娜")
    assert "zengxh" in name_keys("曾小红") and "cengxh" in name_keys("曾小红")
    assert name_keys("王芳") == ["wangfang", "wf"]  # "wangf" already starts "wangfang"


def test_u_typed_for_v() -> None:
    keys = name_keys("吕德华")
    assert keys[:2] == ["lvdehua", "ldh"]
    assert {"lvdh", "ludehua", "ludh"} <= set(keys)
    assert "zhanglue" in name_keys("张略")
    assert name_keys("Vivian") == ["vivian", "v"]  # a Latin v is not ü


def test_given_name_polyphone_not_exploded() -> None:
    # 长 in the given name takes pypinyin's default (phrase-aware) reading only.
    assert name_keys("王长春") == ["wangchangchun", "wcc", "wangcc"]


def test_minority_name_with_middle_dot() -> None:
    keys = name_keys("阿依古丽·买买提")
    assert keys == ["ayigulimaimaiti", "ayglmmt"]
    assert not any("·" in k for k in keys)


@pytest.mark.parametrize("dot", ["·", "・", "•", "．"])
def test_middle_dot_variants_dropped(dot: str) -> None:
    assert name_keys(f"买买提{dot}艾力")[0] == "maimaitiaili"


def test_latin_and_digits_kept_lower_case() -> None:
    assert name_keys("王芳2") == ["wangfang2", "wf2", "wangf2"]
    assert name_keys("ＡＢ 王") == ["abwang", "aw"]
    assert name_keys("Anna Li") == ["annali", "al"]


# --- initials ----------------------------------------------------------------


def test_initials() -> None:
    assert initials("王芳") == "wf"
    assert initials("单丽") == "sl"
    assert initials("欧阳娜娜") == "oynn"
    assert initials("") == ""


# --- queries -----------------------------------------------------------------


def test_normalize_query() -> None:
    assert normalize_query("ＷＦ") == "wf"
    assert normalize_query("  Wang   Fang \t") == "wang fang"
    assert normalize_query("王　芳") == "王 芳"  # ideographic space
    assert normalize_query("王芳") == "王芳"
    assert normalize_query("") == ""


def test_is_pinyin_query() -> None:
    assert is_pinyin_query("wf")
    assert is_pinyin_query("WangFang")
    assert is_pinyin_query(" ＷＦ ")
    assert not is_pinyin_query("王芳")
    assert not is_pinyin_query("wang芳")
    assert not is_pinyin_query("wf2")
    assert not is_pinyin_query("wang fang")
    assert not is_pinyin_query("")
    assert not is_pinyin_query("   ")
    assert not is_pinyin_query("é")


# --- import cost ---------------------------------------------------------------


def test_import_does_not_load_pypinyin() -> None:
    code = "import canxie_tui.domain.search_keys, sys; assert 'pypinyin' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- properties --------------------------------------------------------------

_name_text = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from("王芳单曾解欧阳长孙尉迟朴绿·・ ＡＢ１"),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(_name_text)
def test_name_keys_property(text: str) -> None:
    keys = name_keys(text)
    _assert_valid_keys(keys)
    assert name_keys(text) == keys
    prim = initials(text)
    assert KEY_RE.fullmatch(prim) or prim == ""
    if prim:
        assert prim in keys


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_normalize_query_idempotent(text: str) -> None:
    norm = normalize_query(text)
    assert normalize_query(norm) == norm
    assert norm == norm.strip()
    assert "  " not in norm
