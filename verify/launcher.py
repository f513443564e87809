"""The process entry point (``python -m verify``, ``rope-verify``): a Ctrl-C at any moment after this module's
first line, while the toolkit imports, while it works or as it exits, is one line (``interrupted``) and exit
status 130, never a traceback.

Python's own SIGINT handler raises ``KeyboardInterrupt`` wherever the main thread happens to be: outside a
``try`` it escapes as a traceback, and inside code whose exceptions Python cannot propagate (a weakref callback
such as the import lock's cleanup, a ``__del__``) it is printed as "Exception ignored ... Traceback" and the run
goes on (a loop of real signals found that one). So the first statement here installs a handler that raises
nothing: it writes the line and ends the process at once with ``os._exit`` (what is still buffered on stdout is
dropped: the run was interrupted). A ``KeyboardInterrupt`` raised by code itself still becomes the same line and
status, and the process ends by ``os._exit`` after flushing its output, without finalisation (during which Python
puts the default SIGINT action back).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import NoReturn

from verify.exit_codes import INTERRUPTED


def _exit_interrupted(signum: int, frame: object) -> None:
    """Say so in one line and end the process now, raising nothing (the module docstring says why)."""
    os.write(2, b"interrupted\n")
    os._exit(INTERRUPTED)


signal.signal(signal.SIGINT, _exit_interrupted)  # first: from here to the exit no SIGINT raises anything


def run() -> NoReturn:
    """Import the CLI and run it; exit with its status."""
    try:
        from verify.cli import main

        status = main()
    except KeyboardInterrupt:  # raised by code, not by a signal (the handler raises nothing)
        sys.stderr.write("interrupted\n")
        status = INTERRUPTED
    _exit(status)


def _exit(status: int) -> NoReturn:
    """Flush the output and end the process without the interpreter's finalisation: while Python finalises it
    puts the default SIGINT action back, and a Ctrl-C landing then would kill the process with no word."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # output piped into `head` and closed: nothing to say
            stream.flush()
    os._exit(status)
