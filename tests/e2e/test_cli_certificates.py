"""`canxie certificates`: who must renew their 残疾人证, IDs masked unless asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from canxie_tui.store import session
from tests.app.conftest import SHAN_LI_ID, WANG_FANG_ID, add_certificate_dates, build_register
from tests.e2e.conftest import run


@pytest.fixture
def cert_db(tmp_path: Path) -> Path:
    """王芳's certificate expired on 2026-11-01, 单丽's runs to 2027-01-15, 李华's to 2030."""
    store = build_register(tmp_path / "canxie.db")
    add_certificate_dates(store)
    store.close()
    return tmp_path / "canxie.db"


def reveals(db: Path) -> int:
    store = session.open_store(db)
    try:
        return int(
            store.scalar("SELECT count(*) FROM audit_log WHERE action LIKE '显示完整身份证号%'")
        )
    finally:
        store.close()


def test_certificates_json_masks_ids(cert_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(cert_db), "certificates", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["date"], data["days"], data["total"], data["expired"]) == ("2026-11-29", 90, 2, 1)
    wang, shan = data["results"]
    assert (wang["name"], wang["days_left"], wang["days_text"]) == ("王芳", -28, "已过期28天")
    assert (shan["name"], shan["days_left"], shan["days_text"]) == ("单丽", 47, "47天后到期")
    assert wang["id_number"] == f"{WANG_FANG_ID[:6]}********{WANG_FANG_ID[-4:]}"
    assert shan["id_number"] == f"{SHAN_LI_ID[:6]}********{SHAN_LI_ID[-4:]}"
    assert WANG_FANG_ID not in out and SHAN_LI_ID not in out  # nor inside a certificate number
    assert wang["disability"] == "肢体二级" and wang["cert_valid_until"] == "2026-11-01"
    assert "建新东路12号" in wang["address"] and wang["phone"] == "13812345678"
    assert reveals(cert_db) == 0


def test_certificates_days_widen_the_window(
    cert_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--db", str(cert_db), "certificates", "--days", "10", "--json")
    assert [r["name"] for r in json.loads(out)["results"]] == ["王芳"]
    code, out, _ = run(capsys, "--db", str(cert_db), "certificates", "--days", "2000", "--json")
    assert [r["name"] for r in json.loads(out)["results"]] == ["王芳", "单丽", "李华"]
    code, _, err = run(capsys, "--db", str(cert_db), "certificates", "--days", "0")
    assert code == 2 and "--days 须为正整数" in err


def test_certificates_full_ids_are_audited(
    cert_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--db", str(cert_db), "certificates", "--json", "--full-ids")
    assert code == 0
    assert [r["id_number"] for r in json.loads(out)["results"]] == [WANG_FANG_ID, SHAN_LI_ID]
    assert reveals(cert_db) == 2


def test_certificates_table(
    cert_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    code, out, _ = run(capsys, "--db", str(cert_db), "certificates")
    assert code == 0
    assert "共 2 人，其中已过期 1 人" in out and "已过期28天" in out and "47天后到期" in out
    assert WANG_FANG_ID not in out and f"{WANG_FANG_ID[:6]}********" in out


def test_no_certificate_due(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(db), "certificates")
    assert (code, out.strip()) == (0, "没有90天内到期或已过期的残疾人证。")
