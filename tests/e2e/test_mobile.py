"""A manager on a phone (390×844), in a real browser (issue #17): the "Menu" button opens the full, labelled
navigation; a list shows one card per row with its fields named; the invoice shows its totals, not clipped; the
funnel board scrolls one column at a time with its filters behind a button. On the demo company, seeded in
English and then in Russian, as the person installing it would see it.

Screenshots: tests/e2e/screenshots/90-mobile-menu.png, 91-mobile-counterparty-cards.png, 92-mobile-invoice.png,
93-mobile-board.png, 94-mobile-menu-ru.png, 95-mobile-board-ru.png.
"""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from raccordo.access.models import User
from raccordo.demo.seeding import seed_demo
from raccordo.sales.models import Invoice, InvoiceStatus
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "phone-demo-2026"
PHONE = {"width": 390, "height": 844}
WORDS = {
    "en": {"menu": "Menu", "nav": "Counterparties", "phone": "Phone", "total": "Total", "filters": "Filters"},
    "ru": {"menu": "Меню", "nav": "Контрагенты", "phone": "Телефон", "total": "Итого", "filters": "Фильтры"},
}


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


def _anna(language: str) -> User:
    seed_demo(password=PASSWORD, language=language)
    anna = User.objects.get(username="anna")
    anna.language = language
    anna.save(update_fields=["language"])
    return anna


def _until(page, predicate: str, timeout: float = 5.0, state: str = "() => null") -> None:
    """Poll a JS predicate from Python: wait_for_function evaluates strings, which the page's CSP forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, (predicate, page.evaluate(state))
        page.wait_for_timeout(100)


def _menu_opens_with_labels(page, words) -> None:
    nav_link = page.locator("#rc-sidebar .rc-nav a", has_text=words["nav"])
    expect(nav_link).to_be_hidden()                     # off screen until asked for
    expect(page.locator("kbd", has_text="Ctrl K")).to_be_hidden()
    page.get_by_role("button", name=words["menu"]).click()
    expect(nav_link).to_be_visible()
    expect(page.get_by_test_id("menu-button")).to_have_attribute("aria-expanded", "true")
    _until(page, "() => document.getElementById('rc-sidebar').getBoundingClientRect().x >= 0")   # slid in
    box = page.locator("#rc-sidebar").bounding_box()
    assert box["x"] >= 0 and box["width"] >= 240, box      # a real menu, not a 60 px icon rail
    assert nav_link.bounding_box()["width"] > 150


def _board_scrolls_by_column(page, shot, name: str, words) -> None:
    page.goto(page.base_url + reverse("web:board"))
    filters = page.locator("#board-filters")
    expect(filters).to_be_hidden()
    page.get_by_role("button", name=words["filters"]).click()
    expect(filters).to_be_visible()
    page.get_by_role("button", name=words["filters"]).click()
    expect(filters).to_be_hidden()
    columns = page.locator(".rc-board-col")
    first = columns.nth(0).bounding_box()
    assert first["width"] > 300 and first["x"] + first["width"] <= PHONE["width"], first   # one column a screen
    wrap = page.locator("#board")
    assert wrap.evaluate("el => getComputedStyle(el).scrollSnapType").startswith("x mandatory")
    # Scrolling a little over half a column settles on the start of the next one, not where the scroll stopped.
    wrap.evaluate("el => el.scrollBy({left: Math.round(el.clientWidth * 0.6), behavior: 'instant'})")
    _until(page, """() => {
        const wrap = document.getElementById('board'), col = document.querySelectorAll('.rc-board-col')[1];
        return wrap.scrollLeft > 0
            && Math.abs(col.getBoundingClientRect().left - wrap.getBoundingClientRect().left) < 2;
    }""", state="() => [document.getElementById('board').scrollLeft, "
             "document.querySelectorAll('.rc-board-col')[1].getBoundingClientRect().left]")
    second = columns.nth(1).bounding_box()
    assert abs(second["x"] - first["x"]) < 2, (first, second)
    shot(page, name)


def test_a_manager_on_a_phone_in_english(phone, shot):
    _anna("en")
    page, words = phone, WORDS["en"]
    login(page, "anna", PASSWORD)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]   # the dashboard is not clipped
    _menu_opens_with_labels(page, words)
    shot(page, "90-mobile-menu")
    page.locator("#rc-sidebar .rc-nav a", has_text=words["nav"]).click()

    # The counterparty list: each row a card, each cell named by its column (the phone number is there).
    rows = page.locator("#results table.rc-table tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("#results table.rc-table thead")).to_be_hidden()
    expect(page.locator("#rc-sidebar")).to_be_hidden()        # following a link closes the menu
    card = rows.first.bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["width"], card
    phone_cell = rows.first.locator(f'td[data-label="{words["phone"]}"]')
    expect(phone_cell).to_be_visible()
    assert phone_cell.evaluate("el => getComputedStyle(el, '::before').content") == f'"{words["phone"]}"'
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "91-mobile-counterparty-cards")

    _invoice_totals_visible(page, words)
    page.get_by_test_id("invoice-total").scroll_into_view_if_needed()
    shot(page, "92-mobile-invoice")
    _board_scrolls_by_column(page, shot, "93-mobile-board", words)


def test_a_manager_on_a_phone_in_russian(phone, shot):
    _anna("ru")
    page, words = phone, WORDS["ru"]
    login(page, "anna", PASSWORD)
    _menu_opens_with_labels(page, words)
    expect(page.locator("#rc-sidebar .rc-nav a", has_text="Сделки")).to_be_visible()
    shot(page, "94-mobile-menu-ru")
    page.keyboard.press("Escape")
    expect(page.locator("#rc-sidebar .rc-nav a", has_text=words["nav"])).to_be_hidden()

    page.goto(page.base_url + reverse("web:deal_list"))
    expect(page.locator("#results table.rc-table tbody tr").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _invoice_totals_visible(page, words)
    _board_scrolls_by_column(page, shot, "95-mobile-board-ru", words)
    # The demo was seeded in Russian: the board's stages are Russian too.
    expect(page.locator(".rc-board-title").first).to_have_text("Новая")


def _invoice_totals_visible(page, words) -> None:
    invoice = (Invoice.objects.filter(counterparty__responsible__username="anna", status=InvoiceStatus.ISSUED,
                                      lines__isnull=False).distinct().order_by("number").first())
    page.goto(page.base_url + reverse("web:invoice_detail", args=[invoice.pk]))
    total = page.get_by_test_id("invoice-total")
    total.scroll_into_view_if_needed()
    expect(total).to_be_visible()
    box = total.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box      # not cut off at the right
    expect(page.locator("tfoot", has_text=words["total"])).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_tablet_keeps_the_icon_rail_and_no_menu_button(page):
    _anna("en")
    page.set_viewport_size({"width": 900, "height": 1000})
    login(page, "anna", PASSWORD)
    expect(page.get_by_test_id("menu-button")).to_be_hidden()
    expect(page.locator("#rc-sidebar")).to_be_visible()
    assert page.locator("#rc-sidebar").bounding_box()["width"] < 80
    page.goto(page.base_url + reverse("web:counterparty_list"))
    expect(page.locator("#results table.rc-table thead")).to_be_visible()      # a table, not cards
