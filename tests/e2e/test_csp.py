"""Security finding L6 in a real browser: the pages work under the Content-Security-Policy, which allows no inline
script. The `page` fixture fails the test on any violation Chromium reports; these steps touch what used inline
code before (the language switch) and what depends on scripts (htmx live search, Swagger UI)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_L6_the_ui_and_the_api_docs_work_under_the_csp(page):
    reference_data()
    anna = UserFactory(username="anna", role="manager")
    CounterpartyFactory(responsible=anna, name="Vostok Trade")
    login(page, "anna", "pass-12345")
    header = page.request.get(f"{page.base_url}/").headers["content-security-policy"]
    assert "script-src 'self'" in header

    # htmx: the live search drops its results in under the search box.
    page.locator("#global-search").press_sequentially("Vostok")   # htmx listens to input (typing and pasting)
    page.locator("#global-search-results").get_by_text("Vostok Trade").first.wait_for()

    # The language switch sends its form from raccordo.js (it was an onchange="" attribute).
    page.select_option("#language-switch", "it")
    expect(page.locator("html")).to_have_attribute("lang", "it")

    # Swagger UI starts from its own script file and renders the operations.
    page.goto(f"{page.base_url}/api/docs/")
    page.get_by_text("/api/v1/counterparties/").first.wait_for()
