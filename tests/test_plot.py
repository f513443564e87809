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
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "your models" in labels and "effective base after scaling" in labels
    for figure, name in ((fig, "zone.png"), (walls_figure(("bf16",)), "walls.svg"),
                         (erasure_figure(5e5, 32, context=1 << 14, windows=8), "erasure.pdf")):
        path = render(figure, tmp_path / name)
        assert path.stat().st_size > 5_000
    assert matplotlib.get_backend() == before


def test_plot_kinds_from_the_command_line(tmp_path: Path) -> None:
    for kind, extra in (("walls", ["--head-dim", "32"]), ("erasure", ["--head-dim", "32"]),
                        ("walls", ["--model", "Llama-3.2-1B"]), ("erasure", ["--model", "Llama-3.2-1B"])):
        out = tmp_path / f"{kind}.png"
        run = subprocess.run([sys.executable, "-m", "verify", "plot", "--out", str(out), "--kind", kind, *extra],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert out.read_bytes()[:4] == b"\x89PNG"
    many = [arg for _ in range(9) for arg in ("--model", "Llama-2-7B")]
    run = subprocess.run([sys.executable, "-m", "verify", "plot", "--out", str(tmp_path / "e.png"), "--kind",
                          "erasure", *many], capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "at most 8 models" in run.stderr


def _crowd() -> list:
    """Twenty user models on a few contexts and bases, so that many points coincide or nearly do."""
    from rope_sym.models import from_hf_config

    models = []
    for k in range(20):
        config = {"hidden_size": 4096, "num_attention_heads": 32 if k % 3 else 64, "num_hidden_layers": 32,
                  "max_position_embeddings": (4096, 8192, 32768, 131072)[k % 4],
                  "rope_theta": (1e4, 5e5, 1e6, 1.1e4, 5.2e5)[k % 5]}
        if k % 4 == 1:
            config["rope_scaling"] = {"type": "linear", "factor": 2.0 + k % 3}
        models.append(from_hf_config(config, name=f"my-model-{k:02d}"))
    return models


def _text_boxes(fig) -> list:
    """(text, window extent) of every visible, non-empty text of a drawn figure: titles, labels, ticks, legend
    entries, the model list and the numbers beside the points (without their leader lines)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    undrawn = set()  # tick labels outside the view limits exist but are not drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo * (1 - 1e-9) <= tick.get_loc() <= hi * (1 + 1e-9):
                    undrawn |= {id(tick.label1), id(tick.label2)}
    return [(t.get_text(), Text.get_window_extent(t, renderer)) for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in undrawn]


def _overlaps(fig) -> list[tuple[str, str]]:
    boxes = _text_boxes(fig)
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:] if box_a.overlaps(box_b)]


def test_no_label_overlaps_another_even_with_many_models():
    from verify.zone_plot import walls_figure, zone_figure

    crowd = _crowd()
    for fig, count in ((zone_figure(("fp32", "bf16"), extra_models=crowd), 46),  # the registry's 26 and 20 of yours
                       (walls_figure(("bf16", "fp16"), models=crowd), 20)):
        assert _overlaps(fig) == []
        width, height = fig.get_size_inches() * fig.dpi
        boxes = _text_boxes(fig)
        assert all(b.x0 >= 0 and b.x1 <= width and b.y0 >= 0 and b.y1 <= height for _, b in boxes)  # none cut off
        numbers = {n.strip() for text, _ in boxes for n in text.split(",") if n.strip().isdigit()}
        labelled = all(str(n) in numbers for n in range(1, count + 1))
    assert labelled or "no room for its label" in " ".join(t for t, _ in boxes)
    assert "(no room" not in " ".join(t for t, _ in _text_boxes(zone_figure(("fp32",))))  # the registry alone


def test_the_overlap_check_sees_an_overlap():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot(1, 1, 1)
    ax.text(0.5, 0.5, "one label")
    ax.text(0.52, 0.5, "another")
    assert _overlaps(fig) == [("one label", "another")]


def test_walls_and_erasure_draw_the_named_models():
    from rope_sym.bounds.models import resolve_model
    from verify.zone_plot import erasure_figure, pair_bands, walls_figure

    models = [resolve_model("Llama-3.2-1B"), resolve_model("Llama-2-7B")]
    walls = walls_figure(("bf16",), models=models)
    texts = " ".join(t for t, _ in _text_boxes(walls))
    assert "Llama-3.2-1B (d = 64)" in texts and "Llama-2-7B (d = 128)" in texts
    erasure = erasure_figure(5e5, 128, models=models, windows=8)
    titles = [ax.get_title() for ax in erasure.axes]
    assert titles[0].startswith("Llama-3.2-1B: its effective spectrum, rotary dim 64, context 131,072")
    assert titles[1].startswith("Llama-2-7B: its effective spectrum, rotary dim 128, context 4,096")
    # pairs in bands, not one line each: at most 7 bands (the never-kept pairs and six more) and the 1/2 line
    for ax in erasure.axes:
        assert len(ax.get_lines()) <= 8
    import numpy as np

    bands = pair_bands(np.array([[0.0, 0.0, 0.3, 0.6, 0.9, 0.95, 1.0, 1.0]]), bands=3)
    assert bands == [(0, 1), (2, 3), (4, 5), (6, 7)]  # contiguous, covering every pair once
