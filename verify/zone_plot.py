"""The figures: the zone (base against context, with models), the derived walls against the paper's, and the
erasure of each pair against position.

Each ``*_figure`` function returns a ``matplotlib.figure.Figure`` built without pyplot, so it never switches the
global backend (a notebook's inline backend stays as it is); ``render`` saves one to a file. Lines and shading
use the exact forms at one rotary dim (128 unless given) and depth; the upper side of each dtype's zone is the
derived code-level wall of the pipeline (``rope_sym.bounds.walls.code_wall_base``), with the paper's wall
``theta_min > eps_mach`` dash-dotted beside it. Models are numbered points (hollow: nominal base, filled:
effective base after scaling) listed beside the plot, so that no label overlaps another.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from rope_sym.bounds.closed_forms import (
    DEFAULT_EPS,
    aliasing_base,
    dc_stability_base,
    depth_base,
    eps_mach_of,
    precision_wall_base,
)
from rope_sym.bounds.models import effective_spectrum, judged_context
from rope_sym.bounds.walls import code_wall_base
from rope_sym.models.hf_config import ModelRope
from rope_sym.models.registry import MODELS, get_model

_DTYPE_COLOURS = {"fp64": "#9ecae1", "fp32": "#a1d99b", "bf16": "#fdae6b", "fp16": "#fcbba1"}


def _figure(width: float = 13.0, height: float = 8.5) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110)


def derived_wall_curve(contexts: np.ndarray, rotary_dim: int, dtype: str, pipeline: str) -> np.ndarray:
    """The code-level wall base at each context (NaN where positions merge, 1e12 where unbounded), from the law
    at 48 contexts, interpolated in log-log."""
    coarse = np.logspace(np.log10(contexts[0]), np.log10(contexts[-1]), 48)
    walls = []
    for c in coarse:
        w = code_wall_base(float(c), rotary_dim, dtype, pipeline)
        walls.append(np.nan if w is None else min(w, 1e12))
    logs = np.interp(np.log10(contexts), np.log10(coarse), np.log10(np.array(walls)))
    return np.asarray(10.0 ** logs)


def zone_figure(dtypes: Sequence[str] = ("fp32", "bf16"), depth: int = 32, eps: float = DEFAULT_EPS,
                rotary_dim: int = 128, pipeline: str = "hf", models: Sequence[ModelRope] | None = None,
                extra_models: Sequence[ModelRope] = ()) -> Any:
    """The zone figure: bounds, the feasible region per dtype, and the models (default: the registry) plus
    ``extra_models`` (the user's own, drawn in red) at the context each is judged at."""
    from matplotlib.lines import Line2D

    contexts = np.logspace(3, 7.3, 200)
    alias = np.array([aliasing_base(c, rotary_dim) for c in contexts])
    dc = np.array([dc_stability_base(c, rotary_dim, eps) for c in contexts])
    deep = np.array([depth_base(c, rotary_dim, eps, depth) for c in contexts])
    fig = _figure(15.5, 8.5)
    ax = fig.add_axes((0.06, 0.08, 0.66, 0.82))
    for dtype in dtypes:
        colour = _DTYPE_COLOURS.get(dtype, "#999999")
        wall = derived_wall_curve(contexts, rotary_dim, dtype, pipeline)
        inside = np.isfinite(wall) & (deep < wall)
        empty = "" if np.any(inside) else ", empty here"
        ax.fill_between(contexts, deep, np.where(np.isfinite(wall), wall, deep), where=inside, color=colour,
                        alpha=0.45, label=f"feasible zone, {dtype} {pipeline} (below the derived wall{empty})")
        ax.plot(contexts, wall, color=colour, lw=1.6, ls="-")
        paper = precision_wall_base(eps_mach_of(dtype), rotary_dim)
        ax.axhline(paper, color=colour, lw=1.0, ls="-.", label=f"paper's wall, {dtype}: base < {paper:.3g}")
    ax.plot(contexts, alias, color="#636363", lw=1.2, ls=":", label="aliasing bound  L theta_min < 2 pi")
    ax.plot(contexts, dc, color="#3182bd", lw=1.4, ls="--", label=f"DC-stability bound  cos(L theta_min) >= {eps}")
    ax.plot(contexts, deep, color="#de2d26", lw=1.8, label=f"depth bound  cos(L theta_min)^N >= {eps}, N = {depth}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # registry warnings are reported by `verify models`
        registry = [get_model(name) for name in MODELS] if models is None else list(models)
    listed: list[str] = []
    for number, (model, mine) in enumerate([(m, False) for m in registry] + [(m, True) for m in extra_models], 1):
        context, _ = judged_context(model)
        _, _, base_eff = effective_spectrum(model, context)
        x, y0 = context, model.rope.base
        moved = abs(np.log10(base_eff / y0)) > 1e-6
        colour = "#cb181d" if mine else ("#08306b" if moved else "#252525")
        if moved:
            ax.scatter([x], [y0], s=28, facecolors="none", edgecolors=colour, zorder=3)
            ax.annotate("", xy=(x, base_eff), xytext=(x, y0),
                        arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.0}, zorder=3)
        ax.scatter([x], [base_eff], s=40 if mine else 30, color=colour, zorder=4)
        # the model's own depth bound (its rotary dim and depth, at its context): a tick under or over the point
        own = depth_base(context, model.rope.rotary_dim, eps, model.depth or 1)
        ax.plot([x / 1.12, x * 1.12], [own, own], color=colour, lw=2.2, solid_capstyle="butt", zorder=3)
        ax.annotate(str(number), (x, base_eff), xytext=(4, 3), textcoords="offset points", fontsize=7,
                    color=colour)
        listed.append(f"{number:2d}  {model.name}{' (yours)' if mine else ''}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(contexts[0], contexts[-1])
    ax.set_ylim(50, 1e9)
    ax.set_xlabel("context L (tokens): each model at the context it is judged at")
    ax.set_ylabel("RoPE base (effective base for scaled models)")
    ax.set_title(f"RoPE Goldilocks zone: exact bounds at rotary dim {rotary_dim}, depth N = {depth}, eps = {eps}; "
                 f"{', '.join(dtypes)} ({pipeline} pipeline)", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    markers = [Line2D([], [], marker="o", ls="", color="#252525", label="model (base unscaled)"),
               Line2D([], [], ls="-", lw=2.2, color="#252525", label="tick: the model's own depth bound (its d, N)"),
               Line2D([], [], marker="o", ls="", mfc="none", color="#08306b", label="nominal base (scaled model)"),
               Line2D([], [], marker="o", ls="", color="#08306b", label="effective base after scaling")]
    if extra_models:
        markers.append(Line2D([], [], marker="o", ls="", color="#cb181d", label="your models"))
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=[*handles, *markers], loc="upper left", fontsize=8, framealpha=0.9)
    fig.text(0.74, 0.9, "models", fontsize=9, weight="bold", va="top")
    fig.text(0.74, 0.87, "\n".join(listed), fontsize=7.5, va="top", family="monospace")
    return fig


def walls_figure(dtypes: Sequence[str] = ("fp32", "bf16", "fp16"), rotary_dim: int = 128,
                 pipeline: str = "hf") -> Any:
    """The derived code-level wall against the paper's wall, per dtype, over context."""
    contexts = np.logspace(2, 7.3, 160)
    fig = _figure(11, 7)
    ax = fig.add_subplot(1, 1, 1)
    for dtype in dtypes:
        colour = _DTYPE_COLOURS.get(dtype, "#999999")
        ax.plot(contexts, derived_wall_curve(contexts, rotary_dim, dtype, pipeline), color=colour, lw=2,
                label=f"{dtype}: derived wall (largest base keeping every pair resolved)")
        ax.axhline(precision_wall_base(eps_mach_of(dtype), rotary_dim), color=colour, lw=1.2, ls="-.",
                   label=f"{dtype}: paper's wall theta_min > eps_mach")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(10, 2e12)
    ax.set_xlabel("context L (tokens)")
    ax.set_ylabel("largest base")
    ax.set_title(f"Derived walls against the paper's (rotary dim {rotary_dim}, {pipeline} pipeline; the derived "
                 "curve is capped at 1e12 where nothing is erased)", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig


def erasure_figure(base: float, head_dim: int, dtype: str = "bf16", pipeline: str = "hf", context: int = 1 << 20,
                   windows: int = 40) -> Any:
    """Per pair, the fraction of unchanged one-token steps over windows of positions (the cast law), against the
    window's start: slow pairs are resolved near position 0 and erased far out."""
    from rope_sym.erasure.laws import cast_fraction
    from rope_sym.pipelines import inv_freq, pipeline_formats
    from rope_sym.spectrum.spec import RopeSpec

    spec = RopeSpec(head_dim, base)
    theta = inv_freq(spec, dtype, pipeline)
    store = pipeline_formats(dtype, pipeline).store
    edges = np.unique(np.geomspace(16, context, windows + 1).astype(int))
    edges = edges[np.concatenate([[True], np.diff(edges) >= 2])]  # every window holds at least one step
    fig = _figure(11, 7)
    ax = fig.add_subplot(1, 1, 1)
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LogNorm

    norm = LogNorm(vmin=float(theta.min()), vmax=float(theta.max()))
    colours = colormaps["viridis"]
    starts = edges[:-1]
    fractions = np.array([cast_fraction(theta, store, int(a), int(b)) for a, b in pairwise(edges)])
    for i in range(theta.size):
        ax.plot(starts, fractions[:, i], color=colours(norm(theta[i])), lw=1.0)
    ax.axhline(0.5, color="#444444", lw=1, ls="--", label="erased above 1/2")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("window start (positions; windows are geometric)")
    ax.set_ylabel("fraction of one-token steps that keep the pair's code")
    ax.set_title(f"Erasure against position: base {base:g}, head dim {head_dim}, {dtype} {pipeline} (cast law)",
                 fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.colorbar(ScalarMappable(norm=norm, cmap=colours), ax=ax, label="pair frequency theta_i")
    return fig


def render(fig: Any, out: str | Path) -> Path:
    """Save a figure (PNG, SVG or PDF by suffix)."""
    path = Path(out)
    fig.savefig(path)
    return path


def render_zone_plot(out: str | Path, dtypes: tuple[str, ...] = ("fp32", "bf16"), depth: int = 32,
                     eps: float = DEFAULT_EPS, rotary_dim: int = 128, pipeline: str = "hf",
                     extra_models: Sequence[ModelRope] = ()) -> Path:
    """Draw the zone figure to ``out``; returns the path."""
    return render(zone_figure(dtypes, depth, eps, rotary_dim, pipeline, extra_models=extra_models), out)
