"""``python -m verify``."""

from verify.cli import main

raise SystemExit(main())
