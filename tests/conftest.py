"""Hypothesis profiles: ``ci`` (derandomized, selected when CI is set) and ``dev`` (local default)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=200, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# Output widths are deterministic in tests: the width output has when it goes to no terminal (100), whatever the
# developer's terminal says (readline, once loaded, exports COLUMNS to subprocesses too).
os.environ["COLUMNS"] = "100"
