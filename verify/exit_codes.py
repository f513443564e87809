"""The exit statuses of ``python -m verify``, in one place (the CLI and the launcher both use them)."""

OK = 0
FAILED = 1  # a check failed, or ``--strict`` found a setting outside the zone
USAGE = 2  # a user error: one line on stderr, no traceback
INTERRUPTED = 130  # 128 + SIGINT, the shell's convention
