"""The figures: the zone (base against context, with models), the derived walls against the paper's (with the
named models at their own walls), and the erasure of the pairs against position (in bands of pairs).

Each ``*_figure`` function returns a ``matplotlib.figure.Figure`` built without pyplot, so it never switches the
global backend (a notebook's inline backend stays as it is); ``render`` saves one to a file. Lines and shading
use the exact forms at one rotary dim (128 unless given) and depth; the upper side of each dtype's zone is the
derived code-level wall of the pipeline (``rope_sym.bounds.walls.code_wall_base``), with the paper's wall
``theta_min > eps_mach`` dash-dotted beside it. Models are numbered points (hollow: nominal base, filled:
effective base after scaling) listed beside the plot with the legend; ``place_labels`` puts each number where its
text overlaps no other label, point, tick or arrow (measured with the renderer), so that no label overlaps another.
"""

from __future__ import annotations

import math
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
    precision_base,
)
from rope_sym.bounds.models import judged_context, slowest_pair
from rope_sym.bounds.walls import code_wall_base
from rope_sym.models.hf_config import ModelRope
from rope_sym.models.registry import MODELS, get_model

_DTYPE_COLOURS = {"fp64": "#9ecae1", "fp32": "#a1d99b", "bf16": "#fdae6b", "fp16": "#fcbba1"}  # zone fills
_DTYPE_LINES = {"fp64": "#3182bd", "fp32": "#31a354", "bf16": "#e6550d", "fp16": "#756bb1"}  # curves
_MODEL_COLOUR, _SCALED_COLOUR, _YOURS_COLOUR = "#252525", "#08306b", "#cb181d"
LABEL_SIZE = 7.0  # points: model numbers beside their points


def _figure(width: float = 13.0, height: float = 8.5) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110)


def _renderer(fig: Any) -> Any:
    """The figure's renderer, for text extents (an Agg canvas is attached when the figure has none)."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def _offsets() -> list[tuple[float, float]]:
    """Label offsets from a point (points): beside it first, then rings further out in 16 directions."""
    near = [(4.0, 3.0), (4.0, -3.0), (-4.0, 3.0), (-4.0, -3.0), (0.0, 6.0), (0.0, -6.0)]
    rings = [(r * math.cos(a), r * math.sin(a)) for r in (14.0, 24.0, 36.0, 52.0, 72.0)
             for a in np.linspace(0, 2 * math.pi, 16, endpoint=False)]
    return near + rings


def place_labels(ax: Any, points: Sequence[tuple[float, float, str, str]], fontsize: float = LABEL_SIZE,
                 obstacles: Sequence[tuple[float, float, float, float]] = ()) -> list[str]:
    """Write each ``(x, y, text, colour)`` label beside its point (data coordinates) where it overlaps no other
    label, no point and none of the ``obstacles`` (data-space extents ``(x0, y0, x1, y1)``: ticks, arrows,
    hollow markers), inside the axes; labels away from their point get a thin leader line. Points that coincide
    on screen share one label ("3, 27"). Returns the texts of the points whose label found no free place (the
    caller says so in its list)."""
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    renderer = _renderer(ax.figure)
    area = ax.get_window_extent(renderer)
    screen = [tuple(ax.transData.transform((x, y))) for x, y, _, _ in points]
    groups: list[list[int]] = []
    for i, (px, py) in enumerate(screen):  # coinciding points (within 4 pixels): one label
        home = next((g for g in groups if abs(screen[g[0]][0] - px) < 4 and abs(screen[g[0]][1] - py) < 4), None)
        if home is None:
            groups.append([i])
        else:
            home.append(i)
    taken = [Bbox.from_bounds(px - 3.5, py - 3.5, 7, 7) for px, py in screen]  # the markers themselves
    for x0, y0, x1, y1 in obstacles:
        (sx0, sy0), (sx1, sy1) = ax.transData.transform([(x0, y0), (x1, y1)])
        taken.append(Bbox.from_extents(min(sx0, sx1) - 2, min(sy0, sy1) - 2, max(sx0, sx1) + 2, max(sy0, sy1) + 2))
    unplaced: list[str] = []
    for group in groups:
        x, y, _, colour = points[group[0]]
        text = ", ".join(points[i][2] for i in group)
        mine = {id(taken[i]) for i in group}  # a label may touch its own markers' boxes, not their neighbours'
        for dx, dy in _offsets():
            far = math.hypot(dx, dy) > 10
            label = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                                color=colour, ha="left" if dx > 0.5 else "right" if dx < -0.5 else "center",
                                va="bottom" if dy > 0.5 else "top" if dy < -0.5 else "center",
                                annotation_clip=False, zorder=5,
                                arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.5, "shrinkA": 0,
                                            "shrinkB": 3} if far else None)
            label.update_positions(renderer)
            box = Text.get_window_extent(label, renderer).padded(1.5)  # the text alone, not its leader line
            inside = area.x0 <= box.x0 and box.x1 <= area.x1 and area.y0 <= box.y0 and box.y1 <= area.y1
            if inside and not any(box.overlaps(t) for t in taken if id(t) not in mine):
                taken.append(box)
                break
            label.remove()
        else:
            unplaced += [points[i][2] for i in group]
    return unplaced


def _side_column(fig: Any, left: float, top: float, title: str, lines: Sequence[str], bottom: float = 0.03,
                 fontsize: float = 7.5) -> None:
    """A titled list in monospace from ``(left, top)`` (figure fraction) downwards, in as many columns as its
    length needs to end above ``bottom``, at a smaller size if the columns would not fit the figure's width."""
    fig.text(left, top, title, fontsize=fontsize + 1.5, weight="bold", va="top")
    width_px, height_px = fig.get_size_inches() * fig.dpi
    while True:
        line = fontsize * 1.25 / 72 * fig.dpi / height_px  # one line, in figure fraction
        rows = max(1, int((top - 0.03 - bottom) / line))
        columns = [lines[k:k + rows] for k in range(0, len(lines), rows)] or [[]]
        col_width = (max((len(t) for t in lines), default=1) + 2) * 0.6 * fontsize / 72 * fig.dpi / width_px
        if left + col_width * len(columns) <= 0.995 or fontsize <= 4:
            break
        fontsize -= 0.5
    for k, column in enumerate(columns):
        fig.text(left + k * col_width, top - 0.03, "\n".join(column), fontsize=fontsize, va="top",
                 family="monospace", linespacing=1.25)


def _model_points(models: Sequence[tuple[ModelRope, bool]]) -> list[dict[str, Any]]:
    """Each model at the context it is judged at: nominal and effective base, rotary dim, depth, colour."""
    out = []
    for number, (model, mine) in enumerate(models, 1):
        context, _ = judged_context(model)
        _, _, base_eff = slowest_pair(model, context)
        moved = abs(np.log10(base_eff / model.rope.base)) > 1e-6
        colour = _YOURS_COLOUR if mine else (_SCALED_COLOUR if moved else _MODEL_COLOUR)
        out.append({"number": number, "model": model, "mine": mine, "context": float(context),
                    "base": model.rope.base, "base_eff": base_eff, "moved": moved, "colour": colour,
                    "rotary_dim": model.rope.rotary_dim})
    return out


def _registry_and(extra_models: Sequence[ModelRope],
                  models: Sequence[ModelRope] | None) -> list[tuple[ModelRope, bool]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # registry warnings are reported by `verify models`
        registry = [get_model(name) for name in MODELS] if models is None else list(models)
    return [(m, False) for m in registry] + [(m, True) for m in extra_models]


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
    ``extra_models`` (the user's own, drawn in red) at the context each is judged at. Legend and the numbered
    list of models sit beside the axes; the numbers are placed so that no label overlaps another."""
    from matplotlib.lines import Line2D

    contexts = np.logspace(3, 7.3, 200)
    alias = np.array([aliasing_base(c, rotary_dim) for c in contexts])
    dc = np.array([dc_stability_base(c, rotary_dim, eps) for c in contexts])
    deep = np.array([depth_base(c, rotary_dim, eps, depth) for c in contexts])
    fig = _figure(15.5, 9.0)
    ax = fig.add_axes((0.06, 0.07, 0.6, 0.86))
    for dtype in dtypes:
        colour = _DTYPE_COLOURS.get(dtype, "#999999")
        wall = derived_wall_curve(contexts, rotary_dim, dtype, pipeline)
        inside = np.isfinite(wall) & (deep < wall)
        empty = "" if np.any(inside) else ", empty here"
        ax.fill_between(contexts, deep, np.where(np.isfinite(wall), wall, deep), where=inside, color=colour,
                        alpha=0.45, label=f"feasible zone, {dtype} {pipeline} (below the derived wall{empty})")
        ax.plot(contexts, wall, color=_DTYPE_LINES.get(dtype, "#777777"), lw=1.4, ls="-",
                label=f"derived wall, {dtype} {pipeline}")
        paper = precision_base(eps_mach_of(dtype), rotary_dim)
        ax.axhline(paper, color=_DTYPE_LINES.get(dtype, "#777777"), lw=1.0, ls="-.",
                   label=f"paper's wall, {dtype}: base < {paper:.3g}")
    ax.plot(contexts, alias, color="#636363", lw=1.2, ls=":", label="aliasing bound  L theta_min < 2 pi")
    ax.plot(contexts, dc, color="#3182bd", lw=1.4, ls="--", label=f"DC-stability bound  cos(L theta_min) >= {eps}")
    ax.plot(contexts, deep, color="#de2d26", lw=1.8, label=f"depth bound  cos(L theta_min)^N >= {eps}, N = {depth}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(contexts[0], contexts[-1])
    ax.set_ylim(50, 1e9)
    points = _model_points(_registry_and(extra_models, models))
    ticks = []
    for p in points:
        x, colour = p["context"], p["colour"]
        if p["moved"]:
            ax.scatter([x], [p["base"]], s=28, facecolors="none", edgecolors=colour, zorder=3)
            ax.annotate("", xy=(x, p["base_eff"]), xytext=(x, p["base"]),
                        arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.0}, zorder=3)
        ax.scatter([x], [p["base_eff"]], s=40 if p["mine"] else 30, color=colour, zorder=4)
        # the model's own depth bound (its rotary dim and depth, at its context): a tick under or over the point
        own = depth_base(x, p["rotary_dim"], eps, p["model"].depth or 1)
        ax.plot([x / 1.12, x * 1.12], [own, own], color=colour, lw=2.2, solid_capstyle="butt", zorder=3)
        ticks.append((x / 1.12, own, x * 1.12, own))
        if p["moved"]:  # the hollow marker and the arrow up to the effective base
            ticks.append((x, p["base"], x, p["base_eff"]))
    unplaced = place_labels(ax, [(p["context"], p["base_eff"], str(p["number"]), p["colour"]) for p in points],
                            obstacles=ticks)
    ax.set_xlabel("context L (tokens): each model at the context it is judged at")
    ax.set_ylabel("RoPE base (effective base for scaled models)")
    ax.set_title(f"RoPE Goldilocks zone: exact bounds at rotary dim {rotary_dim}, depth N = {depth}, eps = {eps}; "
                 f"{', '.join(dtypes)} ({pipeline} pipeline)", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    markers = [
        Line2D([], [], marker="o", ls="", color=_MODEL_COLOUR, label="model (base unscaled)"),
        Line2D([], [], ls="-", lw=2.2, color=_MODEL_COLOUR, label="tick: the model's own depth bound (its d, N)"),
        Line2D([], [], marker="o", ls="", mfc="none", color=_SCALED_COLOUR, label="nominal base (scaled model)"),
        Line2D([], [], marker="o", ls="", color=_SCALED_COLOUR, label="effective base after scaling")]
    if extra_models:
        markers.append(Line2D([], [], marker="o", ls="", color=_YOURS_COLOUR, label="your models"))
    handles, _ = ax.get_legend_handles_labels()
    legend = fig.legend(handles=[*handles, *markers], loc="upper left", bbox_to_anchor=(0.675, 0.935), fontsize=8,
                        framealpha=0.9)
    legend_bottom = legend.get_window_extent(_renderer(fig)).y0 / (fig.get_size_inches()[1] * fig.dpi)
    listed = [f"{p['number']:2d}  {p['model'].name}{' (yours)' if p['mine'] else ''}"
              f"{' (no room for its label)' if str(p['number']) in unplaced else ''}" for p in points]
    _side_column(fig, 0.675, legend_bottom - 0.02, "models", listed)
    return fig


def walls_figure(dtypes: Sequence[str] = ("fp32", "bf16", "fp16"), rotary_dim: int = 128,
                 pipeline: str = "hf", models: Sequence[ModelRope] = ()) -> Any:
    """The derived code-level wall against the paper's wall, per dtype, over context (at ``rotary_dim``). With
    ``models``: each model at (the context it is judged at, its effective base), numbered and listed beside the
    axes, with a tick per dtype at its own derived wall (``code_wall_base`` at its rotary dim and context): a
    model below its tick keeps every pair resolved in that dtype."""
    from matplotlib import patheffects
    from matplotlib.lines import Line2D

    contexts = np.logspace(2, 7.3, 160)
    fig = _figure(13, 7.5)
    ax = fig.add_axes((0.075, 0.09, 0.62, 0.8))
    for dtype in dtypes:
        colour = _DTYPE_LINES.get(dtype, "#777777")
        ax.plot(contexts, derived_wall_curve(contexts, rotary_dim, dtype, pipeline), color=colour, lw=2,
                alpha=0.45 if models else 1.0, label=f"{dtype}: derived wall")
        ax.axhline(precision_base(eps_mach_of(dtype), rotary_dim), color=colour, lw=1.0, ls="-.", alpha=0.8,
                   label=f"{dtype}: paper's wall")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(contexts[0], contexts[-1])
    ax.set_ylim(10, 2e12)
    points = _model_points([(m, True) for m in models]) if models else []
    ticks = []
    for p in points:
        x = p["context"]
        for dtype in dtypes:
            wall = code_wall_base(x, p["rotary_dim"], dtype, pipeline)
            if wall is not None:
                y = min(wall, 1e12)
                ax.plot([x / 1.15, x * 1.15], [y, y], color=_DTYPE_LINES.get(dtype, "#777777"), lw=3,
                        solid_capstyle="butt", zorder=3,
                        path_effects=[patheffects.withStroke(linewidth=5, foreground="#111111")])
                ticks.append((x / 1.15, y, x * 1.15, y))
        ax.scatter([x], [p["base_eff"]], s=34, color=_YOURS_COLOUR, zorder=4)
    unplaced = place_labels(ax, [(p["context"], p["base_eff"], str(p["number"]), _YOURS_COLOUR) for p in points],
                            obstacles=ticks)
    ax.set_xlabel("context L (tokens)")
    ax.set_ylabel("largest base" + (" (models: their effective base)" if points else ""))
    ax.set_title(f"Derived walls against the paper's (rotary dim {rotary_dim}, {pipeline} pipeline)\nthe derived "
                 "curve is capped at 1e12 where nothing is erased", fontsize=9.5)
    ax.grid(True, which="major", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if points:
        handles += [Line2D([], [], marker="o", ls="", color=_YOURS_COLOUR, label="model at its effective base"),
                    Line2D([], [], ls="-", lw=3, color="#999999", label="tick: its own derived wall\n(its rotary "
                           "dim, its context),\nin the dtype's colour",
                           path_effects=[patheffects.withStroke(linewidth=5, foreground="#111111")])]
        labels += [h.get_label() for h in handles[-2:]]
    legend = fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.715, 0.89), fontsize=8,
                        framealpha=0.9, title="derived wall: the largest base\nkeeping every pair resolved;\n"
                        "paper's wall: theta_min > eps_mach", title_fontsize=8)
    if points:
        legend_bottom = legend.get_window_extent(_renderer(fig)).y0 / (fig.get_size_inches()[1] * fig.dpi)
        listed = [f"{p['number']:2d}  {p['model'].name} (d = {p['rotary_dim']})"
                  f"{' (no room for its label)' if str(p['number']) in unplaced else ''}" for p in points]
        _side_column(fig, 0.715, legend_bottom - 0.02, "models", listed)
    return fig


def pair_bands(fractions: np.ndarray, bands: int = 6, resolved: float = 0.02) -> list[tuple[int, int]]:
    """Pairs ``0 .. n-1`` (fastest first) grouped for the erasure figure: the leading pairs that keep under
    ``resolved`` unchanged steps in every window form one band, the rest are split into at most ``bands``
    contiguous bands of nearly equal size. Each band is ``(first, last)``, inclusive."""
    n = fractions.shape[1]
    peak = fractions.max(axis=0)
    fast = 0
    while fast < n and peak[fast] < resolved:
        fast += 1
    out = [(0, fast - 1)] if fast else []
    rest = n - fast
    count = min(bands, rest)
    edges = [fast + round(k * rest / count) for k in range(count + 1)] if count else []
    out += [(a, b - 1) for a, b in pairwise(edges) if b > a]
    return out


def _erasure_panel(ax: Any, theta: np.ndarray, store: Any, context: int, windows: int, title: str) -> None:
    """One panel: per band of pairs, the min-max of the unchanged fraction over each window (shaded) and its
    median (line), against the window's start."""
    from matplotlib import colormaps

    from rope_sym.erasure.laws import cast_fraction

    edges = np.unique(np.geomspace(16, context, windows + 1).astype(int))
    edges = edges[np.concatenate([[True], np.diff(edges) >= 2])]  # every window holds at least one step
    starts = edges[:-1]
    fractions = np.array([cast_fraction(theta, store, int(a), int(b)) for a, b in pairwise(edges)])
    groups = pair_bands(fractions)
    colours = colormaps["viridis"]
    for k, (first, last) in enumerate(groups):
        band = fractions[:, first:last + 1]
        colour = colours(0.9 * (1 - k / max(len(groups) - 1, 1)))  # fast: yellow, slow: dark
        span = f"theta {theta[first]:.2g}" if first == last else f"theta {theta[first]:.2g} .. {theta[last]:.2g}"
        label = f"pairs {first}-{last} ({span})" if first != last else f"pair {first} ({span})"
        ax.fill_between(starts, band.min(axis=1), band.max(axis=1), color=colour, alpha=0.25, lw=0)
        ax.plot(starts, np.median(band, axis=1), color=colour, lw=1.8, label=label)
    ax.axhline(0.5, color="#444444", lw=1, ls="--", label="erased above 1/2")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title, fontsize=9.5)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
              title="band: median line, min-max shaded", title_fontsize=7.5)


def erasure_figure(base: float, head_dim: int, dtype: str = "bf16", pipeline: str = "hf", context: int = 1 << 20,
                   windows: int = 40, models: Sequence[ModelRope] = ()) -> Any:
    """Per band of pairs, the fraction of unchanged one-token steps over windows of positions (the cast law),
    against the window's start: slow pairs are resolved near position 0 and erased far out. The pairs are
    grouped (``pair_bands``): the fast ones that never keep their code in one band, the rest in at most six
    bands by frequency, each drawn as its median with the min-max shaded. With ``models``: one panel per model,
    on its own effective (scaled) frequencies up to the context it is judged at."""
    from rope_sym.pipelines import inv_freq, pipeline_formats
    from rope_sym.pipelines.emulated import buffer_from_frequencies
    from rope_sym.spectrum.spec import RopeSpec

    store = pipeline_formats(dtype, pipeline).store
    panels: list[tuple[np.ndarray, int, str]] = []
    if models:
        from rope_sym.scaling import inv_freq as scaled_inv_freq

        for model in models:
            judged, _ = judged_context(model)
            theta = buffer_from_frequencies(scaled_inv_freq(model.rope, judged), dtype, pipeline)
            panels.append((np.asarray(theta), max(64, math.ceil(judged)),
                           f"{model.name}: its effective spectrum, rotary dim {model.rope.rotary_dim}, context "
                           f"{math.ceil(judged):,}, {dtype} {pipeline} (cast law)"))
    else:
        theta = inv_freq(RopeSpec(head_dim, base), dtype, pipeline)
        panels.append((np.asarray(theta), context,
                       f"Erasure against position: base {base:g}, head dim {head_dim}, {dtype} {pipeline} (cast law)"))
    fig = _figure(11, 1.2 + 4.2 * len(panels))
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, (theta, length, title) in zip(axes, panels):
        _erasure_panel(ax, theta, store, length, windows, title)
        ax.set_ylabel("fraction of one-token steps\nthat keep the pair's code")
    axes[-1].set_xlabel("window start (positions; windows are geometric)")
    fig.subplots_adjust(left=0.09, right=0.69, top=1 - 0.45 / fig.get_size_inches()[1],
                        bottom=0.55 / fig.get_size_inches()[1], hspace=0.35)
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
