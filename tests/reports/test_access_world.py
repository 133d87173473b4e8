"""The KPI report for every kind of user of the access tests' company: each figure counts exactly what the
rules (restated in tests/access/world.py, without the policy module) let that person see."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from raccordo.reports.selectors import kpi_report
from raccordo.reports.services import report_figures
from tests.access.world import STAFF, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(reference_data, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world(reference_data)


def _expected(world, username) -> dict:
    # Invoice n is 2**n roubles, so the sum names exactly which invoices were counted; payments are 1 each.
    invoices = world.visible_to(username, "invoice")
    payments = world.visible_to(username, "payment")
    owed = Decimal(sum(r.obj.total for r in invoices))
    return {
        "invoices": len(invoices),
        "invoiced": {"RUB": owed} if invoices else {},
        "receivable": {"RUB": owed} if invoices else {},
        "received": {"RUB": Decimal(len(payments))} if payments else {},
        "interactions": len(world.visible_to(username, "interaction")),
        "new_counterparties": len(world.visible_to(username, "counterparty")),
    }


@pytest.mark.parametrize("username", list(STAFF))
def test_every_figure_counts_only_what_the_person_may_see(world, username):
    user = world.users[username]
    year = timezone.localdate().year
    for report in (kpi_report(user=user, year=year), report_figures(user=user, kind="kpi", year=year).data,
                   report_figures(user=user, kind="kpi", year=year).data):   # computed, stored, read back
        totals = report["totals"]
        assert {key: totals[key] for key in _expected(world, username)} == _expected(world, username), username
        # The people in the table are only those whose visible records were counted.
        assert sum(r["invoices"] for r in report["managers"]) == totals["invoices"]
