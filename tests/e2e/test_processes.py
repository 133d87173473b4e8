"""Issue #19 in a real browser: a manager starts a process on a deal's card and sees its progress (the first
step done, the next one late and escalated to her head); an administrator writes an automation rule.

Screenshots: tests/e2e/screenshots/150-process-on-deal.png, 151-rule-editor.png, 152-process-on-deal-ru.png.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.access.models import Department
from raccordo.activities.models import TaskStatus
from raccordo.activities.services import task_update
from raccordo.processes.models import ProcessInstance
from raccordo.processes.services import automation_pass
from raccordo.processes.shipped import seed
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, deal_for, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    seed(apps)   # the flush of a browser test removed what the data migration wrote
    ref = reference_data()
    sales = Department.objects.create(name="Sales")
    head = UserFactory(username="giulia", first_name="Giulia", last_name="Bianchi", role="head", department=sales)
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=sales)
    client = CounterpartyFactory(name="Romashka LLC", responsible=anna)
    deal = deal_for(client, ref, title="First order: 40 pallets", amount=480000)
    return {"ref": ref, "head": head, "anna": anna, "deal": deal}


def test_a_manager_starts_a_process_and_follows_it_on_the_deal(page, shot, world):
    anna, deal = world["anna"], world["deal"]
    login(page, "anna", "pass-12345")
    page.goto(f"{page.base_url}/deals/{deal.pk}/")
    box = page.get_by_test_id("process-box")
    box.locator("select[name=template]").select_option(label="A new client's first order")
    box.get_by_test_id("process-start").click()
    expect(box).to_contain_text("0 of 5 steps")
    expect(box).to_contain_text("Call the client and agree what they need")

    # The worker's pass with the clock moved on: step 1 done by Anna, step 2 late and escalated to Giulia.
    instance = ProcessInstance.objects.get(deal=deal)
    first = instance.steps.get(order=0)
    task_update(user=anna, task=first.task, data={"status": TaskStatus.DONE})
    automation_pass(now=timezone.now())
    second = instance.steps.get(order=1)
    automation_pass(now=second.due_at + dt.timedelta(hours=1))
    second.refresh_from_db()
    assert second.escalated_to == world["head"]
    # The page reads "late" from the wall clock: the step's deadline is moved into the past to show it.
    type(second).objects.filter(pk=second.pk).update(due_at=timezone.now() - dt.timedelta(hours=2))

    page.reload()
    box = page.get_by_test_id("process-box")
    expect(box).to_contain_text("1 of 5 steps")
    expect(box).to_contain_text("escalated to Giulia Bianchi")
    expect(box.locator("[data-step-status=done]")).to_have_count(1)
    box.scroll_into_view_if_needed()
    shot(page, "150-process-on-deal")

    page.get_by_role("link", name="A new client's first order").click()
    expect(page.locator("h1")).to_have_text("A new client's first order")
    expect(page.locator("table").first).to_contain_text("Giulia Bianchi")


def test_the_deal_card_in_russian(browser, live_server, shot, world):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ru-RU")
    page = context.new_page()
    page.base_url = live_server.url
    try:
        world["anna"].language = "ru"
        world["anna"].save()
        login(page, "anna", "pass-12345")
        page.goto(f"{page.base_url}/deals/{world['deal'].pk}/")
        box = page.get_by_test_id("process-box")
        box.locator("select[name=template]").select_option(label="Первый заказ нового клиента")
        box.get_by_test_id("process-start").click()
        expect(box).to_contain_text("0 из 5 шагов")
        expect(box).to_contain_text("Позвонить клиенту и согласовать потребность")
        box.scroll_into_view_if_needed()
        shot(page, "152-process-on-deal-ru")
    finally:
        context.close()


def test_an_administrator_writes_a_rule(page, shot, world):
    UserFactory(username="root", first_name="Root", last_name="Admin", role="admin", is_staff=True)
    login(page, "root", "pass-12345")
    page.goto(f"{page.base_url}/settings/")
    page.get_by_test_id("settings-rules").click()
    expect(page.locator("table")).to_contain_text("Tell the client when 1C ships the order")
    page.get_by_test_id("rule-new").click()
    page.fill("input[name=name]", "Offer for big deals")
    page.select_option("select[name=trigger]", "deal_stage")
    page.select_option("select[name=trigger_stage]", label="Proposal")
    page.fill("textarea[name=conditions]", "amount > 100000\nbudget = 5")
    page.select_option("select[name=actions-0-kind]", "create_task")
    page.fill("input[name=actions-0-text]", "Send the commercial offer")
    page.fill("input[name=actions-0-days]", "2")
    page.get_by_test_id("rule-save").click()
    expect(page.locator("#id_conditions_error")).to_contain_text("budget")   # the failing line, by name
    page.fill("textarea[name=conditions]", "amount > 100000\ncounterparty.is_vip = false")
    page.select_option("select[name=actions-0-kind]", "create_task")
    page.fill("input[name=actions-0-text]", "Send the commercial offer")
    page.fill("input[name=actions-0-days]", "2")
    page.get_by_test_id("rule-save").click()
    expect(page.locator("table")).to_contain_text("Offer for big deals")
    page.get_by_role("link", name="Offer for big deals").click()
    expect(page.locator("textarea[name=conditions]")).to_have_value("amount > 100000\ncounterparty.is_vip = false")
    shot(page, "151-rule-editor", full_page=True)
