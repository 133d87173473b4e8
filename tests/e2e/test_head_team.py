"""A head of sales runs her team, in a real browser (issue #17): her dashboard shows her people with their
pipeline and what is late, each figure opens the list behind it; tasks open on her team; she gives a task to
one of her managers and two clients to another; the deal form offers only the chosen client's contacts. In
English, then in Italian.

Screenshots: tests/e2e/screenshots/65-team-dashboard.png, 66-task-form-assignee.png, 67-reassign-clients.png,
68-deal-contact-it.png, 69-team-dashboard-it.png.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.access.models import Department
from raccordo.activities.models import Task
from raccordo.parties.models import Counterparty
from raccordo.sales.models import Deal, Invoice, InvoiceStatus
from tests.e2e.conftest import login
from tests.factories import ContactPersonFactory, CounterpartyFactory, UserFactory, deal_for, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def company(transactional_db):
    ref = reference_data()
    russia = Department.objects.create(name="Sales Russia")
    italy = Department.objects.create(name="Sales Italy")
    elena = UserFactory(username="elena", first_name="Elena", last_name="Morozova", role="head", department=russia)
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=russia)
    dmitry = UserFactory(username="dmitry", first_name="Dmitry", last_name="Sokolov", role="manager",
                         department=russia)
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager", department=italy)
    now = timezone.now()
    for name, person, amount in (("Vostok Trade", anna, "150000"), ("Severstal Supply", anna, "82000"),
                                 ("Ural Pipes", dmitry, "47500")):
        cp = CounterpartyFactory(responsible=person, name=name)
        ContactPersonFactory(counterparty=cp, first_name=f"Contact of {name.split()[0]}", last_name="")
        deal_for(cp, ref, title=f"Boilers for {name}", amount=Decimal(amount), currency="RUB")
        Task.objects.create(title=f"Call {name}", assignee=person, counterparty=cp, due_at=now - dt.timedelta(days=2))
        Invoice.objects.create(own_company=ref["own_company"], counterparty=cp, number=f"RT-{name[:3]}",
                               date=timezone.localdate() - dt.timedelta(days=20), currency="RUB",
                               due_date=timezone.localdate() - dt.timedelta(days=5), status=InvoiceStatus.ISSUED,
                               subtotal=Decimal("15680"), total=Decimal("15680"), responsible=person)
    planned = Deal.objects.get(title="Boilers for Ural Pipes")
    Task.objects.create(title="Send the offer", assignee=dmitry, counterparty=planned.counterparty, deal=planned,
                        due_at=now + dt.timedelta(days=1))
    CounterpartyFactory(responsible=marco, name="Officina Bianchi")
    return {"elena": elena, "anna": anna, "dmitry": dmitry, "marco": marco}


def _switch_language(page, code: str) -> None:
    page.select_option("#language-switch", code)
    page.wait_for_load_state("networkidle")


def _team_rows(page) -> dict[str, str]:
    rows = page.locator("[data-testid=team-row]")
    return {rows.nth(i).locator("td").first.inner_text().strip(): rows.nth(i).inner_text()
            for i in range(rows.count())}


def test_head_runs_her_team_in_english_and_italian(page, company, shot):
    login(page, "elena", "pass-12345")
    base = page.base_url

    # The dashboard: her people only (Marco is in Italy), each with pipeline and what is late.
    page.wait_for_selector("[data-testid=team-panel]")
    rows = _team_rows(page)
    assert set(rows) == {"Elena Morozova", "Anna Ivanova", "Dmitry Sokolov"}
    anna_row = page.locator("[data-testid=team-row]", has_text="Anna Ivanova")
    assert anna_row.locator("[data-testid=team-open-deals]").inner_text() == "2"
    assert anna_row.locator("[data-testid=team-no-next-step]").inner_text() == "2"
    assert page.locator("[data-testid=team-row]", has_text="Dmitry Sokolov").locator(
        "[data-testid=team-no-next-step]").inner_text() == "0"
    shot(page, "65-team-dashboard")

    # A figure opens the list behind it: Anna's overdue tasks.
    anna_row.locator("[data-testid=team-overdue-tasks]").click()
    page.wait_for_load_state("networkidle")
    titles = page.locator("#results table a.rc-primary-link").all_inner_texts()
    assert sorted(t.strip() for t in titles) == ["Call Severstal Supply", "Call Vostok Trade"]

    # Tasks open on her team, not on "Assigned to me" (which showed her nothing).
    page.goto(f"{base}/tasks/")
    assert page.locator("[data-testid=chip-team]").is_checked()
    assert page.locator("#results table a.rc-primary-link").count() == 4

    # She gives a task to one of her managers: the assignee list holds exactly her people.
    page.goto(f"{base}/tasks/new/")
    options = {o.strip() for o in page.locator("#id_assignee option").all_inner_texts()} - {"---------"}
    assert options == {"Elena Morozova", "Anna Ivanova", "Dmitry Sokolov"}
    page.fill("#id_title", "Visit Vostok Trade with the new price list")
    page.select_option("#id_assignee", label="Dmitry Sokolov")
    # The deal list follows the chosen client (it listed every deal of every client).
    page.select_option("#id_counterparty", label="Vostok Trade")
    expect(page.locator("#id_deal option")).to_have_count(2)
    expect(page.locator("#id_deal")).to_contain_text("Boilers for Vostok Trade")
    page.select_option("#id_deal", label="Boilers for Vostok Trade")
    shot(page, "66-task-form-assignee")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    task = Task.objects.get(title__startswith="Visit Vostok")
    assert (task.assignee, task.deal.title) == (company["dmitry"], "Boilers for Vostok Trade")

    # She gives two of Anna's clients to Dmitry from the list, their open deals and tasks with them.
    page.goto(f"{base}/counterparties/?team=1")
    boxes = page.locator("input[name=ids]")
    assert boxes.count() == 3  # her team's three clients; Marco's is not in "My team"
    page.locator("[data-testid=select-all]").check()
    assert all(boxes.nth(i).is_checked() for i in range(3))
    page.locator("[data-testid=select-all]").uncheck()
    assert not any(boxes.nth(i).is_checked() for i in range(3))
    for name in ("Vostok Trade", "Severstal Supply"):
        page.locator("tr", has_text=name).locator("input[name=ids]").check()
    page.click("[data-testid=bulk-reassign]")
    page.wait_for_selector("[data-testid=reassign-selected]")
    page.select_option("#id_to_user", label="Dmitry Sokolov")
    shot(page, "67-reassign-clients")
    page.click("[data-testid=reassign-submit]")
    page.wait_for_load_state("networkidle")
    assert "Given to Dmitry Sokolov: 2 counterparties, 2 open deals, 2 open tasks." in page.inner_text("body")
    assert set(Counterparty.objects.filter(responsible=company["dmitry"]).values_list("name", flat=True)) == {
        "Vostok Trade", "Severstal Supply", "Ural Pipes"}
    assert not Deal.objects.filter(manager=company["anna"]).exists()

    # In Italian: the deal form offers only the chosen client's contacts, and the deal shows its contact.
    page.goto(f"{base}/deals/")
    _switch_language(page, "it")
    assert page.get_attribute("html", "lang") == "it"
    page.goto(f"{base}/deals/new/")
    page.fill("#id_title", "Caldaie per Vostok Trade")
    page.select_option("#id_counterparty", label="Ural Pipes")
    expect(page.locator("#id_contact option")).to_have_count(2)
    expect(page.locator("#id_contact")).to_contain_text("Contact of Ural")
    assert page.locator("#id_contact option").all_inner_texts()[1].strip() == "Contact of Ural"
    page.select_option("#id_counterparty", label="Vostok Trade")
    expect(page.locator("#id_contact")).to_contain_text("Contact of Vostok")
    expect(page.locator("#id_contact option")).to_have_count(2)
    page.select_option("#id_contact", index=1)
    shot(page, "68-deal-contact-it")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Contact of Vostok" in page.inner_text("[data-testid=deal-contact]")
    assert Deal.objects.get(title="Caldaie per Vostok Trade").contact.counterparty.name == "Vostok Trade"

    page.goto(f"{base}/")
    page.wait_for_selector("[data-testid=team-panel]")
    assert "Il mio team" in page.inner_text("[data-testid=team-panel]")
    assert "Nessun passo successivo" in page.inner_text("[data-testid=team-panel]")
    shot(page, "69-team-dashboard-it")
