"""Emergency workbooks: the printable call sheet and the status report for the street.

- 呼叫单 (call sheet): the priority list in risk order, grouped by grid, with an
  empty 结果 and 备注 column and a signature line, to take door to door.
  A4 landscape, fitted to the page width, the header row repeated on every
  printed page and frozen on screen; ID numbers, if shown at all, are masked.
- 情况报告 (status report): the totals at this moment, per grid, and the people
  who need help, could not be reached or were moved, with the notes.

Cells, file names, print setup and saving are the shared ones of
`canxie_tui.excel.cells`, `.table` and `.files`: every text cell is a string cell (``=HYPERLINK(...)``
stays the characters it is), values beginning with = + - @ or a tab/CR also get
Excel's quote prefix, so editing the cell in Excel does not turn it into a
formula either, and files are written to a temporary file in the target folder
and renamed into place: a failure leaves no partial workbook.  The layout
(merged title rows, grid bands, two tables on the summary sheet) needs a normal
worksheet, not the shared write-only `Book`, so `put` places the shared text
cells on one.  openpyxl is imported inside the functions that use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import (
    EmergencyEvent,
    Priority,
    RollCallProgress,
    group,
    kind_label,
    summarize,
)
from canxie_tui.domain.ids import mask_id, mask_ids_in_text
from canxie_tui.domain.places import label as place_label
from canxie_tui.excel.cells import column_letter, text_cell, text_width
from canxie_tui.excel.errors import ExportError
from canxie_tui.excel.files import atomic_save, exports_dir, safe_filename
from canxie_tui.excel.table import WIDTH_PADDING, setup_print

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from canxie_tui.store.connection import Store

__all__ = [
    "CALL_SHEET_HEADERS",
    "ExportError",
    "atomic_save",
    "export_name",
    "put",
    "write_call_sheet",
    "write_status_report",
]

CALL_SHEET_HEADERS: tuple[str, ...] = (
    "序号",
    "姓名",
    "年龄",
    "情况/原因",
    "楼栋单元房号",
    "电话",
    "紧急联系人/监护人及电话",
    "联系方式",
    "检查事项",
    "结果",
    "备注",
)
REPORT_HEADERS: tuple[str, ...] = (
    "序号",
    "姓名",
    "年龄",
    "网格",
    "楼栋单元房号",
    "情况/原因",
    "状态",
    "备注",
    "登记时间",
    "登记人",
    "电话",
    "紧急联系人/监护人及电话",
)
# (minimum, maximum) column widths in Excel units; wide texts wrap.
_CALL_WIDTHS: dict[str, tuple[int, int]] = {
    "序号": (5, 6),
    "姓名": (8, 12),
    "身份证号": (20, 20),
    "年龄": (5, 6),
    "情况/原因": (16, 30),
    "楼栋单元房号": (10, 20),
    "电话": (13, 14),
    "紧急联系人/监护人及电话": (18, 30),
    "联系方式": (12, 22),
    "检查事项": (20, 40),
    "结果": (14, 14),
    "备注": (18, 18),
}
_HEADER_FILL = "DDDDDD"
_GROUP_FILL = "F2F2F2"
_HELP_ORDER = {"help": 0, "unreachable": 1, "moved": 2}


# -- cells, widths, files -----------------------------------------------------------
def put(ws: Worksheet, row: int, column: int, value: Any) -> Any:
    """Write one cell; text is always text, never a formula.  Returns the cell."""
    if isinstance(value, str) and value:
        # The shared text cell (escaped, quote-prefixed, length-checked) is made for
        # write-only sheets; a normal sheet takes it at its place.
        cell = text_cell(ws, value, quote=True)
        cell.row, cell.column = row, column
        ws._add_cell(cell)
        return cell
    cell = ws.cell(row=row, column=column)
    if value is not None:
        cell.value = value
    return cell


def export_name(what: str, event_name: str, when: datetime) -> str:
    """急难救助_呼叫单_<event name>_<YYYYMMDD-HHMM>.xlsx, safe on Windows too."""
    # Spaces go too: "|" is unsafe, so a run of spaces and unsafe characters is one "_".
    name = safe_filename("|".join(event_name.split()), "").strip("._ ")[:40] or "事件"
    return f"急难救助_{what}_{name}_{when:%Y%m%d-%H%M}.xlsx"


def _target(out: Path | str | None, default_name: str) -> Path:
    """`out` ending in .xlsx is the file; anything else is a folder for `default_name`."""
    if out is None:
        return exports_dir() / default_name
    path = Path(out)
    if path.suffix.lower() == ".xlsx" and not path.is_dir():
        return path
    return path / default_name


def _save(wb: Workbook, target: Path, overwrite: bool) -> Path:
    return atomic_save(lambda tmp: wb.save(tmp), target, overwrite=overwrite)


def _style_header(ws: Worksheet, row: int, columns: int) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    for column in range(1, columns + 1):
        cell = ws.cell(row=row, column=column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _borders(ws: Worksheet, first: int, last: int, columns: int) -> None:
    from openpyxl.styles import Alignment, Border, Side

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(vertical="top", wrap_text=True)
    for row in ws.iter_rows(min_row=first, max_row=last, max_col=columns):
        for cell in row:
            cell.border = border
            if cell.row > first and not cell.alignment.wrap_text:
                cell.alignment = wrap


def _title(ws: Worksheet, row: int, text: str, columns: int, *, size: int = 14) -> None:
    from openpyxl.styles import Alignment, Font

    cell = put(ws, row, 1, text)
    cell.font = Font(bold=True, size=size)
    cell.alignment = Alignment(horizontal="center" if size > 12 else "left", vertical="center")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)


def _widths(
    ws: Worksheet, headers: Sequence[str], first_row: int, limits: dict[str, tuple[int, int]]
) -> None:
    """CJK-aware column widths from the header and the data rows, within limits."""
    for index, header in enumerate(headers, start=1):
        low, high = limits.get(header, (6, 30))
        widest = text_width(header)
        for (value,) in ws.iter_rows(
            min_row=first_row, min_col=index, max_col=index, values_only=True
        ):
            if value is not None:
                widest = max(widest, text_width(value))
        width = max(low, min(high, widest + WIDTH_PADDING))
        ws.column_dimensions[column_letter(index)].width = width


def _page_setup(ws: Worksheet, header_row: int) -> None:
    """The shared print setup; only the header row (not the titles above it) repeats."""
    setup_print(ws)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _stamp(when: str) -> str:
    return when.replace("T", " ")[:16]


def _event_line(event: EmergencyEvent | None, kind: str, now: datetime, count: int) -> str:
    printed = now.strftime("%Y-%m-%d %H:%M")
    if event is None:
        return f"预案（假设事件）：{kind_label(kind)}　　打印时间：{printed}　　共 {count} 人"
    return (
        f"事件：{event.name}（{event.kind_label}）　　开始：{_stamp(event.started_at)}　　"
        f"范围：{event.scope_text}　　打印时间：{printed}　　共 {count} 人"
    )


def _filter_text(status: str | None, query: str | None, total: int) -> str:
    """What limits the sheet, after the event line: 　　筛选：“10栋”、未联系（全部 187 人中）.

    "" for the whole list."""
    parts = []
    if query and query.strip():
        parts.append(f"“{query.strip()}”")
    if status:
        parts.append(codes.label(codes.ROLL_CALL_STATUSES, status, status))
    if not parts:
        return ""
    return f"　　筛选：{'、'.join(parts)}（全部 {total} 人中）"


# -- the call sheet -----------------------------------------------------------------------
def write_call_sheet(
    store: Store,
    event: EmergencyEvent | None,
    *,
    kind: str | None = None,
    status: str | None = None,
    query: str | None = None,
    out: Path | str | None = None,
    include_ids: bool = False,
    overwrite: bool = True,
) -> Path:
    """Write the call sheet of `event` (or of a hypothetical event of `kind`); return its path.

    `status` limits it (e.g. "pending" for those not yet reached) and so does
    `query` (a building such as "10栋", a name: the screen's filter); a limited
    sheet says so in its second title row.  `out` is a file or a folder (default:
    `exports/` with a dated name).  With `include_ids` a masked 身份证号 column
    follows the name (前6后4, never the full number).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from canxie_tui.store.emergency import roll_call
    from canxie_tui.store.site import get_site

    call = roll_call(store, event, kind=kind, status=status, query=query, group_by_grid=True)
    rows = call.rows
    event_kind = event.kind if event is not None else str(kind)
    now = store.clock()
    site = get_site(store)
    headers = list(CALL_SHEET_HEADERS)
    if include_ids:
        headers.insert(2, "身份证号")
    id_numbers = _id_numbers(store, [r.person.person_id for r in rows]) if include_ids else {}

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "呼叫单"
    columns = len(headers)
    _title(ws, 1, f"{site.full_name()} 急难救助呼叫单".strip(), columns, size=16)
    line = _event_line(event, event_kind, now, len(rows)) + _filter_text(status, query, call.total)
    _title(ws, 2, line, columns, size=11)
    for column, header in enumerate(headers, start=1):
        put(ws, 3, column, header)
    _style_header(ws, 3, columns)
    row_number = 4
    serial = 0
    for label, members in group(rows, by="grid"):
        cell = put(ws, row_number, 1, f"{label}（{len(members)}人）")
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_GROUP_FILL)
        ws.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=columns)
        row_number += 1
        for item in members:
            serial += 1
            p = item.person
            values: list[Any] = [
                serial,
                p.name,
                p.age if p.age is not None else "",
                item.reasons_text or p.disability,
                p.place,
                p.phone,
                p.contacts,
                item.contact,
                item.checks_text,
                "",
                "",
            ]
            if include_ids:
                values.insert(2, mask_id(id_numbers.get(p.person_id, "")))
            for column, value in enumerate(values, start=1):
                put(ws, row_number, column, value)
            row_number += 1
    last = row_number - 1
    _borders(ws, 3, last, columns)
    centred = {1, headers.index("年龄") + 1}
    for row in ws.iter_rows(min_row=4, max_row=last, max_col=columns):
        for cell in row:
            if cell.column in centred:
                cell.alignment = Alignment(horizontal="center", vertical="top")
    _widths(ws, headers, 4, _CALL_WIDTHS)
    row_number += 1
    put(ws, row_number, 1, "走访人签字：＿＿＿＿＿＿＿＿　　　　日期：＿＿＿＿年＿＿月＿＿日")
    ws.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=columns)
    ws.row_dimensions[row_number].height = 30
    _page_setup(ws, 3)
    name = event.name if event is not None else f"预案{kind_label(event_kind)}"
    return _save(wb, _target(out, export_name("呼叫单", name, now)), overwrite)


def _id_numbers(store: Store, person_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        found.update(
            store.db.conn.execute(
                f"SELECT id, coalesce(id_number, '') FROM persons WHERE id IN ({marks})", chunk
            ).fetchall()
        )
    return found


# -- the status report -------------------------------------------------------------------
def write_status_report(
    store: Store, event: EmergencyEvent, *, out: Path | str | None = None, overwrite: bool = True
) -> Path:
    """Write the status report of `event` at this moment; return its path."""
    from openpyxl import Workbook

    from canxie_tui.store.emergency import roll_call
    from canxie_tui.store.site import get_site

    call = roll_call(store, event, group_by_grid=True)
    now = store.clock()
    site = get_site(store)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "汇总"
    _summary_sheet(ws, site.full_name(), event, call.progress, call.rows, now)

    flagged = sorted(
        (r for r in call.rows if r.status in _HELP_ORDER),
        key=lambda r: _HELP_ORDER[r.status],  # stable: risk order within each status
    )
    people = wb.create_sheet("需帮助及联系不上")
    _people_sheet(people, site.full_name(), event, flagged, now)
    return _save(wb, _target(out, export_name("情况报告", event.name, now)), overwrite)


def _summary_sheet(
    ws: Worksheet,
    site_name: str,
    event: EmergencyEvent,
    totals: RollCallProgress,
    rows: Sequence[Priority],
    now: datetime,
) -> None:
    statuses = list(codes.ROLL_CALL_STATUSES)
    headers = ["网格", "应联系", "已联系", *(codes.ROLL_CALL_STATUSES[s] for s in statuses)]
    columns = len(headers)
    _title(ws, 1, f"{site_name} 急难救助情况报告".strip(), columns, size=16)
    state = "已结束" if event.is_closed else "进行中"
    line = (
        f"事件：{event.name}（{event.kind_label}）　　开始：{_stamp(event.started_at)}　　"
        f"{'结束：' + _stamp(event.ended_at) + '　　' if event.is_closed else ''}"
        f"历时：{event.duration_text(now)}　　状态：{state}　　范围：{event.scope_text}"
    )
    _title(ws, 2, line, columns, size=11)
    _title(ws, 3, f"截至 {now:%Y-%m-%d %H:%M}：{totals.text}", columns, size=11)

    put(ws, 5, 1, "项目")
    put(ws, 5, 2, "人数")
    _style_header(ws, 5, 2)
    counts = totals.counts()
    figures = [
        ("应联系", totals.total),
        ("已联系", totals.contacted),
        *((codes.ROLL_CALL_STATUSES[s], counts[s]) for s in (*statuses[1:], statuses[0])),
    ]
    for offset, (label, count) in enumerate(figures, start=6):
        put(ws, offset, 1, label)
        put(ws, offset, 2, count)
    _borders(ws, 5, 5 + len(figures), 2)

    first = 7 + len(figures)
    for column, header in enumerate(headers, start=1):
        put(ws, first, column, header)
    _style_header(ws, first, columns)
    row_number = first + 1
    for label, members in group(rows, by="grid"):
        grid = summarize(r.status for r in members)
        counts = grid.counts()
        values = [label, grid.total, grid.contacted, *(counts[s] for s in statuses)]
        for column, value in enumerate(values, start=1):
            put(ws, row_number, column, value)
        row_number += 1
    _borders(ws, first, row_number - 1, columns)
    _widths(ws, headers, 5, {"网格": (12, 30)})
    _page_setup(ws, first)
    ws.freeze_panes = None


def _people_sheet(
    ws: Worksheet, site_name: str, event: EmergencyEvent, rows: list[Priority], now: datetime
) -> None:
    headers = list(REPORT_HEADERS)
    columns = len(headers)
    _title(ws, 1, f"{site_name} 急难救助：需要帮助、联系不上和已转移人员".strip(), columns, size=14)
    _title(
        ws,
        2,
        f"事件：{event.name}（{event.kind_label}）　　截至 {now:%Y-%m-%d %H:%M}　　"
        f"共 {len(rows)} 人",
        columns,
        size=11,
    )
    for column, header in enumerate(headers, start=1):
        put(ws, 3, column, header)
    _style_header(ws, 3, columns)
    several = len({r.person.division_name for r in rows}) > 1  # as `group` names grids
    for serial, item in enumerate(rows, start=1):
        p = item.person
        values: list[Any] = [
            serial,
            p.name,
            p.age if p.age is not None else "",
            place_label(p.division_name if several else "", p.grid),
            p.place,
            item.reasons_text or p.disability,
            item.status_label,
            mask_ids_in_text(item.note),
            _stamp(item.checked_at),
            item.checked_by,
            p.phone,
            p.contacts,
        ]
        for column, value in enumerate(values, start=1):
            put(ws, serial + 3, column, value)
    _borders(ws, 3, 3 + len(rows), columns)
    _widths(
        ws,
        headers,
        4,
        {**_CALL_WIDTHS, "网格": (8, 16), "状态": (8, 12), "备注": (16, 36), "登记时间": (16, 17)},
    )
    _page_setup(ws, 3)
