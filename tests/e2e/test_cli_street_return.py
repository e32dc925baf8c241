"""A street's own install sends its monthly return to the district, end to end.

The district database is made with `canxie init`, issues a key to the street
(`canxie district key --street-code`), the street's database is made with
`canxie init --key` and holds households of two of its communities and one of
its own; it exports its month and the district merges it.  Then what a street
may not do: touch another street's households, use a community's key (or lend
its key to a community), send an unsigned return; a community and its street
sending the same households in one month; division recodes.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from canxie_tui.domain.ids import make_certificate, make_id
from canxie_tui.store import daycare, keys, records, register, session
from canxie_tui.store.connection import Store
from canxie_tui.store.district.status import TWO_DATABASES, report_notes
from tests.conftest import Make
from tests.e2e.conftest import run

DISTRICT = ["--district-name", "江北区", "--district-code", "500105"]
STREET = [*DISTRICT, "--street-name", "观音桥街道", "--street-code", "500105006"]
JIANXIN = [*STREET, "--community-name", "建新东路社区", "--community-code", "500105006001"]
JIANGBEICHENG = [
    *DISTRICT, "--street-name", "江北城街道", "--street-code", "500105007",
    "--community-name", "江北城社区", "--community-code", "500105007001",
]  # fmt: skip
# (division code, division name, address, person, ID serial): the street's households.
HOMES = [
    ("500105006001", "建新东路社区", "建新东路1号", "王芳", 1),
    ("500105006002", "洋河路社区", "洋河路8号", "张强", 2),
    ("500105006", "观音桥街道", "街道直管小区3号", "李华", 3),
]
Cli = pytest.CaptureFixture[str]


def _id(serial: int) -> str:
    return make_id("500105", date(1968, 5, 12), 2 * serial + 1)


def _init(capsys: Cli, db: Path, where: list[str], key: str = "") -> tuple[int, str, str]:
    extra = ["--key", key] if key else []
    return run(capsys, "--db", str(db), "init", *where, "--operator", "李明", *extra)


def _district(capsys: Cli, tmp_path: Path) -> Path:
    db = tmp_path / "district.db"
    code, _, err = run(capsys, "--db", str(db), "init", *DISTRICT, "--operator", "张敏")
    assert code == 0, err
    return db


def _key(capsys: Cli, district: Path, option: str, code: str) -> str:
    status, out, err = run(capsys, "--db", str(district), "district", "key", option, code, "--json")
    assert status == 0, err
    issued = json.loads(out)
    assert issued["community_code"] == code
    return str(issued["key"])


def _add_homes(db: Path, homes: list[tuple[str, str, str, str, int]]) -> Store:
    store = session.open_store(db)
    for division, name, address, person, serial in homes:
        house = register.add_household(
            store, {"address": address, "division_code": division, "division_name": name}
        )
        number = _id(serial)
        register.add_person(
            store,
            house.id,
            {
                "name": person,
                "relation": "户主",
                "id_number": number,
                "cert_number": make_certificate(number, 4, 2),
                "category": 4,
                "level": 2,
            },
        )
    return store


def _export(capsys: Cli, db: Path, out: Path) -> Path:
    code, _, err = run(
        capsys, "--db", str(db), "export", "monthly", "--month", "2026-11", "--out", str(out),
        "--force",
    )  # fmt: skip
    assert code == 0, err
    return out


def _merge(capsys: Cli, district: Path, *paths: Path) -> list[dict[str, Any]]:
    _, out, err = run(
        capsys, "--db", str(district), "district", "merge", *map(str, paths), "--json"
    )
    assert out, err
    return list(json.loads(out)["files"])


def _send(capsys: Cli, tmp_path: Path, district: Path) -> dict[str, Any]:
    """The street's month exported and merged at the district: the merge's result."""
    (result,) = _merge(
        capsys, district, _export(capsys, tmp_path / "street.db", tmp_path / "s.xlsx")
    )
    return result


def _street_sent(capsys: Cli, tmp_path: Path) -> Path:
    """A district database that has merged the street's first month."""
    district = _district(capsys, tmp_path)
    _street(capsys, tmp_path, district).close()
    assert not _send(capsys, tmp_path, district)["refused"]
    return district


def _street(capsys: Cli, tmp_path: Path, district: Path) -> Store:
    """The street's database, set up with the key the district issued to it, and its homes."""
    key = _key(capsys, district, "--street-code", "500105006")
    assert key.startswith("CX1-J006-")
    code, out, err = _init(capsys, tmp_path / "street.db", [*STREET, "--json"], key)
    assert code == 0, err
    made = json.loads(out)
    assert made["site_code"] == "500105006" and made["key"] is True and made["district"] is False
    return _add_homes(tmp_path / "street.db", HOMES)


def _copy_in(store: Store, source: Store, table: str, rid: str, **changes: Any) -> None:
    """Put `source`'s record into `store` as it is there (with `changes`, one version on)."""
    row = dict(source.query(f"SELECT * FROM {table} WHERE id = ?", (rid,))[0])
    row.pop("pk")
    if changes:
        row.update(changes, version=row["version"] + 1)
    with store.transaction() as db:
        db.conn.execute(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )


# -- the street's month at the district ------------------------------------------------------
def test_a_street_return_is_signed_merged_and_changes_only_what_the_street_changed(
    tmp_path: Path, capsys: Cli
) -> None:
    district = _district(capsys, tmp_path)
    street = _street(capsys, tmp_path, district)
    wang = street.query("SELECT id FROM persons WHERE name = '王芳'")[0]["id"]
    member = daycare.enrol(street, wang, ["day_care"], "12345", date(2026, 11, 2))
    for day in (3, 4):
        daycare.mark(street, member.id, date(2026, 11, day), "present")
    street.close()

    first = _send(capsys, tmp_path, district)
    assert not first["refused"], first["reason"]
    assert (first["site_code"], first["site_name"]) == ("500105006", "江北区观音桥街道")
    assert first["foreign"] == [] and first["warnings"] == []
    assert first["by_table"]["households"]["new"] == 3
    assert first["by_table"]["persons"]["new"] == 3
    assert first["by_table"]["attendance"]["new"] == 2

    dist = session.open_store(district)
    homes = dist.query(
        "SELECT h.division_code, p.name, p.id_number FROM households h "
        "JOIN persons p ON p.household_id = h.id ORDER BY h.division_code"
    )
    assert [(r["division_code"], r["name"]) for r in homes] == [
        ("500105006", "李华"),
        ("500105006001", "王芳"),
        ("500105006002", "张强"),
    ]
    assert all(r["id_number"].startswith("idt:") for r in homes)  # tokens, never the number
    source = dist.query("SELECT * FROM merge_sources")[0]
    assert (source["site_code"], source["street_name"], source["community_code"]) == (
        "500105006",
        "观音桥街道",
        "",
    )
    # The street's month counts as sent for the communities it holds households of.
    assert not any(
        "建新东路社区" in line or "洋河路社区" in line for line in report_notes(dist, "2026-11")
    )
    dist.close()

    # The street changes a phone and takes back a roll call: the district follows.
    street = session.open_store(tmp_path / "street.db")
    zhang = register.get_person(
        street, street.query("SELECT id FROM persons WHERE name = '张强'")[0]["id"]
    )
    register.update_person(street, zhang, {**zhang.form_values(), "phone": "13900001111"})
    daycare.unmark(street, member.id, date(2026, 11, 4))
    street.close()
    second = _send(capsys, tmp_path, district)
    assert not second["refused"] and second["foreign"] == []
    assert second["by_table"]["persons"]["updated"] == 1
    assert second["deleted"] == 1
    dist = session.open_store(district)
    assert dist.scalar("SELECT phone FROM persons WHERE name = '张强'") == "13900001111"
    assert dist.scalar("SELECT count(*) FROM attendance") == 1
    assert records.verify_audit_chain(dist) == []
    dist.close()


def test_a_streets_database_does_not_merge_returns(tmp_path: Path, capsys: Cli) -> None:
    district = _district(capsys, tmp_path)
    _street(capsys, tmp_path, district).close()
    path = _export(capsys, tmp_path / "street.db", tmp_path / "s.xlsx")
    code, _, err = run(capsys, "--db", str(tmp_path / "street.db"), "district", "merge", str(path))
    assert code != 0 and "不是区数据库" in err and "报送区里合并" in err


# -- refusals ----------------------------------------------------------------------------------
def test_a_street_return_touches_no_household_outside_its_street(
    tmp_path: Path, capsys: Cli
) -> None:
    district = _district(capsys, tmp_path)
    # A community of another street (江北城街道) sends its month first.
    key = _key(capsys, district, "--community-code", "500105007001")
    code, _, err = _init(capsys, tmp_path / "other.db", JIANGBEICHENG, key)
    assert code == 0, err
    other = _add_homes(
        tmp_path / "other.db", [("500105007001", "江北城社区", "江北城1号", "陈明", 9)]
    )
    other.close()
    (merged,) = _merge(
        capsys, district, _export(capsys, tmp_path / "other.db", tmp_path / "o.xlsx")
    )
    assert not merged["refused"], merged["reason"]

    # The street's database holds that household (its person edited, one "deleted" visit
    # of it), and a new household of another street's community.
    street = _street(capsys, tmp_path, district)
    other = session.open_store(tmp_path / "other.db")
    chen = other.query("SELECT * FROM persons WHERE name = '陈明'")[0]
    _copy_in(street, other, "households", chen["household_id"])
    _copy_in(street, other, "persons", chen["id"], phone="13800000000")
    other.close()
    records.write_audit(street, "删除", "persons", chen["id"], dict(chen), None)
    _add_homes(street.path, [("500105007002", "石马河社区", "石马河2号", "赵亮", 10)]).close()
    street.close()

    result = _send(capsys, tmp_path, district)
    assert not result["refused"], result["reason"]
    refused = "\n".join(result["foreign"])
    assert "陈明" in refused and "属于其他社区（或街道）" in refused
    assert "本月报无权删除" in refused
    assert "的区划代码是 500105007002，不是本街道/镇的" in refused
    dist = session.open_store(district)
    assert dist.scalar("SELECT phone FROM persons WHERE id = ?", (chen["id"],)) == chen["phone"]
    assert dist.scalar("SELECT count(*) FROM households WHERE division_code LIKE '500105007%'") == 1
    assert dist.scalar("SELECT count(*) FROM households WHERE division_code LIKE '500105006%'") == 3
    dist.close()


def test_a_communitys_return_still_touches_only_its_own_not_its_streets(
    tmp_path: Path, capsys: Cli
) -> None:
    district = _district(capsys, tmp_path)
    street = _street(capsys, tmp_path, district)
    wang = register.get_person(
        street, street.query("SELECT id FROM persons WHERE name = '王芳'")[0]["id"]
    )
    visit = Make(street).visit(date(2026, 11, 10), wang)
    street.close()
    merged = _send(capsys, tmp_path, district)
    assert not merged["refused"]
    # 建新东路社区 takes up its own 王芳 and her visit as the street sent them (edited: its own
    # to change), and copies in the street's own household (李华) and 洋河路社区's 张强, edited.
    key = _key(capsys, district, "--community-code", "500105006001")
    code, _, err = _init(capsys, tmp_path / "c.db", JIANXIN, key)
    assert code == 0, err
    community = session.open_store(tmp_path / "c.db")
    street = session.open_store(tmp_path / "street.db")
    for name in ("王芳", "李华", "张强"):
        person = street.query("SELECT * FROM persons WHERE name = ?", (name,))[0]
        _copy_in(community, street, "households", person["household_id"])
        _copy_in(community, street, "persons", person["id"], phone="13700000000")
    _copy_in(community, street, "visits", visit.id, note="社区补记：已转介")
    street.close()
    community.close()
    (result,) = _merge(capsys, district, _export(capsys, tmp_path / "c.db", tmp_path / "c.xlsx"))
    assert not result["refused"], result["reason"]
    refused = "\n".join(result["foreign"])
    assert "李华" in refused and "张强" in refused and "王芳" not in refused
    assert len(result["foreign"]) == 4  # two households, two people
    dist = session.open_store(district)
    changed = dist.query("SELECT name FROM persons WHERE phone = '13700000000'")
    assert [r["name"] for r in changed] == ["王芳"]
    assert dist.scalar("SELECT note FROM visits WHERE id = ?", (visit.id,)) == "社区补记：已转介"
    dist.close()


def test_a_street_key_is_the_streets_alone(tmp_path: Path, capsys: Cli) -> None:
    district = _district(capsys, tmp_path)
    street_key = _key(capsys, district, "--street-code", "500105006")
    community_key = _key(capsys, district, "--community-code", "500105006001")
    # Entered at a community: refused there, by name, nothing made.
    code, _, err = _init(capsys, tmp_path / "c.db", JIANXIN, street_key)
    assert code == 2
    assert "这个密钥是发给代码尾号为 006 的街道/镇的，不是本社区（500105006001）的" in err
    assert not (tmp_path / "c.db").exists()
    code, _, err = _init(capsys, tmp_path / "s.db", STREET, community_key)
    assert code == 2 and "不是本街道/镇（500105006）的：请向区里索取本街道/镇的密钥" in err
    code, _, err = _init(capsys, tmp_path / "c.db", JIANXIN)
    assert code == 0, err
    code, _, err = run(capsys, "--db", str(tmp_path / "c.db"), "site", "key", street_key)
    assert code != 0 and "街道/镇的，不是本社区" in err
    # A community that holds the street's key anyway (copied past the check): its return
    # is signed by the street's key but names the community, and the district refuses it.
    community = session.open_store(tmp_path / "c.db")
    keys.set_community_key(community, street_key, "500105006")
    community.close()
    _add_homes(tmp_path / "c.db", [HOMES[0]]).close()
    (result,) = _merge(capsys, district, _export(capsys, tmp_path / "c.db", tmp_path / "c.xlsx"))
    assert result["refused"]
    assert (
        "签名密钥是发给代码为 500105006 的街道/镇的：一个街道/镇只能报送本街道/镇的数据"
        in result["reason"]
    )
    dist = session.open_store(district)
    assert dist.scalar("SELECT count(*) FROM households") == 0
    dist.close()


def test_an_unsigned_street_return_is_refused_saying_what_to_do(
    tmp_path: Path, capsys: Cli
) -> None:
    district = _district(capsys, tmp_path)
    code, out, err = _init(capsys, tmp_path / "street.db", STREET)
    assert code == 0, err
    assert "还没有填写区里发放的密钥" in out
    _add_homes(tmp_path / "street.db", HOMES).close()
    path = _export(capsys, tmp_path / "street.db", tmp_path / "s.xlsx")
    code, out, _ = run(capsys, "--db", str(district), "district", "merge", str(path))
    assert code == 1
    assert "该街道/镇还没有填写区里发放的密钥" in out
    assert "canxie district key --street-code" in out and "canxie site key" in out


# -- a community and its street in one month ---------------------------------------------------
@pytest.mark.parametrize("street_first", [True, False])
def test_a_community_and_its_street_sending_the_same_households_are_named(
    tmp_path: Path, capsys: Cli, street_first: bool
) -> None:
    district = _district(capsys, tmp_path)
    _street(capsys, tmp_path, district).close()
    key = _key(capsys, district, "--community-code", "500105006001")
    code, _, err = _init(capsys, tmp_path / "c.db", JIANXIN, key)
    assert code == 0, err
    _add_homes(tmp_path / "c.db", [HOMES[0]]).close()  # 王芳 again, entered there too
    paths = [
        _export(capsys, tmp_path / "street.db", tmp_path / "street.xlsx"),
        _export(capsys, tmp_path / "c.db", tmp_path / "jianxin.xlsx"),
    ]
    first, second = _merge(capsys, district, *(paths if street_first else paths[::-1]))
    assert not first["refused"] and not second["refused"], (first["reason"], second["reason"])
    assert first["warnings"] == []
    (warning,) = second["warnings"]
    assert TWO_DATABASES in warning
    assert "“jianxin.xlsx”" in warning and "“street.xlsx”" in warning
    if not street_first:
        assert "社区 500105006001" in warning and "街道和社区都报送了它" in warning
    # One 王芳: the second return's record is taken as the same person, not a second one.
    assert second["linked"] >= 1 and second["held"] == 0 and second["foreign"] == []
    dist = session.open_store(district)
    assert dist.scalar("SELECT count(*) FROM persons WHERE name = '王芳' AND held = 0") == 1
    notes = report_notes(dist, "2026-11")
    assert any("500105006001" in line and TWO_DATABASES in line for line in notes)
    dist.close()


# -- division recodes ------------------------------------------------------------------------
def test_the_districts_mapping_table_renumbers_a_street(tmp_path: Path, capsys: Cli) -> None:
    district = _street_sent(capsys, tmp_path)
    # The district renumbers the street; the street's next return still has the old codes.
    table = Workbook()
    ws = table.active
    ws.append(["旧代码", "新代码", "新名称"])
    ws.append(["500105006", "500105096", "观音桥街道"])
    table.save(tmp_path / "recodes.xlsx")
    code, _, err = run(
        capsys, "--db", str(district), "district", "recodes", str(tmp_path / "recodes.xlsx")
    )
    assert code == 0, err
    again = _send(capsys, tmp_path, district)
    assert not again["refused"], again["reason"]
    assert again["site_code"] == "500105096" and again["new"] == 0 and again["foreign"] == []
    dist = session.open_store(district)
    codes = [r[0] for r in dist.db.conn.execute("SELECT division_code FROM households ORDER BY 1")]
    assert codes == ["500105096", "500105096001", "500105096002"]
    dist.close()


def test_the_streets_own_recode_travels_in_its_return(tmp_path: Path, capsys: Cli) -> None:
    district = _street_sent(capsys, tmp_path)
    # The street's own recode travels in its return and is taken (its communities follow).
    code, _, err = run(
        capsys, "--db", str(tmp_path / "street.db"), "site", "recode",
        "--from", "500105006", "--to", "500105098",
    )  # fmt: skip
    assert code == 0, err
    moved = _send(capsys, tmp_path, district)
    assert not moved["refused"], moved["reason"]
    assert moved["site_code"] == "500105098" and moved["foreign"] == []
    dist = session.open_store(district)
    codes = [r[0] for r in dist.db.conn.execute("SELECT division_code FROM households ORDER BY 1")]
    assert codes == ["500105098", "500105098001", "500105098002"]
    dist.close()
