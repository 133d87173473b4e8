"""Issue #17 in a real browser: an administrator keeps users and funnels in the app's own Settings pages (no
Django admin), a manager switches her language in her profile and keeps it after signing in again from an
English browser, and the counterparty card takes an address.

Screenshots: tests/e2e/screenshots/70-settings.png, 71-settings-new-user.png, 72-settings-funnel-stages.png,
73-settings-users-ru.png, 74-profile-language-ru.png, 75-settings-email.png, 76-counterparty-address-ru.png.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from raccordo.access.models import Department
from raccordo.sales.models import Stage
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _context(browser, live_server, locale="en-US"):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale=locale)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    return context, page


def test_an_administrator_creates_a_user_and_a_stage(page, shot):
    reference_data()
    Department.objects.create(name="Sales Russia")
    UserFactory(username="root", first_name="Root", last_name="Admin", role="admin", is_staff=True)
    login(page, "root", "pass-12345")
    page.locator("nav.rc-sidebar").get_by_role("link", name="Settings").click()
    expect(page.locator("h1")).to_have_text("Settings")
    shot(page, "70-settings")

    page.get_by_test_id("settings-users").click()
    page.get_by_test_id("settings-new").click()
    page.fill("input[name=username]", "olga")
    page.fill("input[name=first_name]", "Olga")
    page.fill("input[name=last_name]", "Petrova")
    page.fill("input[name=email]", "olga@example.com")
    page.select_option("#id_language", "ru")   # the form's, not the top bar's switch
    page.select_option("select[name=role]", "head")
    page.select_option("select[name=department]", label="Sales Russia")
    page.fill("input[name=password1]", "Volga-evening-2026")
    page.fill("input[name=password2]", "Volga-evening-2027")          # a typo: refused next to the field
    page.get_by_test_id("settings-save").click()
    expect(page.locator("#id_password2_error")).to_be_visible()
    page.fill("input[name=password1]", "Volga-evening-2026")
    page.fill("input[name=password2]", "Volga-evening-2026")
    page.locator("#id_password2").scroll_into_view_if_needed()
    shot(page, "71-settings-new-user")
    page.get_by_test_id("settings-save").click()
    expect(page.locator("table")).to_contain_text("Olga Petrova")
    olga = get_user_model().objects.get(username="olga")
    assert (olga.role, olga.department.name, olga.language) == ("head", "Sales Russia", "ru")

    page.goto(f"{page.base_url}/settings/funnels/")
    page.get_by_role("link", name="Sales", exact=True).click()
    page.get_by_test_id("stage-add").click()
    page.fill("input[name=name]", "Contract signed")
    page.fill("input[name=order]", "4")
    page.select_option("select[name=kind]", "won")
    page.fill("input[name=probability]", "100")
    page.get_by_test_id("settings-save").click()
    expect(page.locator("h1")).to_have_text("Sales")                    # back on the funnel, the stage listed
    expect(page.locator("section.rc-panel").filter(has_text="Stages")).to_contain_text("Contract signed")
    shot(page, "72-settings-funnel-stages")
    assert Stage.objects.get(name="Contract signed").kind == "won"

    # E-mail: what is set, and how to set it, instead of an errno (no mail server in the tests' settings).
    page.goto(f"{page.base_url}/settings/")
    page.get_by_test_id("settings-email").click()
    expect(page.get_by_test_id("mail-state")).to_be_visible()
    shot(page, "75-settings-email")

    # The new head signs in from an English browser and gets Russian, the language set for her.
    page.locator("header .dropdown > button").click()
    page.get_by_role("button", name="Log out").click()
    login(page, "olga", "Volga-evening-2026")
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def test_a_manager_switches_her_language_and_keeps_it(browser, live_server, shot):
    reference_data()
    UserFactory(username="root", first_name="Root", last_name="Admin", role="admin", is_staff=True,
                language="ru")
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager")
    client = CounterpartyFactory(responsible=anna, name="Vostok Trade", full_name="LLC Vostok Trade")

    context, page = _context(browser, live_server)
    login(page, "anna", "pass-12345")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("header .dropdown > button").click()
    page.get_by_role("link", name="Profile and language").click()
    page.select_option("#id_language", "ru")   # the form's, not the top bar's switch
    page.get_by_test_id("profile-save").click()
    expect(page.locator("h1")).to_have_text("Профиль")
    shot(page, "74-profile-language-ru")
    context.close()

    # A fresh English browser, no cookie: her choice still wins after signing in.
    context, page = _context(browser, live_server)
    login(page, "anna", "pass-12345")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{page.base_url}/counterparties/{client.pk}/?tab=overview")
    page.get_by_test_id("address-add").click()
    page.fill("input[name=text]", "Москва, ул. Тверская, д. 1")
    page.fill("input[name=postcode]", "125009")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#addresses")).to_contain_text("Тверская")
    page.locator("#addresses").scroll_into_view_if_needed()
    shot(page, "76-counterparty-address-ru")
    context.close()

    # The administrator, Russian by preference, sees the users page in Russian.
    context, page = _context(browser, live_server)
    login(page, "root", "pass-12345")
    page.goto(f"{page.base_url}/settings/users/")
    expect(page.locator("h1")).to_have_text("Пользователи")
    shot(page, "73-settings-users-ru")
    # ...and the e-mail state in Russian too: what is set and how, never an errno.
    page.goto(f"{page.base_url}/settings/")
    page.get_by_test_id("settings-email").click()
    state = page.get_by_test_id("mail-state")
    expect(state).to_be_visible()
    assert "Errno" not in page.content() and state.inner_text().strip()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    context.close()
