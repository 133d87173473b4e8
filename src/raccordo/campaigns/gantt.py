"""The campaign's Gantt chart, drawn on the server as SVG: one bar per event, arrows for finish-to-start links.

Server-side on purpose: the page's content security policy allows no inline script, the chart needs none, and
it prints and shows in screenshots exactly as computed. Coordinates are plain numbers the template puts into
SVG attributes (presentation attributes, not inline styles, so the policy allows them too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

LABEL_WIDTH = 220
ROW_HEIGHT = 34
BAR_HEIGHT = 20
HEAD_HEIGHT = 40
MIN_DAY_WIDTH = 6
CHART_WIDTH = 760


@dataclass
class Bar:
    """One event's bar: where it is drawn and what it says."""

    pk: str
    name: str
    kind: str
    kind_label: str
    owner: str
    starts_on: date
    ends_on: date
    x: float
    y: float
    width: float
    label_y: float


@dataclass
class Tick:
    """A date on the axis (the first of a month, or a week's Monday in a short plan)."""

    x: float
    label: str


@dataclass
class Chart:
    """The whole drawing: its size, the axis, the bars, the links and today's line (when in range)."""

    width: float
    height: float
    label_width: int = LABEL_WIDTH
    head_height: int = HEAD_HEIGHT
    ticks: list[Tick] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    today_x: float | None = None


def _range(campaign, events) -> tuple[date, date]:
    starts = [e.starts_on for e in events] + [campaign.starts_on]
    ends = [e.ends_on for e in events] + [campaign.ends_on]
    return min(starts), max(ends)


def _ticks(first: date, last: date, x_of) -> list[Tick]:
    days = (last - first).days + 1
    ticks = []
    if days <= 62:
        day = first + timedelta(days=(7 - first.weekday()) % 7)
        while day <= last:
            ticks.append(Tick(x_of(day), day.strftime("%d.%m")))
            day += timedelta(days=7)
        return ticks
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            ticks.append(Tick(x_of(month), month.strftime("%m.%Y")))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return ticks


def chart(campaign, events, *, today: date | None = None) -> Chart:
    """Lay out `events` (with their `depends_on` prefetched) of `campaign` on its period."""
    first, last = _range(campaign, events)
    days = (last - first).days + 1
    day_width = max(MIN_DAY_WIDTH, CHART_WIDTH / days)

    def x_of(day: date) -> float:
        return round(LABEL_WIDTH + (day - first).days * day_width, 1)

    bars, where = [], {}
    for row, event in enumerate(events):
        y = HEAD_HEIGHT + row * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        bar = Bar(str(event.pk), event.name, event.kind, str(event.get_kind_display()),
                  str(event.owner or ""), event.starts_on, event.ends_on, x_of(event.starts_on), y,
                  round(((event.ends_on - event.starts_on).days + 1) * day_width, 1), y + BAR_HEIGHT / 2 + 4)
        bars.append(bar)
        where[event.pk] = bar
    links = []
    for event in events:
        for dep in event.depends_on.all():
            if dep.pk in where:
                links.append(_link(where[dep.pk], where[event.pk]))
    result = Chart(width=round(LABEL_WIDTH + days * day_width + 10, 1),
                   height=HEAD_HEIGHT + max(1, len(events)) * ROW_HEIGHT + 6,
                   ticks=_ticks(first, last, x_of), bars=bars, links=links)
    if today is not None and first <= today <= last:
        result.today_x = x_of(today)
    return result


def _link(before: Bar, after: Bar) -> str:
    """An elbow from the end of `before` to the start of `after` (finish-to-start)."""
    x1, y1 = before.x + before.width, before.y + BAR_HEIGHT / 2
    x2, y2 = after.x, after.y + BAR_HEIGHT / 2
    if x2 - 8 >= x1 + 6:
        return f"M{x1},{y1} H{x2 - 8} V{y2} H{x2 - 2}"
    # The next event starts (almost) where this one ends: go round below the bar instead of backwards over it.
    between = (y1 + y2) / 2
    return f"M{x1},{y1} H{x1 + 6} V{between} H{x2 - 10} V{y2} H{x2 - 2}"
