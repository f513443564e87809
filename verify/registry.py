"""One registry mechanism for checks, subcommands and benchmarks.

Each later issue adds its own module under ``verify/checks``, ``verify/commands`` or ``verify/benches``; the
module registers with a decorator when it is imported, and ``load`` imports every module of the package, so
nothing central needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered item: its name, a one-line description and the object itself."""

    name: str
    description: str
    item: T


class Registry(Generic[T]):
    """Named items in registration order, filled by importing the modules of ``package``."""

    def __init__(self, kind: str, package: str) -> None:
        self.kind = kind
        self.package = package
        self._entries: dict[str, Entry[T]] = {}
        self._loaded = False

    def register(self, name: str, description: str) -> Callable[[T], T]:
        """Decorator: register the decorated object under ``name``."""

        def decorate(item: T) -> T:
            if name in self._entries:
                raise RuntimeError(f"{self.kind} {name!r} registered twice")
            self._entries[name] = Entry(name, description, item)
            return item

        return decorate

    def load(self) -> Registry[T]:
        """Import every module of the package (once), which registers their items."""
        if not self._loaded:
            pkg = importlib.import_module(self.package)
            for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
                if not info.name.startswith("_"):
                    importlib.import_module(f"{self.package}.{info.name}")
            self._loaded = True
        return self

    def __iter__(self) -> Iterator[Entry[T]]:
        return iter(self.load()._entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self.load()._entries

    def __getitem__(self, name: str) -> Entry[T]:
        return self.load()._entries[name]

    def get(self, name: str) -> Entry[T] | None:
        """The entry named ``name``, or ``None``: one lookup where ``in`` then ``[]`` would take two."""
        return self.load()._entries.get(name)

    def names(self) -> list[str]:
        return list(self.load()._entries)
