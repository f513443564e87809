"""The zone figure: base (log) against context (log), feasible region per dtype, lower bounds, registry models.

Lines and shading use the exact forms at one rotary dim (128 unless given) and depth. The upper side of each
dtype's zone is the derived code-level wall of the pipeline (``rope_sym.bounds.walls.code_wall_base``: the
largest base whose slowest pair keeps single-token resolution over the context); the paper's wall
``theta_min > eps_mach`` is drawn dash-dotted beside it. Each model is drawn at its own context, at its nominal
base (hollow) and effective base (filled) joined by an arrow when scaling moves it. matplotlib is imported here
only, with the Agg backend (no display needed).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from rope_sym.bounds.closed_forms import (
    DEFAULT_EPS,
    aliasing_base,
    dc_stability_base,
    depth_base,
    eps_mach_of,
    precision_wall_base,
)
from rope_sym.bounds.models import effective_spectrum
from rope_sym.bounds.walls import code_wall_base
from rope_sym.models.registry import MODELS, get_model

_DTYPE_COLOURS = {"fp64": "#9ecae1", "fp32": "#a1d99b", "bf16": "#fdae6b", "fp16": "#fcbba1"}


def derived_wall_curve(contexts: np.ndarray, rotary_dim: int, dtype: str, pipeline: str) -> np.ndarray:
    """The code-level wall base at each context (NaN where positions merge, the plot's top where unbounded),
    from the law at 48 contexts, interpolated in log-log."""
    coarse = np.logspace(np.log10(contexts[0]), np.log10(contexts[-1]), 48)
    walls = []
    for c in coarse:
        w = code_wall_base(float(c), rotary_dim, dtype, pipeline)
        walls.append(np.nan if w is None else min(w, 1e12))
    logs = np.interp(np.log10(contexts), np.log10(coarse), np.log10(np.array(walls)))
    return np.asarray(10.0 ** logs)


def render_zone_plot(out: str | Path, dtypes: tuple[str, ...] = ("fp32", "bf16"), depth: int = 32,
                     eps: float = DEFAULT_EPS, rotary_dim: int = 128, pipeline: str = "hf") -> Path:
    """Draw the figure to ``out`` (PNG or any format matplotlib infers from the suffix); returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    contexts = np.logspace(3, 7.3, 200)
    alias = np.array([aliasing_base(c, rotary_dim) for c in contexts])
    dc = np.array([dc_stability_base(c, rotary_dim, eps) for c in contexts])
    deep = np.array([depth_base(c, rotary_dim, eps, depth) for c in contexts])
    fig, ax = plt.subplots(figsize=(13, 8.5), dpi=110)
    for dtype in dtypes:
        colour = _DTYPE_COLOURS.get(dtype, "#999999")
        wall = derived_wall_curve(contexts, rotary_dim, dtype, pipeline)
        inside = np.isfinite(wall) & (deep < wall)
        empty = "" if np.any(inside) else ", empty here"
        ax.fill_between(contexts, deep, np.where(np.isfinite(wall), wall, deep), where=inside, color=colour,
                        alpha=0.45, label=f"feasible zone, {dtype} {pipeline} (below the derived code-level wall"
                                          f"{empty})")
        ax.plot(contexts, wall, color=colour, lw=1.6, ls="-")
        paper = precision_wall_base(eps_mach_of(dtype), rotary_dim)
        ax.axhline(paper, color=colour, lw=1.0, ls="-.", label=f"paper's wall, {dtype}: base < {paper:.3g}")
    ax.plot(contexts, alias, color="#636363", lw=1.2, ls=":", label="aliasing bound  L theta_min < 2 pi")
    ax.plot(contexts, dc, color="#3182bd", lw=1.4, ls="--", label=f"DC-stability bound  cos(L theta_min) >= {eps}")
    ax.plot(contexts, deep, color="#de2d26", lw=1.8, label=f"depth bound  cos(L theta_min)^N >= {eps}, N = {depth}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # registry warnings are reported by `verify models`
        models = [get_model(name) for name in MODELS]
    points: dict[tuple[float, float], list[str]] = {}
    for model in models:
        assert model.context is not None
        _, _, base_eff = effective_spectrum(model, model.context)
        x, y0 = model.context, model.rope.base
        moved = abs(np.log10(base_eff / y0)) > 1e-6
        if moved:
            ax.scatter([x], [y0], s=28, facecolors="none", edgecolors="#555555", zorder=3)
            ax.annotate("", xy=(x, base_eff), xytext=(x, y0),
                        arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 1.0}, zorder=3)
        ax.scatter([x], [base_eff], s=34, color="#08306b" if moved else "#252525", zorder=4)
        key = (round(float(np.log10(x)) / 0.04) * 0.04, round(float(np.log10(base_eff)) / 0.04) * 0.04)
        points.setdefault(key, []).append(model.name + ("*" if moved else ""))
    # one label per cluster of coincident points; labels sharing a context column alternate right and left
    # and labels sharing a base row alternate above and below
    column_count: dict[int, int] = {}
    row_count: dict[int, int] = {}
    for (lx, ly), names in sorted(points.items(), key=lambda item: (item[0][0], -item[0][1])):
        column, row = round(lx / 0.12), round(ly / 0.25)
        k, r = column_count.get(column, 0), row_count.get(row, 0)
        column_count[column], row_count[row] = k + 1, r + 1
        left = (k % 2 == 1) or lx > 6.6
        ax.annotate(", ".join(names), (10 ** lx, 10 ** ly), xytext=(-6 if left else 6, 0 if r == 0 else
                                                                      (8 if r % 2 else -8)),
                    textcoords="offset points", fontsize=7.5, ha="right" if left else "left", va="center",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(contexts[0], contexts[-1])
    ax.set_ylim(50, 1e9)
    ax.set_xlabel("context L (tokens)")
    ax.set_ylabel("RoPE base (effective base for scaled models)")
    ax.set_title(f"RoPE Goldilocks zone: exact bounds at rotary dim {rotary_dim}, depth N = {depth}, eps = {eps}; "
                 f"shaded per activation dtype ({', '.join(dtypes)}, {pipeline} pipeline)\nmodels at their own "
                 f"context: hollow = nominal base, filled = effective base after scaling (arrow, name*)", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8.5, framealpha=0.9)
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path)
    plt.close(fig)
    return path
