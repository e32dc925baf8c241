"""The `canxie` command: the TUI by default, and the same jobs without it.

Every failure a user can cause ends in one Chinese line on stderr and a
non-zero exit; a traceback never reaches them.  `cli.app` builds the parser
from one module per command group; `cli.common` is what they share.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    # Imported here so that importing a command module does not load every other one.
    from canxie_tui.cli.app import main as run

    return run(argv)
