"""A page's charts as the browser reads them: the figures of `<canvas data-chart="ID">` from its json_script
block, with the check that the page loads the vendored Chart.js and web/charts.js to draw them."""

from __future__ import annotations

import json
import re

CHART_SCRIPTS = ("/static/vendor/chartjs/chart.umd.min.js", "/static/web/charts.js")


def chart_block(html: str, chart_id: str) -> dict:
    assert f'<canvas data-chart="{chart_id}"' in html, f"no canvas for {chart_id}"
    for src in CHART_SCRIPTS:
        assert html.count(f'<script src="{src}"') == 1, src
    match = re.search(rf'<script id="{re.escape(chart_id)}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no figures for {chart_id}"
    return json.loads(match.group(1))


def values(chart: dict) -> dict[str, list]:
    """{series label: its figures}."""
    return {s["label"]: s["values"] for s in chart["series"]}
