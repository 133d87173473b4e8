"""Error pages in a real browser (issue #17), as a manager, in English and in Russian: a record that does not
exist shows the app's own 404 page (styled, in her language, with the way back to the dashboard, which works), and
a page she may not open shows the app's own 403 page the same way.

Screenshot: 97-error-404-ru.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-12345"
TEXTS = {
    "en": {404: "Page not found", 403: "Access denied", "back": "Back to the dashboard", "receivable": "Receivable"},
    "ru": {404: "Страница не найдена", 403: "Доступ запрещён", "back": "Вернуться на главную",
           "receivable": "Дебиторская задолженность"},
}
# The app's stylesheet is loaded and applied: the card has its own look, not the browser's bare default.
STYLED = """() => {
    const sheet = [...document.styleSheets].find(s => s.href && s.href.includes('raccordo.css'));
    const card = document.querySelector('[data-testid=error-page]');
    return !!sheet && sheet.cssRules.length > 0 && !!card
        && getComputedStyle(card).backgroundColor !== 'rgba(0, 0, 0, 0)';
}"""


def _error_page(page, response, code: int, words: dict) -> None:
    assert response is not None and response.status == code
    card = page.locator("[data-testid=error-page]")
    expect(card).to_be_visible()
    expect(card.locator("h1")).to_have_text(words[code])
    expect(page).to_have_title(f"{words[code]} · Raccordo")
    assert page.evaluate(STYLED), "the error page is not styled"
    body = page.inner_text("body")
    assert "Not Found" not in body and "Forbidden" not in body and "Traceback" not in body, body


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_manager_meets_the_404_and_403_pages_and_finds_the_way_back(page, live_server, shot, language):
    UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", language=language)
    words = TEXTS[language]
    login(page, "anna", PASSWORD)

    # A client card that does not exist (an old link, a deleted record).
    missing = reverse("web:counterparty_detail", args=[uuid.uuid4()])
    response = page.goto(f"{page.base_url}{missing}")
    _error_page(page, response, 404, words)
    assert page.evaluate("document.documentElement.lang") == language
    if language == "ru":
        shot(page, "97-error-404-ru")
    with page.expect_navigation():
        page.get_by_role("link", name=words["back"]).click()
    assert page.url == f"{page.base_url}{reverse('web:dashboard')}"
    expect(page.locator("[data-testid=receivable-total]")).to_be_visible()
    assert words["receivable"] in page.inner_text("main")

    # A page for those who keep the catalog: a manager may not add products.
    response = page.goto(f"{page.base_url}{reverse('web:product_create')}")
    _error_page(page, response, 403, words)
    with page.expect_navigation():
        page.get_by_role("link", name=words["back"]).click()
    assert page.url == f"{page.base_url}{reverse('web:dashboard')}"
