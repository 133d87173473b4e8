"""Issue #17 in a real browser: the counterparty card centres on one activity feed.

A head of sales opens a client's card: "what's next" on top (the overdue task first), the composer, the feed of
calls, stage changes, invoices and payments; she logs a call and it appears on top without a page load, then
opens the "⋯" menu with the card's other actions. The same in Russian (an empty text refused next to the
field), and on a phone (390×844).

Screenshots: tests/e2e/screenshots/80-counterparty-feed.png, 81-counterparty-menu.png,
82-counterparty-feed-ru.png, 83-counterparty-composer-empty-ru.png, 84-counterparty-feed-phone.png.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.access.models import Department
from raccordo.activities.services import interaction_log, reminder_create, task_create
from raccordo.parties.services import counterparty_create
from raccordo.sales.services import LineInput, deal_create, deal_move, invoice_create, invoice_issue
from raccordo.sales.services.payments import invoice_payment_record
from tests.e2e.conftest import login
from tests.factories import UserFactory, inn10, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def client_story(transactional_db):
    ref = reference_data()
    russia = Department.objects.create(name="Sales Russia")
    UserFactory(username="elena", first_name="Elena", last_name="Morozova", role="head", department=russia)
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=russia)
    cp = counterparty_create(user=anna, data={"kind": "legal", "name": "Romashka", "inn": inn10(77)})
    deal = deal_create(user=anna, data={"title": "Boiler room", "counterparty": cp, "amount": Decimal("250000")})
    deal_move(user=anna, deal=deal, stage=ref["stages"]["Proposal"])
    invoice = invoice_issue(user=anna, invoice=invoice_create(user=anna, data={
        "own_company": ref["own_company"], "counterparty": cp, "currency": "RUB", "date": timezone.localdate()},
        lines=[LineInput(description="Pipe", quantity=Decimal("10"), price=Decimal("1200"))]))
    invoice_payment_record(user=anna, invoice=invoice, amount=Decimal("5000"), date=timezone.localdate())
    interaction_log(user=anna, data={"kind": "meeting", "subject": "Visited the plant", "counterparty": cp,
                                     "body": "They need 40 m of DN100 by March."})
    now = timezone.now()
    task_create(user=anna, data={"title": "Send the drawings", "counterparty": cp, "due_at": now - dt.timedelta(days=1)})
    task_create(user=anna, data={"title": "Call about the contract", "counterparty": cp,
                                 "due_at": now + dt.timedelta(days=2)})
    reminder_create(user=anna, data={"subject": "Birthday of the director", "counterparty": cp,
                                     "start_at": now + dt.timedelta(days=5)})
    return cp


def _log_call(page, subject: str) -> None:
    page.select_option("#composer select[name=kind]", "call")
    page.fill("#composer input[name=subject]", subject)
    page.click("#composer button[type=submit]")


def test_head_logs_a_call_in_place_and_opens_the_menu(page, client_story, shot):
    login(page, "elena", "pass-12345")
    page.goto(f"{page.base_url}/counterparties/{client_story.pk}/")
    steps = page.get_by_test_id("next-steps")
    expect(steps.locator("li").first).to_contain_text("Send the drawings")
    expect(steps.locator("li").first).to_contain_text("overdue")
    feed = page.get_by_test_id("feed")
    expect(feed).to_contain_text("Deal “Boiler room” moved from “New” to “Proposal”")
    expect(feed).to_contain_text("issued")
    page.evaluate("window.loaded_once = true")      # gone if the page were reloaded
    _log_call(page, "Agreed on the price of DN100")
    expect(feed.locator("li").first).to_contain_text("Agreed on the price of DN100")
    expect(page.locator("#composer input[name=subject]")).to_have_value("")
    assert page.evaluate("window.loaded_once") is True
    shot(page, "80-counterparty-feed", full_page=True)
    page.get_by_test_id("card-menu").click()
    menu = page.get_by_test_id("card-menu-items")
    expect(menu).to_be_visible()
    for text in ("Edit", "New invoice", "Record payment", "Reminder", "Add address", "Add bank account",
                 "Hand over"):
        expect(menu).to_contain_text(text)
    shot(page, "81-counterparty-menu")


def test_in_russian_empty_text_refused_then_logged(page, client_story, shot):
    login(page, "anna", "pass-12345")
    page.select_option("#language-switch", "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{page.base_url}/counterparties/{client_story.pk}/")
    page.click("#composer button[type=submit]")
    expect(page.locator("#composer .invalid-feedback").first).to_be_visible()
    shot(page, "83-counterparty-composer-empty-ru")
    _log_call(page, "Договорились о поставке")
    feed = page.get_by_test_id("feed")
    expect(feed.locator("li").first).to_contain_text("Договорились о поставке")
    expect(feed).to_contain_text("Сделка")
    expect(page.locator("#composer .invalid-feedback")).to_have_count(0)
    # htmx settles the swapped form (the old field's red border fades out): let it finish before the picture.
    expect(page.locator("#composer input[name=subject]")).not_to_have_class(re.compile(r"\bis-invalid\b"))
    page.wait_for_timeout(400)
    shot(page, "82-counterparty-feed-ru", full_page=True)
    page.get_by_test_id("card-menu").click()
    expect(page.get_by_test_id("card-menu-items")).to_be_visible()


def test_on_a_phone(browser, live_server, client_story, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True)
    page = context.new_page()
    page.base_url = live_server.url
    try:
        login(page, "anna", "pass-12345")
        page.goto(f"{page.base_url}/counterparties/{client_story.pk}/")
        _log_call(page, "Called from the road")
        expect(page.get_by_test_id("feed").locator("li").first).to_contain_text("Called from the road")
        # Nothing wider than the screen: the card reads without sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_test_id("card-menu").click()
        expect(page.get_by_test_id("card-menu-items")).to_be_visible()
        shot(page, "84-counterparty-feed-phone")
    finally:
        context.close()
