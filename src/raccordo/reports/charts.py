"""Bar charts drawn as inline SVG by the template: this module only computes the geometry (no JS library)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 22   # room for the axis labels
GRID_LINES = 4


@dataclass
class Series:
    label: str
    css: str
    values: list   # one number per label, None or 0 for nothing


@dataclass
class Chart:
    width: int
    height: int
    bars: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    grid: list[dict] = field(default_factory=list)
    legend: list[Series] = field(default_factory=list)
    empty: bool = True


def nice_step(value: float, *, integer: bool = False) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is >= value: grid lines fall on round numbers
    (whole ones for counts)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * power
        if candidate >= value and (not integer or candidate == int(candidate)):
            return candidate
    return 10 * power  # pragma: no cover - the loop always returns


def compact(value: float) -> str:
    """An axis label: 1 200 000 -> 1.2M, 15 000 -> 15k, 7 -> 7."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            text = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def bar_chart(labels: list[str], series: list[Series], *, width: int = WIDTH, height: int = HEIGHT,
              integer: bool = False) -> Chart:
    """Grouped bars: one group per label, one bar per series, on a shared scale with round grid lines
    (`integer`: the values are counts, so the grid lines are whole numbers)."""
    values = [float(v or 0) for s in series for v in s.values]
    top = nice_step(max(values, default=0) / GRID_LINES, integer=integer) * GRID_LINES
    chart = Chart(width=width, height=height, legend=series, empty=not any(values))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.72 / max(len(series), 1)
    for i in range(GRID_LINES + 1):
        value = top * i / GRID_LINES
        chart.grid.append({"y": round(TOP + plot_h - plot_h * i / GRID_LINES, 1), "label": compact(value)})
    for g, label in enumerate(labels):
        x0 = LEFT + g * group_w + group_w * 0.14
        chart.labels.append({"x": round(LEFT + g * group_w + group_w / 2, 1), "y": height - 6, "text": label})
        for s_index, s in enumerate(series):
            raw = s.values[g] if g < len(s.values) else None
            value = float(raw or 0)
            h = plot_h * value / top if top else 0
            if value > 0:
                h = max(h, 1.5)   # a small figure stays visible
            chart.bars.append({"x": round(x0 + s_index * bar_w, 1), "y": round(TOP + plot_h - h, 1),
                               "w": round(max(bar_w - 2, 1), 1), "h": round(h, 1), "css": s.css,
                               "series": s.label, "label": label,
                               "value": raw if raw is not None else Decimal("0")})
    return chart
