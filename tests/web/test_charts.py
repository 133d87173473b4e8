"""web.charts: the figures a chart hands to Chart.js, and the same figures as a table for the page."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from raccordo.web.charts import Series, chart_data
from raccordo.web.templatetags.raccordo_ui import chart_rows


def test_figures_are_plain_json_numbers_whatever_they_came_as():
    chart = chart_data(["Jan", "Feb"], [Series("Paid", "paid", [Decimal("1200.00"), Decimal("0.50")]),
                                        Series("Rate", "rate", ["33.3", None], kind="line", axis="percent")],
                       unit="money", currency="EUR")
    assert json.loads(json.dumps(chart)) == chart        # nothing a JSON encoder would turn into a string
    assert [s["values"] for s in chart["series"]] == [[1200, 0.5], [33.3, None]]
    assert (chart["empty"], chart["series"][1]["kind"], chart["series"][1]["axis"]) == (False, "line", "percent")


def test_a_chart_of_zeros_and_gaps_is_empty_and_a_unit_is_one_we_format():
    assert chart_data(["Jan"], [Series("Won", "won", [0]), Series("Lost", "lost", [None])])["empty"]
    with pytest.raises(ValueError):
        chart_data(["Jan"], [Series("Won", "won", [1])], unit="kg")


def test_the_table_of_a_chart_formats_figures_as_the_page_does():
    chart = chart_data(["A", "B"], [Series("Paid", "paid", [Decimal("1234.5"), None]),
                                    Series("Rate", "rate", [12.5, 100], kind="line", axis="percent")],
                       unit="money", currency="RUB")
    with translation.override("ru"):
        rows = chart_rows(chart)
    assert rows[0][0] == "A" and rows[0][1][0].startswith("1\xa0234,50") and rows[0][1][1] == "12,5\xa0%"
    assert rows[1][1] == ["—", "100\xa0%"]


def test_the_include_writes_a_canvas_and_its_figures_or_says_there_is_nothing():
    chart = chart_data(["Jan"], [Series("Won", "won", [3])])
    html = render_to_string("web/includes/chart.html", {"chart": chart, "id": "chart-x", "title": "Deals won"})
    assert '<canvas data-chart="chart-x" role="img" aria-label="Deals won">' in html
    assert '<script id="chart-x" type="application/json">' in html and "rc-chart-figures" not in html
    empty = chart_data(["Jan"], [Series("Won", "won", [0])])
    html = render_to_string("web/includes/chart.html", {"chart": empty, "id": "chart-x", "empty": "Nothing yet."})
    assert "data-chart" not in html and "Nothing yet." in html
