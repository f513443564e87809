"""Verdicts for notebooks: the zone question in three lines, answered by a report that renders as a table.

>>> import rope_sym
>>> r = rope_sym.zone(500_000, 131072, 128, depth=32, dtype="bf16")
>>> r.verdict, r["zone"]["inside_paper"]
('outside', False)

In Jupyter the report shows itself as tables (``_repr_html_``); ``to_frame()`` gives the bounds as a pandas
``DataFrame`` where pandas is installed (it is not required).
"""

from __future__ import annotations

import html
import math
from typing import Any

from rope_sym.bounds.closed_forms import DEFAULT_EPS
from rope_sym.bounds.zone import summary_line, zone_report


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        text = {True: "yes", False: "no", None: "n/a"}[value]
    elif isinstance(value, float):
        text = "inf" if math.isinf(value) else f"{value:.4g}"
    else:
        text = str(value)
    return html.escape(text)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Report(dict[str, Any]):
    """A zone or model report: the plain dict of ``zone_report``/``model_report`` (JSON-ready), with a
    ``verdict`` attribute, an HTML rendering for notebooks and ``to_frame()``."""

    @property
    def verdict(self) -> str:
        return str(self["verdict"])

    def bound_rows(self) -> list[list[Any]]:
        return [[name, b["side"], b["paper"], b["exact"], b["holds"], b.get("margin_decades")]
                for name, b in self["bounds"].items()]

    def _repr_html_(self) -> str:
        levels = [[lv["level"], lv["wall_theta"], lv["erased_pairs"], lv["holds"], lv["positions_kept"], lv["law"]]
                  for lv in self["erasure"]["levels"]]
        title = html.escape(self.get("model", "RoPE setting"))
        return (f"<p><b>{title}</b>: {html.escape(summary_line(self))}</p>"
                + _table(["bound", "side", "paper", "exact", "holds", "margin (decades)"], self.bound_rows())
                + _table(["level", "wall theta", "erased pairs", "holds", "positions kept", "law"], levels))

    def to_frame(self) -> Any:
        """The bounds as a pandas ``DataFrame`` (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_frame() needs pandas (pip install pandas); the report itself is a dict") from None
        return pd.DataFrame(self.bound_rows(), columns=["bound", "side", "paper", "exact", "holds",
                                                         "margin_decades"]).set_index("bound")


def zone(base: float, context: float, rotary_dim: int, depth: int = 1, eps: float = DEFAULT_EPS, dtype: str = "fp32",
         pipeline: str = "hf") -> Report:
    """``zone_report`` as a :class:`Report`."""
    return Report(zone_report(base, context, rotary_dim, depth=depth, eps=eps, dtype=dtype, pipeline=pipeline))


def model(source: Any, context: float | None = None, dtype: str = "fp32", pipeline: str = "hf",
          depth: int | None = None, eps: float = DEFAULT_EPS) -> Report:
    """``model_report`` of any model source (registry name, config, directory, cached hub id, dict) as a
    :class:`Report`."""
    from rope_sym.bounds.models import model_report
    from rope_sym.models.sources import load_model

    return Report(model_report(load_model(source), context=context, dtype=dtype, depth=depth, eps=eps,
                               pipeline=pipeline))
