"""`canxie init`, `canxie site key|recode`, `canxie district key|recodes`, end to end.

A scripted install: the district database is made with `init`, issues a key, a
community is made with `init --key`, exports its month, and the district merges
it.  Bad input is refused with the first-run screen's own messages, nothing made.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from canxie_tui.domain.models import Site
from canxie_tui.store import session, site
from tests.e2e.conftest import run

COMMUNITY = [
    "--district-name", "江北区", "--district-code", "500105",
    "--street-name", "观音桥街道", "--street-code", "500105006",
    "--community-name", "建新东路社区", "--community-code", "500105006001",
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"--district-code": "50010"}, "district_code"),
        ({"--street-code": "500106006"}, "street_code"),
        ({"--community-code": "500105007001"}, "community_code"),
        ({"--community-name": "500105006001"}, "community_name"),
    ],
)
def test_init_refuses_bad_codes_with_the_setup_screens_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, str], field: str
) -> None:
    args = list(COMMUNITY)
    for flag, value in change.items():
        args[args.index(flag) + 1] = value
    db = tmp_path / "c.db"
    code, out, err = run(capsys, "--db", str(db), "init", *args, "--operator", "李明")
    assert code == 2 and out == ""
    # The very check (and words) the first-run screen uses.
    values = dict(zip(args[::2], args[1::2], strict=True))
    wanted = Site(**{k[2:].replace("-", "_"): v for k, v in values.items()})
    with pytest.raises(Exception) as screen:
        site.check_setup(wanted, "李明")
    assert getattr(screen.value, "field", "") == field
    assert err.strip() == f"错误：{screen.value}"
    assert not db.exists()


def test_init_needs_an_operator_and_refuses_a_database_already_set_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.db")
    code, _, err = run(capsys, "--db", db, "init", *COMMUNITY, "--operator", " ")
    assert code == 2 and "请填写操作员姓名" in err
    code, out, _ = run(capsys, "--db", db, "init", *COMMUNITY, "--operator", "李明", "--json")
    assert code == 0
    made = json.loads(out)
    assert made["site_code"] == "500105006001" and made["operator"] == "李明"
    assert made["district"] is False and made["key"] is False
    code, _, err = run(capsys, "--db", db, "init", *COMMUNITY, "--operator", "王五")
    assert code == 1 and "已经设置过" in err


def test_a_scripted_district_and_community_merge_with_the_issued_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from canxie_tui.excel.monthly_return import export_monthly
    from tests.conftest import Make, build_month

    district = str(tmp_path / "district.db")
    code, out, err = run(
        capsys, "--db", district, "init", "--district-name", "江北区",
        "--district-code", "500105", "--operator", "区残联张敏", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["district"] is True
    code, out, _ = run(
        capsys, "--db", district, "district", "key", "--community-code", "500105006001", "--json"
    )
    key = json.loads(out)["key"]
    assert key.startswith("CX1-6001-")
    # A key for another community is refused by name.
    community = str(tmp_path / "c.db")
    code, _, err = run(
        capsys, "--db", community, "init", *COMMUNITY[:-1], "500105006002",
        "--operator", "李明", "--key", key,
    )  # fmt: skip
    assert code == 2 and "不是本社区" in err
    code, _, err = run(
        capsys, "--db", community, "init", *COMMUNITY, "--operator", "李明", "--key", key
    )
    assert code == 0, err
    store = session.open_store(Path(community))
    build_month(store, Make(store))
    path = export_monthly(store, 2026, 11, out=tmp_path / "c.xlsx")
    store.close()
    code, out, err = run(capsys, "--db", district, "district", "merge", str(path), "--json")
    assert code == 0, err
    merged = json.loads(out)["files"][0]
    assert not merged["refused"] and merged["new"] > 0
    assert merged["linked"] == 0 and merged["held"] == 0 and merged["warnings"] == []


def test_a_community_without_the_districts_key_is_refused_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from canxie_tui.excel.monthly_return import export_monthly
    from tests.conftest import Make, build_month

    district, community = str(tmp_path / "d.db"), str(tmp_path / "c.db")
    run(capsys, "--db", district, "init", "--district-name", "江北区", "--district-code", "500105",
        "--operator", "张敏")  # fmt: skip
    run(capsys, "--db", community, "init", *COMMUNITY, "--operator", "李明")
    store = session.open_store(Path(community))
    build_month(store, Make(store))
    path = export_monthly(store, 2026, 11, out=tmp_path / "c.xlsx")
    store.close()
    code, out, _ = run(capsys, "--db", district, "district", "merge", str(path))
    assert code == 1 and "还没有填写区里发放的密钥" in out and "canxie site key" in out


def test_site_recode_and_the_districts_mapping_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.db")
    run(capsys, "--db", db, "init", *COMMUNITY, "--operator", "李明")
    code, _, err = run(capsys, "--db", db, "site", "recode", "--from", "500105", "--to", "5001")
    assert code == 1 and "应为6位" in err
    code, out, err = run(
        capsys, "--db", db, "site", "recode", "--from", "500105", "--to", "500160",
        "--name", "两江新区", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["site"] == 1
    store = session.open_store(Path(db))
    now = site.get_site(store)
    store.close()
    assert (now.district_name, now.district_code, now.community_code) == (
        "两江新区",
        "500160",
        "500160006001",
    )
    table = Workbook()
    ws = table.active
    ws.append(["旧代码", "新代码", "新名称"])
    ws.append(["500105007", "500160107", "江北城街道"])
    ws.append(["5001050", "x", ""])
    table.save(tmp_path / "bad.xlsx")
    district = str(tmp_path / "d.db")
    run(capsys, "--db", district, "init", "--district-name", "江北区", "--district-code", "500105",
        "--operator", "张敏")  # fmt: skip
    code, _, err = run(capsys, "--db", district, "district", "recodes", str(tmp_path / "bad.xlsx"))
    assert code == 1 and "第3行" in err
    ws.delete_rows(3)
    table.save(tmp_path / "good.xlsx")
    code, out, err = run(
        capsys, "--db", district, "district", "recodes", str(tmp_path / "good.xlsx"), "--json"
    )
    assert code == 0, err
    assert json.loads(out)["recodes"] == [["500105007", "500160107", "江北城街道"]]
