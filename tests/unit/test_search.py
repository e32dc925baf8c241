"""Search as you type: what a worker types, what they expect to see first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from canxie_tui.domain.models import Person, SearchResult
from canxie_tui.store import register
from canxie_tui.store.connection import Store
from canxie_tui.store.search import Filters, index_people, index_person, search
from tests.conftest import Make, open_store

# Households: key -> values.  建新东路13号 is in 13栋, which "3栋" must not find.
HOUSEHOLDS: dict[str, dict[str, Any]] = {
    "h1": {
        "address": "建新东路3号",
        "building": "3栋",
        "unit": "1单元",
        "room": "101",
        "flags": ["dibao"],
        "guardian_name": "赵德明",
        "guardian_phone": "13500001234",
    },
    "h2": {"address": "建新东路3号", "building": "3栋", "unit": "2单元", "room": "202"},
    "h3": {"address": "建新东路13号", "building": "13栋", "unit": "1单元", "room": "501"},
    "h4": {"address": "北城天街8号", "building": "8栋", "flags": ["alone"]},
    "h5": {"address": "洋河花园12号", "building": "12栋"},
    "h6": {"address": "观音桥步行街9号"},
    "h7": {"address": "建新北路22号", "building": "22栋", "phone": "023-67700000"},
}

# name, household, category, level, birth date, extra values
PEOPLE: list[tuple[str, str, int, int, date, dict[str, Any]]] = [
    ("王芳", "h1", 4, 2, date(1968, 5, 12), {"phone": "13812345678"}),
    ("王芳芳", "h2", 1, 1, date(1975, 3, 3), {}),
    ("李王芳", "h3", 2, 3, date(1980, 7, 7), {}),
    ("王芳华", "h4", 5, 2, date(1990, 1, 21), {}),
    ("王小明", "h5", 4, 4, date(1959, 9, 9), {}),
    ("王伟", "h6", 6, 1, date(1972, 2, 2), {}),  # moved out below
    ("王磊", "h7", 4, 3, date(1966, 6, 16), {}),
    ("王静", "h1", 2, 4, date(1995, 12, 1), {"relation": "子女"}),
    ("王强", "h2", 7, 2, date(1988, 8, 8), {}),
    ("王丽", "h3", 3, 4, date(1977, 7, 17), {}),
    ("吴帆", "h4", 4, 2, date(1983, 3, 13), {}),
    ("万峰", "h5", 4, 3, date(1961, 1, 11), {}),
    ("单丽", "h6", 1, 2, date(1955, 5, 5), {}),
    ("张三", "h7", 4, 1, date(1950, 10, 10), {}),
    ("李四", "h1", 4, 4, date(1951, 11, 11), {"relation": "父母"}),
    ("刘洋", "h2", 2, 2, date(1952, 4, 14), {}),
    ("陈静", "h3", 5, 3, date(1953, 3, 23), {}),
    ("杨帆", "h4", 6, 4, date(1954, 4, 24), {}),
    ("赵敏", "h5", 1, 3, date(1956, 6, 26), {}),
    ("黄磊", "h6", 4, 2, date(1957, 7, 27), {}),
    ("周杰", "h7", 4, 2, date(1958, 8, 28), {}),
    ("徐丽", "h1", 2, 1, date(1960, 10, 20), {}),
    ("孙强", "h2", 3, 3, date(1962, 2, 12), {}),
    ("胡军", "h3", 4, 4, date(1963, 3, 3), {}),
    ("朱红", "h4", 5, 1, date(1964, 4, 4), {}),
    ("高峰", "h5", 6, 2, date(1965, 5, 15), {}),
    ("林涛", "h6", 7, 1, date(1967, 7, 7), {}),
    ("何平", "h7", 1, 4, date(1969, 9, 19), {}),
    ("郭勇", "h1", 4, 1, date(1970, 10, 1), {"care_flags": ["bedridden"]}),
    ("马超", "h2", 4, 3, date(1971, 11, 21), {}),
]


@dataclass
class Register:
    store: Store
    people: dict[str, Person]

    def find(self, query: str, **kwargs: Any) -> SearchResult:
        return search(self.store, query, **kwargs)

    def names(self, query: str, **kwargs: Any) -> list[str]:
        return [h.name for h in self.find(query, **kwargs).hits]

    def living_in(self, *households: str) -> set[str]:
        return {name for name, key, *_ in PEOPLE if key in households}


@pytest.fixture(scope="module")
def reg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Register]:
    """Thirty people in seven households; read-only for the tests below."""
    store = open_store(Path(tmp_path_factory.mktemp("search")) / "t.db")
    make = Make(store)
    homes = {key: make.household(**values) for key, values in HOUSEHOLDS.items()}
    people = {}
    for i, (name, key, category, level, born, extra) in enumerate(PEOPLE):
        people[name] = make.person(
            homes[key],
            name,
            category=category,
            level=level,
            birth=born,
            male=i % 2 == 0,
            **extra,
        )
    register.change_status(store, people["王伟"], "moved", "2026-10-01", "迁往渝北区")
    yield Register(store, people)
    store.close()


# -- names and ranking --------------------------------------------------------------------


def test_exact_name_first_then_prefix_then_fragment(reg: Register) -> None:
    result = reg.find("王芳")
    assert [(h.name, h.rank) for h in result.hits] == [
        ("王芳", 0),
        ("王芳华", 1),
        ("王芳芳", 1),
        ("李王芳", 3),
    ]
    assert result.total == 4
    # The page shown is the best one: with room for one row, it is 王芳.
    assert reg.names("王芳", limit=1) == ["王芳"]


def test_two_character_fragment_inside_a_name_is_found(reg: Register) -> None:
    # FTS5 trigram cannot match 2 characters (SQLite 3.40 returns nothing); the short
    # path must still find 小明 inside 王小明 and 王芳 inside 李王芳.
    assert reg.names("小明") == ["王小明"]
    assert "李王芳" in reg.names("王芳")


def test_one_character_query(reg: Register) -> None:
    result = reg.find("王")
    names = [h.name for h in result.hits]
    surnamed = {"王芳", "王芳芳", "王芳华", "王小明", "王伟", "王磊", "王静", "王强", "王丽"}
    assert set(names[:9]) == surnamed
    assert names[9:] == ["李王芳"]
    # Within the same rank, people still in the register come first.
    assert names[8] == "王伟"
    assert result.hits[8].status == "moved"
    assert reg.names("帆") == ["吴帆", "杨帆"]


def test_pinyin_initials(reg: Register) -> None:
    assert set(reg.names("wf")) == {"王芳", "王芳芳", "王芳华", "吴帆", "万峰"}
    assert reg.names("wff") == ["王芳芳"]
    assert reg.names("wxm") == ["王小明"]


def test_full_pinyin_ranks_name_readings_before_fragments(reg: Register) -> None:
    names = reg.names("wangfang")
    assert set(names[:3]) == {"王芳", "王芳芳", "王芳华"}
    assert names[3:] == ["李王芳"]
    assert reg.names("wang fang")[:3] == names[:3]
    assert reg.names("zhaomin") == ["赵敏"]


@pytest.mark.parametrize("query", ["sl", "shanli", "dl", "danli", "单丽", "shan"])
def test_heteronym_surname_found_by_both_readings(reg: Register, query: str) -> None:
    assert reg.names(query)[0] == "单丽"


@pytest.mark.parametrize("query", ["ＷＦ", " wf ", "WF", "Ｗｆ"])
def test_full_width_and_upper_case_queries(reg: Register, query: str) -> None:
    assert set(reg.names(query)) == {"王芳", "王芳芳", "王芳华", "吴帆", "万峰"}
    assert reg.find(query).query == query  # the result says which input it answers


# -- numbers, addresses, buildings, guardians ---------------------------------------------


def test_id_number_tail(reg: Register) -> None:
    target = reg.people["王芳"]
    assert reg.names(target.id_number[-4:]) == ["王芳"]
    assert reg.names(target.id_number[-6:]) == ["王芳"]


def test_id_number_middle_fragment(reg: Register) -> None:
    target = reg.people["王小明"]
    assert reg.names(target.id_number[8:14]) == ["王小明"]  # 590909, from the birth date


def test_full_id_and_certificate_number(reg: Register) -> None:
    target = reg.people["周杰"]
    assert reg.names(target.id_number) == ["周杰"]
    assert reg.names(target.cert_number) == ["周杰"]
    assert reg.names(target.id_number.lower()) == ["周杰"]


def test_phone_last_four(reg: Register) -> None:
    assert reg.names("5678") == ["王芳"]


def test_household_phone_finds_everyone_in_it(reg: Register) -> None:
    assert set(reg.names("67700000")) == reg.living_in("h7")


def test_address_fragment(reg: Register) -> None:
    assert set(reg.names("北城天街")) == reg.living_in("h4")
    assert set(reg.names("洋河花园")) == reg.living_in("h5")
    assert set(reg.names("建新东路")) == reg.living_in("h1", "h2", "h3")


def test_building(reg: Register) -> None:
    assert set(reg.names("3栋")) == reg.living_in("h1", "h2")  # not 13栋
    assert set(reg.names("13栋")) == reg.living_in("h3")
    assert set(reg.names("3栋2单元")) == reg.living_in("h2")


def test_guardian_name_and_phone(reg: Register) -> None:
    assert set(reg.names("赵德明")) == reg.living_in("h1")
    assert set(reg.names("00001234")) == reg.living_in("h1")


# -- filters and counts -------------------------------------------------------------------


def test_filters(reg: Register) -> None:
    assert set(reg.names("王", filters=Filters(category=4))) == {"王芳", "王小明", "王磊"}
    assert set(reg.names("王", filters=Filters(level=2))) == {"王芳", "王芳华", "王强"}
    assert set(reg.names("王", filters=Filters(category=4, level=2))) == {"王芳"}
    assert "王伟" not in reg.names("王", filters=Filters(status="active"))
    assert reg.names("王", filters=Filters(status="moved")) == ["王伟"]
    assert set(reg.names("", filters=Filters(flags=frozenset({"dibao"})))) == reg.living_in("h1")
    assert reg.names("", filters=Filters(flags=frozenset({"bedridden"}))) == ["郭勇"]
    assert reg.names("wf", filters=Filters(flags=frozenset({"alone"}))) == ["吴帆", "王芳华"]


def test_empty_query_lists_everyone_by_name(reg: Register) -> None:
    result = reg.find("", limit=5)
    assert result.total == len(PEOPLE)
    assert len(result.hits) == 5
    assert [h.name for h in result.hits] == sorted(h.name for h in result.hits)


def test_total_counts_every_hit_beyond_the_limit(reg: Register) -> None:
    result = reg.find("王", limit=3)
    assert len(result.hits) == 3
    assert result.total == 10
    assert not result.total_is_capped
    assert reg.find("wang", limit=2).total == 10
    assert reg.find("建新东路", limit=20).total == len(reg.living_in("h1", "h2", "h3")) == 14


@pytest.mark.parametrize(("query", "limit"), [("建新东路", 4), ("北城天街", 2), ("500105", 5)])
def test_total_counts_fragment_hits_beyond_the_limit(reg: Register, query: str, limit: int) -> None:
    result = reg.find(query, limit=limit)
    assert len(result.hits) == limit
    assert result.total == len(reg.find(query).hits) > limit


def test_short_page_is_the_start_of_the_full_list(reg: Register) -> None:
    assert reg.names("王", limit=3) == reg.names("王")[:3]
    assert "王伟" not in reg.names("王", limit=8)  # 8 active 王* outrank the moved-out one


@pytest.mark.parametrize(("query", "expected"), [("wf", 5), ("3栋", 10)])
def test_total_counts_short_term_hits_beyond_the_limit(
    reg: Register, query: str, expected: int
) -> None:
    assert len(reg.living_in("h1", "h2")) == 10
    result = reg.find(query, limit=2)
    assert len(result.hits) == 2
    assert result.total == expected


# -- input that must not break anything ---------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ['"', '王"芳', '"王芳', 'wang"', '""""', '3栋" OR "8栋', "NEAR(王芳)", "wang*", "-王", "'"],
)
def test_quotes_and_fts_syntax_are_plain_text(reg: Register, query: str) -> None:
    result = reg.find(query)
    assert result.query == query
    assert result.total == len(result.hits) == 0


def test_no_match_says_zero(reg: Register) -> None:
    result = reg.find("欧阳修")
    assert (result.hits, result.total, result.total_is_capped) == ((), 0, False)


# -- index maintenance --------------------------------------------------------------------


def test_renamed_person_is_found_by_the_new_name_only(store: Store, make: Make) -> None:
    person = make.person(make.household(), "王芳")
    register.update_person(
        store,
        person,
        {
            "name": "汪方",
            "id_number": person.id_number,
            "cert_number": person.cert_number,
            "category": person.category,
            "level": person.level,
        },
    )
    assert [h.name for h in search(store, "汪方").hits] == ["汪方"]
    assert search(store, "王芳").total == 0
    assert search(store, "wf").total == 1  # 汪方 is wf too
    assert search(store, "wangfang").total == 1


def test_building_typed_full_width_is_found(store: Store, make: Make) -> None:
    make.person(make.household("建新东路５号", building="５栋"), "王芳")
    assert [h.name for h in search(store, "5栋").hits] == ["王芳"]
    assert [h.name for h in search(store, "５栋").hits] == ["王芳"]
    assert [h.name for h in search(store, "东路5号").hits] == ["王芳"]


def test_index_people_writes_exactly_what_index_person_writes(store: Store, make: Make) -> None:
    # A heteronym surname, a family member without ID, a guardian and phones, a
    # full-width building, a Latin name: the bulk path must write the same rows.
    home = make.household(
        "建新东路５号",
        building="５栋",
        unit="2单元",
        room="301",
        phone="023-67700000",
        guardian_name="赵德明",
        guardian_phone="13500001234",
    )
    people = [
        make.person(home, "单丽", phone="13812345678"),
        make.person(home, "王芳芳", category=None, level=None, relation="子女"),
        make.person(make.household("北城天街8号"), "阿依·买买提", male=False),
        make.person(make.household("观音桥步行街9号", building="A座"), "Tom李"),
    ]
    pks = [store.scalar("SELECT pk FROM persons WHERE id = ?", (p.id,)) for p in people]

    def rows() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        conn = store.db.conn
        terms = conn.execute("SELECT person_pk, term, weak FROM search_terms ORDER BY rowid")
        docs = conn.execute("SELECT rowid, doc FROM person_fts ORDER BY rowid")
        return list(terms), list(docs)

    with store.transaction():
        for pk in pks:
            index_person(store, pk)
    one_by_one = rows()
    assert one_by_one[0] and len(one_by_one[1]) == len(pks)

    with store.transaction():
        index_people(store, [*pks, pks[0], 999_999])  # a repeat and an unknown pk
    assert rows() == one_by_one
    with store.transaction():
        index_people(store, [])
    assert rows() == one_by_one


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        ("阚德明", ["kdm", "kandeming", "kande"]),
        ("卜一凡", ["byf", "buyifan"]),
        ("薄明", ["bm", "boming"]),
        ("藏建华", ["zjh", "zangjianhua"]),
        ("佴军", ["naijun"]),
        ("长明", ["changming"]),
        ("张小伟", ["zhangxw", "zhangx", "zxw"]),
        ("吕德华", ["lvdehua", "ludehua", "ldh", "lvdh", "ludh"]),
    ],
)
def test_surname_readings_mixed_input_and_u_for_v(
    store: Store, make: Make, name: str, queries: list[str]
) -> None:
    make.person(make.household("建新东路1号"), name)
    make.person(make.household("建新东路2号"), "王芳")
    for query in queries:
        assert [h.name for h in search(store, query).hits] == [name], query


def test_hit_says_why_it_matched_when_no_shown_field_does(store: Store, make: Make) -> None:
    home = make.household(
        "建新东路9号", phone="023-67700657", guardian_name="赵德明", guardian_phone="13500001234"
    )
    make.person(home, "王玲", phone="13812345678")
    (hit,) = search(store, "0657").hits
    assert (hit.name, hit.phone, hit.matched) == ("王玲", "13812345678", "同户电话 …0657")
    assert search(store, "赵德明").hits[0].matched == "监护人 赵德明"
    # A field the row shows needs no reason.
    assert search(store, "5678").hits[0].matched == ""
    assert search(store, "wl").hits[0].matched == ""
    assert search(store, "建新东路").hits[0].matched == ""


def test_a_database_indexed_by_an_earlier_version_is_reindexed_once(
    tmp_path: Path,
) -> None:
    """`kdm` finds 阚德明 in a database whose keys were written before the surname fix."""
    from canxie_tui.domain.search_keys import KEYS_VERSION
    from canxie_tui.store import session
    from tests.conftest import Make, open_store

    path = tmp_path / "old.db"
    store = open_store(path)
    person = Make(store).person(name="阚德明")
    # As an earlier version left it: none of its keys (here: no index at all), no mark.
    store.db.conn.execute("DELETE FROM search_terms")
    store.db.conn.execute("DELETE FROM person_fts")
    store.db.conn.commit()
    store.db.conn.execute("PRAGMA user_version = 1")
    assert search(store, "kdm").hits == ()
    store.close()

    again = session.open_store(path)
    try:
        assert [h.person_id for h in search(again, "kdm").hits] == [person.id]
        assert again.scalar("PRAGMA user_version") == KEYS_VERSION
    finally:
        again.close()
