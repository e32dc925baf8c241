"""Importing the district's 花名册 (roster workbook) into the register.

Three steps, so that nothing is written before a person has seen what will be:

1. `read_roster(path)` (`excel.roster.read`) refuses what is not a readable roster
   and validates every row; accepted rows go to a spool on disk (memory stays flat,
   `excel.roster.spool`).  The columns and how their values are read are in
   `excel.roster.columns`.
2. `preview(store, roster)` (`excel.roster.plan`) matches people by ID number:
   new / changed (field by field, old → new) / unchanged / rejected.  A blank cell
   never clears what the register holds; columns the roster does not have are left
   alone.  It keeps in memory only what it shows: the changes and the rejections.
3. `apply(store, plan)` (`excel.roster.apply`) backs the database up, then writes
   everything in ONE transaction.  All or nothing.

`write_errors(...)` (`excel.roster.error_book`) writes the rejected rows to
`exports/导入错误_<file>_<time>.xlsx`.

This module gathers the import's public names, so that a caller (the CLI, the TUI)
imports the whole import from one place.
"""

from __future__ import annotations

from canxie_tui.excel.roster.apply import ImportResult, RosterImportError, apply
from canxie_tui.excel.roster.columns import (
    FIELD_LABELS,
    HEADER_SCAN_ROWS,
    MASKED_FIELDS,
    match_header,
)
from canxie_tui.excel.roster.error_book import write_errors
from canxie_tui.excel.roster.plan import (
    FieldDiff,
    HouseholdChange,
    ImportPlan,
    PersonChange,
    preview,
)
from canxie_tui.excel.roster.read import NoHeaderError, Rejection, RosterFile, read_roster
from canxie_tui.excel.roster.spool import RosterRow

__all__ = [
    "FIELD_LABELS",
    "HEADER_SCAN_ROWS",
    "MASKED_FIELDS",
    "FieldDiff",
    "HouseholdChange",
    "ImportPlan",
    "ImportResult",
    "NoHeaderError",
    "PersonChange",
    "Rejection",
    "RosterFile",
    "RosterImportError",
    "RosterRow",
    "apply",
    "match_header",
    "preview",
    "read_roster",
    "write_errors",
]
