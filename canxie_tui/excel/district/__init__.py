"""The district side in workbooks: reading communities' returns for the merge, and the roll-up.

`merge.merge(store, paths)` reads and verifies each monthly return
(`excel.return_reader.read_monthly`), refuses a corrupt, tampered or foreign one
with its reason (the other files still merge) and hands the rows to the merge
engine, `store.district` (how each record is decided, conflicts and their
resolution are documented there).  `report.district_report` lays out the
roll-up workbook from `store.monthly`'s figures: one row per street and
community, with subtotals and totals.
"""
