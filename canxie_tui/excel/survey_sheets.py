"""The 一览表 a worker carries into homes: one grid (or building), pre-filled, to confirm.

For each person still to survey, a band (name, address, category, phone, 人户分离),
then one row per questionnaire item that applies to them (skipped items are left
out, as workers cross them out): the pre-filled answer and where it comes from
(档案 / 上年), or every answer as a box to tick when nothing is known, and a blank
核实/更正 column; then 调查方式 boxes and a signature line.  ID numbers are masked.
"""

from __future__ import annotations

from pathlib import Path

from canxie_tui.domain import survey_form as form
from canxie_tui.domain.ids import mask_id
from canxie_tui.domain.places import label, split
from canxie_tui.excel.book import Book
from canxie_tui.excel.files import exports_dir, safe_filename
from canxie_tui.excel.return_run import category_level
from canxie_tui.excel.table import Column, Heading
from canxie_tui.store import places, survey, survey_files
from canxie_tui.store.connection import Store
from canxie_tui.store.site import get_site

BOX = "□"
SIGNATURE = "调查方式：□入户 □见面 □电话\u3000\u3000被调查人（监护人）签字：{0}\u3000\u3000调查员：{0}\u3000\u3000日期：{0}"


def blank_choices(item: form.Item) -> str:
    return "  ".join(f"{BOX}{code}.{label}" for code, label in item.choices.items())


def write_sheet(
    store: Store,
    grid: str,
    *,
    building: str | None = None,
    year: int | None = None,
    out: Path | str | None = None,
    overwrite: bool = True,
) -> tuple[Path, int]:
    """Write the 一览表 of `grid` (one `building` of it if given); (path, people on it).
    Refused if `out` exists unless `overwrite`."""
    from canxie_tui.domain.errors import InputError

    round = survey.get_round(store, year)
    code, stored_grid, building = survey_files.known_place(store, round, grid, building)
    people = survey_files.sheet_people(store, round, stored_grid or "", building, code)
    site = get_site(store)
    # Where the database holds several communities the sheet names the grid's.
    community = places.names(store).get(code or "", "")
    place = label(community, split(grid)[1]) + (building or "")
    path = (
        Path(out) if out else exports_dir() / f"调查一览表_{safe_filename(place)}_{round.year}.xlsx"
    )
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"导出文件名应以 .xlsx 结尾：“{path}”", "out")
    heading = Heading(
        divisions=site.full_name(),
        title=f"{round.title}一览表",
        period=place,
        unit=site.name,
        reporter=store.operator_name,
    )
    blank = "\u3000" * 6
    with Book() as book:
        sheet = book.table(
            "一览表",
            [
                Column("项目", max_width=30, wrap=True),
                Column("预填答案", max_width=40, wrap=True),
                Column("来源", width=6),
                Column("核实（√）/更正", width=24),
            ],
            heading=heading,
            landscape=False,
        )
        for number, person in enumerate(people, 1):
            entry = person.entry
            where = "".join((person.building, person.unit, person.room)) or entry.address
            apart = "（人户分离）" if entry.apart else ""
            sheet.section(
                f"{number}. {entry.name}{apart}  {person.sex}  "
                f"{mask_id(person.id_number) if person.id_number else ''}  "
                f"{category_level(person.category, person.level)}  {where}  {person.phone}"
            )
            for section, items in form.visible(entry.subject, person.answers):
                sheet.append([f"【{section.label}】"], "note")
                for item in items:
                    value = person.answers.get(item.key)
                    shown = item.text(value) if value else blank_choices(item)
                    sheet.append([item.title, shown, person.sources.get(item.key, ""), ""])
            sheet.append([SIGNATURE.format(blank)], "info")
            sheet.blank()
        if not people:
            sheet.note("这里的人都已调查或失访。")
        sheet.close()
        book.save(path, overwrite=overwrite)
    return path, len(people)
