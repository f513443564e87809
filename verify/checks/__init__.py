"""Checks run by ``python -m verify``: a module per topic, each registering with ``@check``."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from verify.registry import Registry


class Status(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIPPED = "SKIPPED"


@dataclass
class Outcome:
    """What a check returns: a status, a one-line headline (its key figure) and the figures it measured."""

    status: Status
    headline: str
    figures: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def judge(cls, ok: bool, headline: str, **figures: Any) -> Outcome:
        """PASS if ``ok`` else FAIL."""
        return cls(Status.PASS if ok else Status.FAIL, headline, figures)

    @classmethod
    def skipped(cls, reason: str, **figures: Any) -> Outcome:
        """SKIPPED, with the reason as headline (a check that cannot run never reports PASS)."""
        return cls(Status.SKIPPED, reason, figures)


@dataclass(frozen=True)
class CheckOptions:
    """Options every check receives: ``full`` selects the large grid; ``progress`` draws progress bars."""

    full: bool = False
    progress: bool = False


@dataclass
class CheckResult:
    name: str
    status: Status
    headline: str
    figures: dict[str, Any]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status.value, "headline": self.headline,
                "figures": self.figures, "seconds": round(self.seconds, 3)}


CheckFunction = Callable[[CheckOptions], Outcome]
CHECKS: Registry[CheckFunction] = Registry("check", __name__)


def check(name: str, description: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check: ``@check("formats-rounding", "round_to agrees with the gmpy2 oracle bit for bit")``."""
    return CHECKS.register(name, description)


def run_check(name: str, options: CheckOptions) -> CheckResult:
    """Run one check, timing it; an exception inside a check is a FAIL that carries the error."""
    entry = CHECKS[name]
    start = time.perf_counter()
    try:
        outcome = entry.item(options)
    except Exception as exc:  # a crash is a failed check, reported with its cause
        outcome = Outcome(Status.FAIL, f"error: {type(exc).__name__}: {exc}",
                          {"traceback": traceback.format_exc()})
    return CheckResult(name, outcome.status, outcome.headline, outcome.figures, time.perf_counter() - start)
