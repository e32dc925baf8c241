"""The layers are importable without what sits above them (after Harlequin's test).

Each check runs in a fresh interpreter, so modules loaded by other tests do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# Imports every module of the packages named (or just the modules), then prints the modules it loaded and the
# modules it found, as JSON.
_PROBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys

    found = []
    for package_name in sys.argv[1:]:
        package = importlib.import_module(package_name)
        found.append(package_name)
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), package_name + "."):
            importlib.import_module(info.name)
            found.append(info.name)
    print(json.dumps({"loaded": sorted(sys.modules), "found": found}))
    """
)


def _import_in_fresh_python(*packages: str) -> tuple[set[str], list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *packages],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return set(data["loaded"]), data["found"]


def _top_level(modules: set[str], name: str) -> list[str]:
    return sorted(m for m in modules if m == name or m.startswith(name + "."))


@pytest.mark.parametrize("layer", ["canxie_tui.domain", "canxie_tui.store", "canxie_tui.excel"])
def test_layer_does_not_load_textual(layer: str) -> None:
    loaded, found = _import_in_fresh_python(layer)
    assert layer in found
    textual = sorted(m for m in loaded if m.startswith("textual"))
    assert textual == [], f"importing {layer} loaded {textual[:5]}"
    assert _top_level(loaded, "canxie_tui.ui") == []


def test_all_core_layers_together_do_not_load_textual() -> None:
    loaded, found = _import_in_fresh_python(
        "canxie_tui.domain", "canxie_tui.store", "canxie_tui.excel"
    )
    # The walk really reached the modules (a broken walk would prove nothing).
    for module in (
        "canxie_tui.domain.ids",
        "canxie_tui.domain.validate",
        "canxie_tui.domain.search_keys",
        "canxie_tui.store.connection",
        "canxie_tui.store.register",
        "canxie_tui.store.search",
    ):
        assert module in found
    assert [m for m in loaded if m.startswith("textual")] == []


def test_domain_does_not_load_the_store() -> None:
    loaded, _ = _import_in_fresh_python("canxie_tui.domain")
    assert _top_level(loaded, "canxie_tui.store") == []
    assert _top_level(loaded, "sqlite_utils") == []


def test_search_keys_does_not_load_pypinyin() -> None:
    loaded, _ = _import_in_fresh_python("canxie_tui.domain.search_keys")
    assert _top_level(loaded, "pypinyin") == []


def test_store_db_does_not_load_openpyxl() -> None:
    loaded, _ = _import_in_fresh_python("canxie_tui.store.connection")
    assert _top_level(loaded, "openpyxl") == []
    assert _top_level(loaded, "pypinyin") == []


def test_store_does_not_load_the_excel_package() -> None:
    loaded, found = _import_in_fresh_python("canxie_tui.store")
    assert "canxie_tui.store.district.merge" in found and "canxie_tui.store.monthly" in found
    assert _top_level(loaded, "canxie_tui.excel") == []
    assert _top_level(loaded, "openpyxl") == []


def test_the_connection_imports_nothing_of_the_project_but_schema_and_errors() -> None:
    loaded, _ = _import_in_fresh_python("canxie_tui.store.connection")
    ours = {m for m in loaded if m.startswith("canxie_tui.")}
    assert ours <= {
        "canxie_tui.config",
        "canxie_tui.store",
        "canxie_tui.store.connection",
        "canxie_tui.store.errors",
        "canxie_tui.store.handle",  # the connection handle (no project imports)
        "canxie_tui.store.schema",
        "canxie_tui.domain",
        "canxie_tui.domain.errors",
    }, sorted(ours)


def test_opening_a_database_does_not_load_sqlite_utils() -> None:
    """sqlite-utils (~30 ms of imports) is for migrations only: loaded when one runs."""
    loaded, _ = _import_in_fresh_python("canxie_tui.store.session")
    assert _top_level(loaded, "sqlite_utils") == []


def test_layer_contracts_are_declared_for_ci() -> None:
    """CI runs `lint-imports`; the contracts it reads must name every layer."""
    import tomllib

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))["tool"]
    contracts = config["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    named = {name.strip() for layer in layers for name in layer.split("|")}
    top = {p.name for p in (REPO_ROOT / "canxie_tui").iterdir() if (p / "__init__.py").exists()}
    assert {f"canxie_tui.{name}" for name in top} <= named
    assert any(c["type"] == "acyclic_siblings" for c in contracts)
