"""Merging communities' survey results workbooks into the district database.

Its own path beside the monthly merge (`excel.district.merge`), sharing its checks:
the database must be a district's, each workbook must come from one of its
communities; the workbook is verified (`excel.survey_book.read_survey`), then the
store merges its rows (`store.survey_merge`).  A refused file is reported and the
others go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from canxie_tui.excel.district.merge import FileResult, Progress, _district_site, check_site
from canxie_tui.excel.files import read_or_refuse
from canxie_tui.store.connection import Store
from canxie_tui.store.district.merge import InconsistentRowsError


def merge_survey(
    store: Store, paths: Iterable[Path | str], *, progress: Progress | None = None
) -> list[FileResult]:
    """Merge survey results workbooks into the district database; one result per file."""
    from canxie_tui.excel.survey_book import read_survey
    from canxie_tui.store.backup import backup_before
    from canxie_tui.store.survey_merge import merge_survey_rows

    files = [Path(p) for p in paths]
    district = _district_site(store)
    results: list[FileResult] = []
    backed_up = False
    for index, path in enumerate(files):
        if progress is not None:
            progress(f"{path.name}：读取", index, len(files))
        result = FileResult(path)
        results.append(result)
        data, why = read_or_refuse(read_survey, path)
        if data is None:
            result.refused, result.reason = True, why
            continue
        result.site_code, result.site_name = data.site.code, data.site.full_name()
        result.month = f"{data.year}年度调查"
        why = check_site(district, data.site, "调查结果")
        if why:
            result.refused, result.reason = True, why
            continue
        if not backed_up:
            backup_before(store, "merge")
            backed_up = True
        try:
            merge_survey_rows(store, data.site, path.name, data.checksum, data.tables, result)
        except InconsistentRowsError as err:
            result.refused, result.reason = True, err.message
    if progress is not None:
        progress("完成", len(files), len(files))
    return results
