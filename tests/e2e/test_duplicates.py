"""Issue #17 in a real browser: duplicates caught where they start, merging, and the search that ignores hyphens.

A manager, in Russian, types the INN of a colleague's client (only "exists, responsible: ..." and a request
for access) and then of her own (its link, live, before saving); an administrator merges two counterparties;
a pasted "Волгатерм" finds "Волга-Терм" (Playwright's fill sends `input`, no key at all, as a paste does).

Screenshots: tests/e2e/screenshots/60-duplicate-hidden-ru.png, 61-duplicate-visible-ru.png,
62-merge-compare.png, 63-merge-done.png, 64-search-pasted.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from raccordo.access.models import Department
from raccordo.activities.models import Task
from raccordo.parties.models import Counterparty
from tests.e2e.conftest import login
from tests.factories import (
    ContactPersonFactory,
    CounterpartyFactory,
    UserFactory,
    deal_for,
    inn10,
    reference_data,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def company(transactional_db):
    ref = reference_data()
    russia = Department.objects.create(name="Sales Russia")
    admin = UserFactory(username="root", first_name="Root", last_name="Admin", role="admin", is_staff=True)
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=russia)
    dmitry = UserFactory(username="dmitry", first_name="Dmitry", last_name="Sokolov", role="manager",
                         department=russia)
    theirs = CounterpartyFactory(responsible=dmitry, name="Энергоресурс VIP", is_vip=True, inn=inn10(41), kpp="")
    mine = CounterpartyFactory(responsible=anna, name="Волга-Терм", inn=inn10(42), kpp="")
    twin = CounterpartyFactory(responsible=dmitry, name="Волгатерм (дубль)", inn=inn10(42), kpp="",
                               full_name="ООО «Волгатерм»", website="https://volgaterm.example")
    ContactPersonFactory(counterparty=twin, last_name="Петров", first_name="Иван")
    deal_for(twin, ref, title="Котельная")
    return {"admin": admin, "anna": anna, "dmitry": dmitry, "theirs": theirs, "mine": mine, "twin": twin}


def _new_counterparty(page, name: str, inn: str) -> None:
    page.goto(f"{page.base_url}/counterparties/new/")
    page.fill("input[name=name]", name)
    page.fill("input[name=inn]", inn)
    page.locator("input[name=inn]").dispatch_event("change")


def test_a_manager_meets_duplicates_before_saving(page, company, shot):
    login(page, "anna", "pass-12345")
    page.select_option("#language-switch", "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # dmitry's VIP client: only its manager, and a request for access
    _new_counterparty(page, "Проба", inn10(41))
    box = page.locator("[data-duplicates]")
    expect(box).to_contain_text("Dmitry Sokolov")
    expect(box).not_to_contain_text("Энергоресурс")
    page.click("button[type=submit].btn-primary")
    expect(page.locator("[data-request-access]")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Энергоресурс")
    shot(page, "60-duplicate-hidden-ru")
    page.click("[data-request-access]")
    expect(page.locator(".toast, .alert").first).to_contain_text("Dmitry Sokolov")
    assert Task.objects.filter(assignee=company["dmitry"], author=company["anna"]).count() == 1

    # her own client: named and linked as soon as the INN is typed
    _new_counterparty(page, "Волгатерм", inn10(42))
    expect(page.locator("[data-duplicates] a")).to_have_text("Волга-Терм")
    shot(page, "61-duplicate-visible-ru")
    page.click("button[type=submit].btn-primary")
    page.check("#id_duplicate_confirmed")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url("**/counterparties/*/")
    assert Counterparty.objects.filter(inn=inn10(42)).count() == 3


def test_an_administrator_merges_two_counterparties(page, company, shot):
    mine, twin = company["mine"], company["twin"]
    login(page, "root", "pass-12345")
    page.goto(f"{page.base_url}/counterparties/{mine.pk}/")
    page.get_by_test_id("card-menu").click()     # the card's other actions are in its "⋯" menu
    page.get_by_role("link", name="Merge a duplicate").click()
    page.locator("[data-merge-candidates]").get_by_role("link", name="Choose").first.click()
    expect(page.locator("[data-merge-compare]")).to_contain_text("ООО «Волгатерм»")
    shot(page, "62-merge-compare", full_page=True)
    page.click("[data-merge-confirm]")
    page.wait_for_url(f"**/counterparties/{mine.pk}/")
    expect(page.locator(".toast, .alert").first).to_contain_text("merged")
    shot(page, "63-merge-done")
    assert not Counterparty.objects.filter(pk=twin.pk).exists()


def test_a_pasted_name_searches_without_hyphens(page, company, shot):
    login(page, "anna", "pass-12345")
    page.fill("#global-search", "Волгатерм")   # no key pressed: what a paste with the mouse does
    results = page.locator("#global-search-results")
    results.get_by_text("Волга-Терм").first.wait_for()
    shot(page, "64-search-pasted")
