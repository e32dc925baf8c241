"""The district database's side of merging communities' records (no workbooks here).

`excel.district.merge` reads and verifies each community's monthly return and
hands its rows to `merge.merge_rows`, which writes them into the district
database (a normal canxie database whose site is the district, 江北区 500105, or
a street; `set_district` makes one).  Records keep the UUIDs they came with.

How a record is decided (L = the district's row, R = the incoming row, S = the
row as last merged, kept in `merge_state` as version + hash; `content.decide`):

- no L: **new** (inserted with R's UUID);
- L equals R: **unchanged**;
- R equals S: **unchanged** (the community brings nothing new; whatever the
  district changed itself stays);
- only R changed since S: **updated** when R's version is later than S's; the
  same version with other content means two copies of the record were edited
  apart (two communities, two exports after different edits): a **conflict**;
  an older version is a stale workbook: **unchanged**;
- both L and R changed since S: a **conflict**;
- never merged before (no S) but present: the later (version, updated_at) wins,
  an equal one with other content is a conflict.

A conflict changes nothing: the district's version stays, and both versions go
into `merge_conflicts` for a person to decide (`conflicts.resolve_conflict`:
keep the district's row or write the incoming one the way a merge does).  The
same conflict met again is not listed twice, and one already decided is not
raised again.  Hashes leave out the columns the store derives (tier, due date,
last visit): the district recomputes them.  A visit's visitors and people seen,
and a note's revisions, belong to their record (hash, update, conflict).

A row with another UUID but the same natural key (an ID number, a member's
attendance on a day) is also a conflict; the person is still merged (without
the duplicate ID number, which the conflict keeps) so their visits stay linked.
Closed days are unique by date: a second community closed on the same day is
noted as skipped.  Records the community deleted are deleted here too, unless
the district changed them (then: a conflict).

Audit: every record written gets its own hash-chained entry (合并新增 / 合并更新 /
合并删除 / 合并冲突, with before and after), appended in bulk through
`records.append_audit`, plus one summary entry (合并月报) per file that changed
anything.  Only changed rows are written, so merging the same file twice leaves
the database and its audit log as they were.

An incoming person whose ID number another record already has is never a
second counted person: linked when plainly the same (a rebuilt database), held
out of every count until decided otherwise (`identity`).  ID numbers arrive as
tokens under the district's key (`store.keys`, `domain.transit`).

The tables (`merge_state`, `merge_conflicts`, `merge_sources`) come from the
migration `0002_district_merge` in `store.schema`; `identity_links`,
`merge_databases`, `division_recodes` and `persons.held` from `0006_district_identity`.
"""

from __future__ import annotations

from dataclasses import asdict

from canxie_tui.domain.models import Site
from canxie_tui.store.connection import Store


def set_district(store: Store, name: str, code: str, *, secret: bytes | None = None) -> Site:
    """Make `store` a district database (江北区, 500105): its site is the district alone.

    `site.validate_site` asks for a street (a community install needs one), so
    the district's site is saved with the same audited setter it uses.
    """
    from canxie_tui.store.errors import ValidationError
    from canxie_tui.store.site import set_setting

    name, code = name.strip(), code.strip()
    if not name:
        raise ValidationError("请填写区县名称", "district_name")
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationError(f"区县的统计用区划代码应为6位数字，“{code}”不对", "district_code")
    from canxie_tui.store.keys import ensure_district_secret

    site = Site(district_name=name, district_code=code)
    with store.transaction():
        set_setting(store, "site", asdict(site))
        ensure_district_secret(store, secret)
    return site
