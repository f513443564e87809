"""Real SIGINTs against ``python -m verify zone ...``, many times and at many delays: every run must end with
one line (``interrupted``) and status 130, or finish (0) before the signal lands; never a traceback.

Usage: ``python tools/sigint_stress.py [N]`` (default 50): N signals right after the launcher loads, N at delays
0..0.1 s, N spread over 1.2 times a whole run. Prints the pass counts and the load average with each.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import test_error_contract as contract


def _series(label: str, delays: list[float]) -> bool:
    failures, statuses = [], []
    for delay in delays:
        status, err = contract._interrupt_after_launcher(delay)
        statuses.append(status)
        try:
            contract._assert_interrupted_cleanly(status, err)
        except AssertionError as exc:
            failures.append((delay, str(exc)[:200]))
    print(f"{label}: {len(delays) - len(failures)}/{len(delays)} clean (130 x{statuses.count(130)}, "
          f"0 x{statuses.count(0)}), load {os.getloadavg()[0]:.2f}")
    for failure in failures[:5]:
        print("  FAILED", failure)
    return not failures


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "verify", *contract.ZONE_ARGS], capture_output=True, timeout=60,
                   check=True)
    life = time.perf_counter() - start
    ok = _series("right after the launcher", [0.0] * n)
    ok &= _series("delays 0..0.1 s", [0.1 * i / n for i in range(n)])
    ok &= _series(f"delays over 1.2 x a run ({life:.2f} s)", [1.2 * life * i / n for i in range(n)])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
