"""The process entry point (``python -m verify``, ``rope-verify``): a Ctrl-C while the toolkit imports is the
same one line and exit status 130 as a Ctrl-C during the work, not a traceback."""

from __future__ import annotations

import sys
from typing import NoReturn

INTERRUPTED = 130  # 128 + SIGINT, the shell's convention


def run() -> NoReturn:
    """Import the CLI and run it; exit with its status."""
    try:
        from verify.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(INTERRUPTED) from None
    raise SystemExit(main())
