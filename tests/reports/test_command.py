"""`raccordo report`: the KPI report of one person from the command line, and the worker's refresh."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from raccordo.reports.models import ReportSnapshot

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def test_kpi_as_json_shows_what_the_person_sees(company):
    data = json.loads(run("kpi", "--user", "anna", "--year", str(company.year), "--json"))
    assert data["totals"]["invoiced"] == {"RUB": "1900.00"} and data["cached"] is False
    assert [m["name"] for m in data["managers"]] == ["Anna Ivanova"]
    again = json.loads(run("kpi", "--user", "anna", "--year", str(company.year), "--json"))
    assert again["cached"] is True
    assert json.loads(run("kpi", "--user", "anna", "--year", str(company.year), "--json", "--refresh"))["cached"] is False


def test_kpi_as_text(company):
    text = run("kpi", "--user", "root", "--year", str(company.year))
    assert "invoices issued      5" in text and "300.00 EUR, 3900.00 RUB" in text and "conversion, %        60.0" in text


@pytest.mark.parametrize("args,message", [
    (("kpi",), "--user is required"),
    (("kpi", "--user", "nobody"), "no active user 'nobody'"),
    (("kpi", "--user", "anna", "--year", "1990"), "year must be between"),
])
def test_bad_arguments_are_refused_clearly(company, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ReportSnapshot.objects.exists()


def test_refresh_runs_the_workers_refresh(company):
    assert run("refresh").strip() == "refreshed 0, dropped 0, forgotten 0"
