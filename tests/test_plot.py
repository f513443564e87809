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


def test_figures_come_back_as_figures_without_switching_the_backend(tmp_path: Path) -> None:
    import matplotlib

    from rope_sym.models import from_hf_config
    from verify.zone_plot import erasure_figure, render, walls_figure, zone_figure

    before = matplotlib.get_backend()
    mine = from_hf_config({"hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 4096,
                           "num_hidden_layers": 32, "rope_theta": 1e4, "rope_scaling": {"type": "linear",
                                                                                        "factor": 4.0}},
                          name="my-vicuna-16k")
    fig = zone_figure(("fp32",), extra_models=[mine])
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "my-vicuna-16k (yours)" in texts and "Llama-2-7B" in texts  # listed, not scattered as labels
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "your models" in labels and "effective base after scaling" in labels
    for figure, name in ((fig, "zone.png"), (walls_figure(("bf16",)), "walls.svg"),
                         (erasure_figure(5e5, 32, context=1 << 14, windows=8), "erasure.pdf")):
        path = render(figure, tmp_path / name)
        assert path.stat().st_size > 5_000
    assert matplotlib.get_backend() == before


def test_plot_kinds_from_the_command_line(tmp_path: Path) -> None:
    for kind in ("walls", "erasure"):
        out = tmp_path / f"{kind}.png"
        run = subprocess.run([sys.executable, "-m", "verify", "plot", "--out", str(out), "--kind", kind,
                              "--head-dim", "32"], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert out.read_bytes()[:4] == b"\x89PNG"
