import sys

from canxie_tui.cli import main

sys.exit(main())
