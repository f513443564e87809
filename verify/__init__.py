"""verify: checks every derived result against ground truth (``python -m verify all``).

Public API: the check, command and benchmark registries, and ``main`` (the CLI).
"""

from verify.benches import BENCHES, BenchOptions, BenchResult, benchmark
from verify.checks import CHECKS, CheckOptions, CheckResult, Outcome, Status, check, run_check
from verify.cli import main
from verify.commands import COMMANDS, Command, OneLineParser, UsageError, command

__all__ = [
    "BENCHES", "BenchOptions", "BenchResult", "CHECKS", "COMMANDS", "CheckOptions", "CheckResult", "Command",
    "OneLineParser", "Outcome", "Status", "UsageError", "benchmark", "check", "command", "main", "run_check",
]
