"""The zone figure renders headless (Agg) to a real PNG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")


def test_plot_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "zone.png"
    run = subprocess.run([sys.executable, "-m", "verify", "plot", "--out", str(out), "--dtype", "fp32",
                          "--dtype", "bf16", "--depth", "16"], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")})
    assert run.returncode == 0, run.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 1000 and height >= 700
    assert len(data) > 50_000  # a drawn figure, not a blank canvas


def test_plot_rejects_unknown_dtype(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "verify", "plot", "--out", str(tmp_path / "z.png"), "--dtype",
                          "fp9"], capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.count("\n") == 1
    assert not (tmp_path / "z.png").exists()
