"""The funnel board in a real browser: a column shows its newest cards, "Show more" adds the next ones under the
board's filters, and a card added that way moves like any other (its stage menu works).

Screenshot: 35-board-more.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.sales.models import Deal
from raccordo.web.views.board import CARDS_PER_STAGE
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, deal_for, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_show_more_adds_the_next_cards_and_they_move(page, shot):
    ref = reference_data()
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager")
    boris = UserFactory(username="boris", role="manager")
    client = CounterpartyFactory(responsible=anna, name="Romashka")
    theirs = CounterpartyFactory(responsible=boris, name="Vasilek")
    total = CARDS_PER_STAGE + 5
    now = timezone.now()
    for i in range(total):
        deal = deal_for(client, ref, title=f"Order {i:02d}", amount=Decimal("100"))
        # Distinct creation times, oldest first: the column shows the newest first.
        Deal.objects.filter(pk=deal.pk).update(created_at=now - dt.timedelta(minutes=total - i))
    deal_for(theirs, ref, title="Not anna's", amount=Decimal("100"))

    login(page, "anna", "pass-12345")
    page.goto(f"{page.base_url}/deals/board/")
    column = page.locator("[data-testid=stage-column][data-stage-name='New']")
    cards = column.locator("[data-testid=deal-card]")
    assert cards.count() == CARDS_PER_STAGE
    assert column.locator("[data-testid=stage-count]").inner_text() == str(total)
    assert cards.first.locator(".rc-card-title").inner_text() == f"Order {total - 1:02d}"

    page.mouse.move(0, 0)
    shot(page, "35-board-more")
    column.locator("[data-testid=stage-more]").click()
    # expect() polls from Playwright's side: wait_for_function evaluates a string, which the CSP refuses.
    expect(page.locator("[data-stage-name='New'] [data-testid=deal-card]")).to_have_count(total)
    titles = column.locator(".rc-card-title").all_inner_texts()
    assert titles == [f"Order {i:02d}" for i in reversed(range(total))]
    assert "Not anna's" not in page.content()
    assert column.locator("[data-testid=stage-more]").count() == 0     # nothing more to show

    # The oldest card came with "Show more": its stage menu moves it.
    oldest = Deal.objects.get(title="Order 00")
    page.locator(f"[data-deal='{oldest.pk}']").hover()       # the menu shows on hover or focus
    page.locator(f"#move-{oldest.pk}").select_option(label="Proposal")
    assert _wait_for(lambda: Deal.objects.get(pk=oldest.pk).stage.name == "Proposal")
    page.wait_for_selector(f"[data-testid=stage-column][data-stage-name='Proposal'] [data-deal='{oldest.pk}']")
