"""``python -m verify``."""

from verify.launcher import run

run()
