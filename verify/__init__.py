"""verify: checks every derived result against ground truth (``python -m verify all``).

Public API: the check, command and benchmark registries, ``main`` (the CLI), and the output conventions of
``verify.report`` (``Document``, ``format_table``, ``add_format_argument``, ``emit_json``, ``show``). The names
load on first use (PEP 562), and this module imports nothing itself, so that ``python -m verify`` catches a Ctrl-C
from the first moment any of its code runs.
"""

from __future__ import annotations

_HOMES = {
    "BENCHES": "verify.benches", "BenchOptions": "verify.benches", "BenchResult": "verify.benches",
    "benchmark": "verify.benches", "CHECKS": "verify.checks", "CheckOptions": "verify.checks",
    "CheckResult": "verify.checks", "Outcome": "verify.checks", "Status": "verify.checks", "check": "verify.checks",
    "run_check": "verify.checks", "main": "verify.cli", "COMMANDS": "verify.commands", "Command": "verify.commands",
    "OneLineParser": "verify.commands", "UsageError": "verify.commands", "command": "verify.commands",
    "Document": "verify.report", "Shown": "verify.report", "add_format_argument": "verify.report",
    "emit_json": "verify.report", "format_table": "verify.report", "show": "verify.report",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'verify' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
