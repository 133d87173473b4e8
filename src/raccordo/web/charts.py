"""A chart's figures for the browser: labels and series as plain JSON-serialisable lists.

The page puts them in a `json_script` block next to a `<canvas data-chart>` (web/includes/chart.html), and
web/charts.js draws them with the vendored Chart.js: scales, ticks, tooltips and the legend are the library's,
so nothing here computes geometry. The e-mailed reports draw no chart, so nothing needs a server-side picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

UNITS = ("count", "money", "percent")


@dataclass
class Series:
    label: str
    color: str            # the palette key: the colour is the CSS variable --rc-chart-<color> (raccordo.css)
    values: list          # one figure per label; None where there is no figure (a line shows a gap)
    kind: str = "bar"     # "bar" or "line"
    axis: str = "y"       # "y": the chart's unit on the left; "percent": a 0-100 % scale on the right
    dashed: bool = False  # a line drawn dashed, told apart from one of the same colour


def _number(value) -> float | int | None:
    # json_script writes a Decimal as a string, which Chart.js would not plot.
    if value is None:
        return None
    if isinstance(value, str):
        value = Decimal(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def chart_data(labels: list, series: list[Series], *, unit: str = "count", currency: str = "") -> dict:
    """What web/charts.js reads: `unit` says how the left scale and the tooltips format a figure (whole
    counts, money in `currency`, or a percentage); `empty` when there is not one figure to draw."""
    if unit not in UNITS:
        raise ValueError(f"unknown chart unit {unit!r}")
    rows = [{"label": str(s.label), "color": s.color, "kind": s.kind, "axis": s.axis,
             "dashed": s.dashed, "values": [_number(v) for v in s.values]} for s in series]
    return {"labels": [str(label) for label in labels], "unit": unit, "currency": currency, "series": rows,
            "empty": not any(v for row in rows for v in row["values"])}
