"""The district side: many communities' monthly returns merged into one database, and the roll-up.

`merge(store, paths)` loads monthly returns (`excel.return_reader.read_monthly`) into
`store`, a normal canxie database whose site is the district (江北区 500105)
or a street.  Records keep the UUIDs they have in the workbooks.

Per file: the workbook is read and verified; one from outside the district
(its site code must lie under the database's site code), a corrupt, tampered or
foreign one is *refused* with its reason and the other files still merge.  Each
accepted file is merged in one transaction; a backup is taken once before the
first write (`backup.backup_before(store, "merge")`).

How a record is decided (L = the district's row, R = the incoming row, S = the
row as last merged, kept in `merge_state` as version + hash):

- no L: **new** (inserted with R's UUID);
- L equals R: **unchanged**;
- R equals S: **unchanged** (the workbook brings nothing new; whatever the
  district changed itself stays);
- only R changed since S: **updated** when R's version is later than S's; the
  same version with other content means two copies of the record were edited
  apart (two communities, two exports after different edits): a **conflict**;
  an older version is a stale workbook: **unchanged**;
- both L and R changed since S: a **conflict**;
- never merged before (no S) but present: the later (version, updated_at) wins,
  an equal one with other content is a conflict.

A conflict changes nothing: the district's version stays, and both versions go
into `merge_conflicts` (table, record id, both as JSON, the file, the time) for
a person to decide (`resolve_conflict`: keep the district's row or write the
incoming one the way a merge does).  The same conflict met again (the same
workbook twice) is not listed twice, and one already decided is not raised again.  Hashes leave out the columns the store derives (tier, due date,
last visit): the district recomputes them.  A visit's visitors and people seen,
and a note's revisions, belong to their record (hash, update, conflict).

A row with another UUID but the same natural key (an ID number, a member's
attendance on a day) is also a conflict; the person is still merged (without
the duplicate ID number, which the conflict keeps) so their visits stay linked.
Closed days are unique by date in the schema: a second community closed on the
same day is noted as skipped.  Rows the community deleted in the month
(`_数据_deletions`, audit entries) are deleted here too, unless the district
changed them (then: a conflict).

Audit: every record written by a merge gets its own hash-chained entry
(合并新增 / 合并更新 / 合并删除 / 合并冲突, with before and after), as every other
write in the product does, plus one summary entry per file that changed
anything.  Per record, because the district database becomes the place where
a record's history is looked up (`records.changed_since` reads it, the
indicator cache keys on it), and only changed rows are written, so a monthly
file that brings nothing adds nothing; merging the same file twice leaves the
audit log as it was.

`district_report(store, year, month)` writes the roll-up workbook: one row per
street and community with register size, visits, coverage, overdue, 渝馨家园
person-days and the ten indicators, with subtotals and totals.
"""
