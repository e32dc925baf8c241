"""Wrapping Chinese messages without breaking the numbers in them."""

from __future__ import annotations

from rich.cells import cell_len

from canxie_tui.ui.widgets.text import wrap


def test_dates_and_phones_stay_on_one_line() -> None:
    text = "走访日期1990-01-01早于本户的登记日期2026-11-29，请核对联系电话13812345678"
    for width in range(12, 60):
        lines = wrap(text, width).splitlines()
        assert "".join(lines) == text  # nothing lost or added
        assert all(cell_len(line) <= width for line in lines)
        for number in ("1990-01-01", "2026-11-29", "13812345678"):
            assert any(number in line for line in lines), (width, lines)


def test_breaks_at_a_space_drop_the_space_and_keep_paragraphs() -> None:
    assert wrap("姓名 张三 年龄 45", 10) == "姓名 张三\n年龄 45"
    assert wrap("第一行\n第二行", 40) == "第一行\n第二行"
    assert wrap("anything", 0) == "anything"
