"""Security finding H1 in a real browser: a manager changes her own password from the user menu, and only the
new one lets her in afterwards."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.factories import UserFactory, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_H1_a_manager_changes_her_password_in_the_browser(page, shot):
    reference_data()
    UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager")
    login(page, "anna", "pass-12345")
    page.locator("header .dropdown > button").click()
    page.get_by_role("link", name="Change password").click()
    expect(page.locator("h1")).to_have_text("Change password")
    page.fill("input[name=old_password]", "pass-12345")
    page.fill("input[name=new_password1]", "Vesna-na-Volge-2027")
    page.fill("input[name=new_password2]", "Vesna-na-Volge-2027")
    shot(page, "50-password-change")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state("networkidle")
    assert "/settings/password/" not in page.url

    page.locator("header .dropdown > button").click()
    page.get_by_role("button", name="Log out").click()
    login(page, "anna", "pass-12345")
    assert "/login/" in page.url   # the old password no longer opens the door
    login(page, "anna", "Vesna-na-Volge-2027")
    assert "/login/" not in page.url
