"""Demo databases: one community, one street, or the whole old Jiangbei district.

`build_demo` fills an empty database with a realistic, deterministic register
and its activity: households and persons with valid ID and certificate numbers
(era-correct area codes), flags, benefits with realistic shortfalls, visits by
tier over months or years, follow-ups, case notes with revisions, and the
渝馨家园's members, attendance and closed days.

The same seed and `today` give the same content (names, ID numbers, record
UUIDs, dates, texts).  Two things come from outside the generator: the rows
written through the ordinary write path (the site settings and the operators,
whose UUIDs `site.add_operator` draws itself) and the audit timestamps, which
follow the store's clock.

Visit frequency follows the site's tier rules (domain.tiers); at the end
store.tiers.refresh derives every person's tier, reason and next due date from
the visits, as the visit form does for one household.

Speed: everything is written with executemany inside one transaction, with the
bookkeeping columns filled here and a single audit entry summarising the build
(per-row audit entries for a million visits would be noise, not history).
District scale (30k people, ~1.1M visits over three years) takes about 75 s.

Modules: `tables`, `places` and `holidays` hold the made-up data; `base` the
records and the generator every part shares; `people`, `households`,
`activity` and `daycare` the parts of the builder, put together here.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import date

from canxie_tui.demo.activity import ActivityBuilder
from canxie_tui.demo.base import SCALES, DemoScale, Progress
from canxie_tui.demo.daycare import DaycareBuilder
from canxie_tui.demo.households import RegisterBuilder
from canxie_tui.demo.places import (
    COMMUNITY_SITE,
    DISTRICT_CODE,
    DISTRICT_NAME,
    STREETS,
    communities_of,
)
from canxie_tui.demo.subsidies import SubsidyBuilder
from canxie_tui.demo.tables import OPERATOR_NAMES
from canxie_tui.domain.models import Site
from canxie_tui.store import records, search
from canxie_tui.store import site as site_store
from canxie_tui.store import tiers as tier_store
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StoreError, ValidationError

__all__ = ["SCALES", "DemoScale", "Progress", "build_demo"]


class DemoBuilder(RegisterBuilder, SubsidyBuilder, ActivityBuilder, DaycareBuilder):
    """The whole builder: the register, its history and the 渝馨家园 (see `base`)."""

    # -- search index ------------------------------------------------------------------
    def build_index(self) -> None:
        conn = self.out.conn
        pks = [r[0] for r in conn.execute("SELECT pk FROM persons ORDER BY pk")]
        for i, pk in enumerate(pks, 1):
            search.index_person(self.store, pk)
            if i % 5000 == 0:
                self.report("建立搜索索引", i, len(pks))
        conn.execute("INSERT INTO person_fts (person_fts) VALUES ('optimize')")
        self.report("建立搜索索引", len(pks), len(pks))

    def counts(self) -> dict[str, int]:
        c = self.out.counts
        return {
            "households": c["households"],
            "persons": c["persons"],
            "certified": sum(len(hh.certified()) for hh in self.households),
            "visits": c["visits"],
            "followups": c["followups"],
            "notes": c["notes"],
            "members": c["daycare_members"],
            "attendance": c["attendance"],
        }


def _site_for(scale_name: str) -> Site:
    street = next(s for s in STREETS if s.name == COMMUNITY_SITE[0])
    if scale_name == "community":
        community = next(c for c in communities_of(street) if c.name == COMMUNITY_SITE[1])
        codes_ = (street.name, street.full_code, community.name, community.code)
        return Site(DISTRICT_NAME, DISTRICT_CODE, *codes_)
    if scale_name == "street":
        return Site(DISTRICT_NAME, DISTRICT_CODE, street.name, street.full_code)
    return Site(DISTRICT_NAME, DISTRICT_CODE)


# The demo district's secret: public, for demo databases only (a real district's is
# random, made at `canxie init`).  A demo community (or street) holds the key it
# issues, so its returns merge into a demo district (and into the tests' district).
DEMO_DISTRICT_SECRET = hashlib.sha256(b"canxie demo district").digest()


def _demo_keys(store: Store, site: Site) -> None:
    from canxie_tui.domain.transit import issue_key
    from canxie_tui.store import keys

    if site.key_code:
        text = issue_key(DEMO_DISTRICT_SECRET, site.key_code)
        keys.set_community_key(store, text, site.key_code)
    else:
        keys.ensure_district_secret(store, DEMO_DISTRICT_SECRET)


def _save_site(store: Store, site: Site) -> None:
    try:
        site_store.save_site(store, site)
    except ValidationError as err:
        # validate_site() does not yet accept a district-level install (no street);
        # until it does, the district demo records its site by the same audited setter.
        if err.field != "street_name" or site.street_name or not site.district_code:
            raise
        site_store.set_setting(store, "site", asdict(site))


def build_demo(
    store: Store,
    *,
    scale: str = "community",
    seed: int = 1,
    today: date | None = None,
    progress: Progress | None = None,
    certified: int | None = None,
    activity: bool = True,
) -> dict[str, int]:
    """Fill an empty database with demo data; return the row counts.

    scale: "community" (~300 certificate holders, 6 months of activity),
    "street" (~5k, 12 months) or "district" (~30k, 36 months, ~1M visits).
    certified: override the number of certificate holders (benchmarks).
    activity: False writes the register and its search index only (no visits,
    follow-ups, notes or day-care records).
    progress(label, done, total) is called as each phase advances.
    Everything is written in one transaction: on failure nothing is left behind.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown demo scale {scale!r}; expected one of {sorted(SCALES)}")
    spec = SCALES[scale]
    if store.scalar("SELECT EXISTS (SELECT 1 FROM households UNION ALL SELECT 1 FROM persons)"):
        raise StoreError("演示数据只能生成在空数据库中：该数据库已有户籍数据，未做任何修改。")
    target = spec.certified if certified is None else certified
    builder = DemoBuilder(store, spec, scale, seed, today or store.today(), progress, target)
    conn = store.db.conn
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute("PRAGMA cache_size = -262144")  # 256 MB while loading
    try:
        with store.transaction():
            builder.report("设置站点和操作员", 0, 1)
            _save_site(store, _site_for(scale))
            _demo_keys(store, _site_for(scale))
            for name, phone in OPERATOR_NAMES[: spec.operators]:
                builder.operators.append(site_store.add_operator(store, name, phone))
            site_store.switch_operator(store, builder.operators[0])
            builder.build_register()
            builder.write_register()
            if activity:
                builder.build_visits()
                builder.build_notes()
                builder.build_daycare()
                builder.write_last_visits()
            builder.build_subsidies()
            if activity and scale == "community":
                from canxie_tui.demo.survey import build_survey

                builder.report("基本状况调查", 0, 1)
                build_survey(store, builder.today, seed)
            builder.report("计算走访分级", 0, 1)
            tier_store.refresh(store)
            builder.build_index()
            counts = builder.counts()
            records.write_audit(store, "生成演示数据", "demo", scale, None, counts)
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
    builder.report("完成", 1, 1)
    return counts
