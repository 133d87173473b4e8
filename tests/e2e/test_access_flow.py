"""Access in a real browser: a manager, a head and an administrator each see what they should; the History
tab shows an edit made in the UI and one made through the API with a personal token.

Screenshots: tests/e2e/screenshots/20-history-tab.png, 21-head-sees-department.png, 22-admin-audit-log.png,
23-api-tokens.png, 24-manager-list.png.
"""

from __future__ import annotations

import re

import pytest

from raccordo.access.models import Department
from raccordo.parties.models import Counterparty
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def company(transactional_db):
    reference_data()
    russia = Department.objects.create(name="Sales Russia")
    italy = Department.objects.create(name="Sales Italy")
    admin = UserFactory(username="root", first_name="Root", last_name="Admin", role="admin", is_staff=True)
    elena = UserFactory(username="elena", first_name="Elena", last_name="Morozova", role="head", department=russia)
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=russia)
    dmitry = UserFactory(username="dmitry", first_name="Dmitry", last_name="Sokolov", role="manager",
                         department=russia)
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager", department=italy)
    CounterpartyFactory(responsible=anna, name="Vostok Trade", full_name="LLC Vostok Trade")
    CounterpartyFactory(responsible=anna, name="Severstal VIP", is_vip=True)
    CounterpartyFactory(responsible=dmitry, name="Ural Pipes")
    CounterpartyFactory(responsible=marco, name="Officina Bianchi")
    CounterpartyFactory(responsible=marco, name="Marco's VIP client", is_vip=True)
    return {"admin": admin, "elena": elena, "anna": anna}


def _names(page) -> set[str]:
    return {t.strip() for t in page.locator("table a.rc-primary-link").all_inner_texts()}


def test_each_role_sees_its_share_and_history_shows_ui_and_api_edits(browser, live_server, company, shot):
    def new_page():
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.base_url = live_server.url
        return context, page

    # --- the manager: her clients only; she edits one in the UI and once more through the API.
    context, page = new_page()
    login(page, "anna", "pass-12345")
    page.goto(f"{page.base_url}/counterparties/")
    assert _names(page) == {"Vostok Trade", "Severstal VIP"}
    shot(page, "24-manager-list")
    client = Counterparty.objects.get(name="Vostok Trade")
    page.goto(f"{page.base_url}/counterparties/{client.pk}/edit/")
    page.fill("#id_full_name", "LLC Vostok Trade and Partners")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_url(re.compile(r"/counterparties/[0-9a-f-]{36}/$"))

    page.goto(f"{page.base_url}/settings/tokens/")
    page.fill("#id_name", "Integration script")
    page.select_option("#id_scope", "write")
    page.click("form button[type=submit]:has-text('Create token')")
    page.wait_for_selector("[data-testid=new-token] code")
    token = page.inner_text("[data-testid=new-token] code").strip()
    shot(page, "23-api-tokens")
    response = page.request.patch(f"{page.base_url}/api/v1/counterparties/{client.pk}/",
                                  data={"segment": "wholesale", "is_vip": False, "notes": "Changed by the API"},
                                  headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200, response.text()

    page.goto(f"{page.base_url}/counterparties/{client.pk}/?tab=history")
    history = page.locator("#tab-history [data-testid=history]")
    history.wait_for()
    text = history.inner_text()
    assert "LLC Vostok Trade and Partners" in text and "Web UI" in text
    assert "Changed by the API" in text and "API" in text
    assert "full name" in text.lower() and "Anna Ivanova" in text
    shot(page, "20-history-tab", full_page=True)
    context.close()

    # --- the head of Sales Russia: her department's clients, VIP ones included; not Italy's.
    context, page = new_page()
    login(page, "elena", "pass-12345")
    page.goto(f"{page.base_url}/counterparties/")
    assert _names(page) == {"Vostok Trade", "Severstal VIP", "Ural Pipes"}
    shot(page, "21-head-sees-department")
    hidden = Counterparty.objects.get(name="Marco's VIP client")
    assert page.goto(f"{page.base_url}/counterparties/{hidden.pk}/").status == 404
    context.close()

    # --- the administrator: everyone's clients and the audit log with both edits.
    context, page = new_page()
    login(page, "root", "pass-12345")
    page.goto(f"{page.base_url}/counterparties/")
    assert "Marco's VIP client" in _names(page) and len(_names(page)) == 5
    page.goto(f"{page.base_url}/audit/?q=Vostok")
    assert page.locator("table tbody tr").count() >= 2
    shot(page, "22-admin-audit-log")
    context.close()
