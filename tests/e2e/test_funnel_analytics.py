"""The funnel conversion page in a real browser (issue #21): a head of sales opens it from the KPI report's
analytics, picks last quarter, reads conversion and days in stage for her department (not for another one), then
narrows it to one manager.

Screenshot: tests/e2e/screenshots/216-funnel-conversion.png.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.access.models import Department
from raccordo.reports.periods import day_start, period_bounds
from raccordo.sales.models import StageKind
from raccordo.sales.services import deal_create, deal_move
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NAMES = ["Vostok Trade", "Ural Pipes", "Severstal Service", "Volga Heat", "Baltic Valves", "Kama Steel",
         "Don Boilers", "Altai Pumps", "Neva Fittings"]
# Where a deal goes from each stage, and how likely: most move on, some are lost, a few lost ones come back.
NEXT = {"New": [("Proposal", 6), ("Lost", 2)], "Proposal": [("Negotiation", 5), ("Won", 1), ("Lost", 3)],
        "Negotiation": [("Won", 5), ("Lost", 3), ("Proposal", 1)], "Lost": [("Negotiation", 1)]}


@pytest.fixture
def company(transactional_db):
    ref = reference_data()
    stages = ref["stages"]
    russia, italy = Department.objects.create(name="Sales Russia"), Department.objects.create(name="Sales Italy")
    elena = UserFactory(username="elena", first_name="Elena", last_name="Morozova", role="head", department=russia)
    people = [UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=russia),
              UserFactory(username="dmitry", first_name="Dmitry", last_name="Orlov", role="manager",
                          department=russia),
              UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager", department=italy)]
    rng = random.Random(214)
    start, end = period_bounds("last_quarter", timezone.localdate())
    first, span = day_start(start), day_start(end + dt.timedelta(days=1)) - day_start(start)
    for i, name in enumerate(NAMES):
        cp = CounterpartyFactory(name=name, responsible=people[i % 3])
        for k in range(4):
            when = first + span * rng.random()
            deal = deal_create(user=None, data={"title": f"Order {k + 1} of {name}", "counterparty": cp,
                                                "manager": cp.responsible, "amount": Decimal(rng.randint(5, 90) * 10000)},
                               now=when)
            while deal.stage.name in NEXT and rng.random() < 0.8:
                when += dt.timedelta(hours=rng.randint(20, 24 * 18))
                if when >= timezone.now():
                    break
                names, weights = zip(*NEXT[deal.stage.name], strict=True)
                stage = stages[rng.choices(names, weights=weights)[0]]
                deal = deal_move(user=None, deal=deal, stage=stage, now=when,
                                 lost_reason="Price" if stage.kind == StageKind.LOST else "")
    return {"elena": elena, "anna": people[0]}


def test_funnel_conversion_by_manager_and_period(page, company, shot):
    login(page, "elena", "pass-12345")
    base = page.base_url
    page.goto(f"{base}/reports/kpi/")
    page.get_by_test_id("kpi-analytics").click()
    page.get_by_role("link", name="Funnel conversion").click()
    expect(page.get_by_role("heading", name="Funnel conversion")).to_be_visible()
    page.select_option("#funnel-period", "last_quarter")
    stages = page.get_by_test_id("funnel-stages")
    expect(stages).to_contain_text("Negotiation")
    managers = page.get_by_test_id("funnel-managers")
    expect(managers).to_contain_text("Anna Ivanova")
    expect(managers).to_contain_text("Dmitry Orlov")
    expect(managers).not_to_contain_text("Marco Rossi")            # another department's
    expect(page.get_by_test_id("funnel-time")).to_be_visible()
    shot(page, "216-funnel-conversion", full_page=True)

    page.select_option("#funnel-manager", label="Anna Ivanova")
    expect(page.get_by_test_id("funnel-managers")).not_to_contain_text("Dmitry Orlov")
    expect(page.get_by_test_id("funnel-managers")).to_contain_text("Anna Ivanova")
    assert "manager=" in page.url and "period=last_quarter" in page.url
