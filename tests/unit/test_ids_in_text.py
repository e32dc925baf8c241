"""ID numbers typed inside free text are masked in every form (issue 16, item 7).

One rule (`domain.ids.mask_ids_in_text`) for the monthly return's 走访明细 and 个案记录,
the emergency status report and `canxie audit show --json`.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from canxie_tui.domain.ids import make_id, mask_ids_in_text
from canxie_tui.excel.monthly_return import export_monthly
from canxie_tui.store import notes
from tests.conftest import Clock, Make, build_month, open_store
from tests.e2e.conftest import run

ID = "510211196801265154"
FORMS = {
    "spaces": "510211 19680126 5154",
    "hyphens": "510211-19680126-5154",
    "full-width": "５１０２１１１９６８０１２６５１５４",
    "zero-width space": "510211\u200b19680126\u200b5154",
    "word joiner and NBSP": "510211\u206019680126\u00a05154",
    "ideographic space": "510211\u300019680126\u30005154",
    "dots": "510211.19680126.5154",
    "lower-case x": "51021119680126515x",
    "full-width x": "51021119680126515ｘ",
}


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_every_form_is_masked(form: str) -> None:
    masked = mask_ids_in_text(f"身份证号{form}，请核实。")
    assert "19680126" not in masked
    assert masked.startswith("身份证号510211********") and masked.endswith("，请核实。")


@pytest.mark.parametrize(
    "text",
    [
        "电话 13800138000 1234567",  # a phone number and more digits: no birth date inside
        "5102111968012651541",  # 19 digits: not an ID
        "共 3 户 12 人，2026年11月",
        "",
    ],
)
def test_what_is_not_an_id_stays(text: str) -> None:
    assert mask_ids_in_text(text) == text


def test_an_id_right_after_a_phone_number_is_still_masked() -> None:
    assert mask_ids_in_text("13800138000 510211196801265154") == "13800138000 510211********5154"


SEPARATORS = st.sampled_from([" ", "-", "—", "\u200b", "\u3000", "_", "", "", ""])


@given(
    birth=st.dates(date(1920, 1, 1), date(2020, 12, 31)),
    seq=st.integers(0, 999),
    separators=st.lists(SEPARATORS, min_size=17, max_size=17),
    wide=st.booleans(),
)
def test_any_id_with_any_separators_is_masked(
    birth: date, seq: int, separators: list[str], wide: bool
) -> None:
    number = make_id("500105", birth, seq)
    if wide:
        number = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    typed = "".join(c + s for c, s in zip(number, [*separators, ""], strict=True))
    masked = unicodedata.normalize("NFKC", mask_ids_in_text(f"见{typed}。"))
    digits = "".join(c for c in masked if c.isalnum())
    assert unicodedata.normalize("NFKC", number)[6:14] not in digits


# -- where masking applies ---------------------------------------------------------------
NOW = datetime(2024, 3, 31, 17, 0)


def test_the_return_s_print_sheets_mask_ids_in_text(tmp_path: Path) -> None:
    store = open_store(tmp_path / "c.db", clock=Clock(NOW))
    try:
        make = Make(store)
        month = build_month(store, make, 2024, 3)
        notes.add_note(store, month.home.id, "need", f"申请人 {FORMS['spaces']} 需复核")
        make.visit(
            date(2024, 3, 20),
            month.wang,
            note=f"证号{FORMS['zero-width space']}",
            help_given=f"代办 {FORMS['lower-case x']}",
        )
        out = export_monthly(store, 2024, 3, out=tmp_path / "out.xlsx")
    finally:
        store.close()
    book = load_workbook(out)
    for sheet in ("个案记录", "走访明细"):
        text = "\n".join(
            str(c.value) for row in book[sheet].iter_rows() for c in row if c.value is not None
        )
        flat = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum())
        assert "19680126" not in flat, sheet
    assert "510211********5154" in "\n".join(
        str(c.value) for row in book["个案记录"].iter_rows() for c in row if c.value
    )


def test_audit_show_json_masks_ids_in_note_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(tmp_path / "c.db", clock=Clock(NOW))
    try:
        household = Make(store).household()
        note = notes.add_note(store, household.id, "need", f"身份证 {FORMS['hyphens']}")
        notes.edit_note(store, note, "need", f"身份证 {FORMS['full-width']} 已核实")
    finally:
        store.close()

    code, out, err = run(capsys, "--db", str(tmp_path / "c.db"), "audit", "show", "--json")

    assert code == 0, err
    entries = json.loads(out)["entries"]
    assert any("body" in e["changes"] for e in entries)
    flat = "".join(ch for ch in unicodedata.normalize("NFKC", out) if ch.isalnum())
    assert "19680126" not in flat
