"""Subcommands of ``python -m verify`` (``zone``, ``latex``, ``bench``, ...), a module each, registered with
``@command``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from verify.registry import Registry


class UsageError(Exception):
    """Bad command-line input: printed on one line, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line (``verify zone: error: ...``) and exit 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


@dataclass(frozen=True)
class Command:
    """A subcommand: ``configure`` adds its arguments, ``run`` does the work and returns the exit status."""

    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: Registry[Command] = Registry("command", __name__)


def command(name: str, description: str) -> Callable[[Command], Command]:
    """Register a subcommand."""
    return COMMANDS.register(name, description)
