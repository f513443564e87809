"""The process entry point (``python -m verify``, ``rope-verify``): a Ctrl-C at any moment after this module's
first line, while the toolkit imports, while it works or as it exits, is one line (``interrupted``) and exit
status 130, never a traceback.

Python's own SIGINT handler raises ``KeyboardInterrupt`` wherever the main thread happens to be, and a ``try``
only covers what runs inside it: between the import of this module and the ``try`` of :func:`run` (and after it)
there is code no handler covers, and while the interpreter finalises it puts the default action back (a Ctrl-C
then kills the process without a word). So the first statement here replaces the handler with one that ends
the process at once; inside ``run``'s ``try`` a handler raises ``KeyboardInterrupt`` once (the work is
interruptible, and the CLI turns it into the same line and status), putting the immediate handler back before
it raises, so no second signal finds Python's own handler; before the ``try`` is left the immediate one is
installed again, and the process ends by ``os._exit`` after flushing its output, without finalisation.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import NoReturn

from verify.exit_codes import INTERRUPTED


def _exit_interrupted(signum: int, frame: object) -> None:
    """Say so in one line and end the process now: nothing outside ``run``'s ``try`` can catch an exception."""
    os.write(2, b"interrupted\n")
    os._exit(INTERRUPTED)


signal.signal(signal.SIGINT, _exit_interrupted)  # first: no window between here and run()'s try


def _interrupt_once(signum: int, frame: object) -> None:
    """Inside ``run``'s ``try``: raise ``KeyboardInterrupt`` (the work unwinds, the CLI says one line), after
    putting the immediate handler back first, so that a second Ctrl-C landing in the ``except`` clause, before
    any statement of it has run, still ends the process cleanly."""
    signal.signal(signal.SIGINT, _exit_interrupted)
    raise KeyboardInterrupt


def run() -> NoReturn:
    """Import the CLI and run it; exit with its status."""
    try:
        from verify.cli import main

        signal.signal(signal.SIGINT, _interrupt_once)
        status = main()
        signal.signal(signal.SIGINT, _exit_interrupted)  # before leaving the try: the exit is covered too
    except KeyboardInterrupt:
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
