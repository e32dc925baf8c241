"""Settings from the environment: the one module that reads it.

    CANXIE_DB               the database file (default data/canxie.db in the working folder)
    CANXIE_EXPORTS          the folder workbooks go to (default exports/ in the working folder)
    CANXIE_EXPORT_PASSWORD  the password of an encrypted export, instead of typing it
    CANXIE_DEBUG            any value: let an unexpected error show its traceback

Each function reads the variable when called rather than at import, so a value set
after start-up (a test's monkeypatch, a wrapper script) still applies.  Imports
nothing from the project: store and excel import this module.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "CANXIE_DB"
EXPORTS_ENV = "CANXIE_EXPORTS"
EXPORT_PASSWORD_ENV = "CANXIE_EXPORT_PASSWORD"
DEBUG_ENV = "CANXIE_DEBUG"

DEFAULT_DB = Path("data") / "canxie.db"
DEFAULT_EXPORTS = Path("exports")


def db_path() -> Path:
    """$CANXIE_DB, else data/canxie.db (an empty value counts as unset)."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def exports_dir() -> Path:
    """$CANXIE_EXPORTS, else exports/ (an empty value counts as unset)."""
    return Path(os.environ.get(EXPORTS_ENV) or DEFAULT_EXPORTS)


def export_password() -> str:
    """$CANXIE_EXPORT_PASSWORD, or "" when the password must be typed."""
    return os.environ.get(EXPORT_PASSWORD_ENV, "")


def debug() -> bool:
    return bool(os.environ.get(DEBUG_ENV))
