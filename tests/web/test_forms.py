"""Writes from the web UI: they go through the services, and bad input shows next to the field and saves nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from raccordo.activities.models import Interaction, Task
from raccordo.parties.models import ContactPerson, Counterparty, Phone
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Payment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shared_tags(db):
    """The tags the forms below name exist: a manager uses shared tags, only administrators add them (L3)."""
    from raccordo.parties.services import tag_get_or_create

    for name in ("wholesale", "Moscow"):
        tag_get_or_create(user=None, name=name)


def counterparty_post(**overrides):
    data = {"kind": "legal", "name": "Gvozdika", "full_name": "LLC Gvozdika", "inn": factories.inn10(7),
            "country": "RU", "phone": "+7 495 765-43-21", "email": "info@gvozdika.example", "tag_names": "wholesale, Moscow"}
    data.update(overrides)
    return data


def invoice_post(counterparty, own_company, lines, **overrides):
    data = {"own_company": own_company.pk, "counterparty": counterparty.pk, "date": "2026-11-20",
            "due_date": "2026-11-30", "currency": "RUB", "vat_included": "on", "comment": "",
            "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000"}
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    data.update(overrides)
    return data


def field_errors(response, name):
    return response.context["form"].errors.get(name, [])


# --- Counterparties ---------------------------------------------------------------------------------------------

def test_create_counterparty(manager_client, manager):
    response = manager_client.post(reverse("web:counterparty_create"), counterparty_post())
    assert response.status_code == 302
    counterparty = Counterparty.objects.get(name="Gvozdika")
    assert response["Location"] == reverse("web:counterparty_detail", args=[counterparty.pk])
    assert counterparty.responsible == manager
    assert counterparty.phones.get().number == "+74957654321"
    assert counterparty.emails.get().address == "info@gvozdika.example"
    assert sorted(t.name for t in counterparty.tags.all()) == ["Moscow", "wholesale"]
    page = manager_client.get(response["Location"])
    assert "Gvozdika" in page.content.decode()
    assert "toast" in page.content.decode()  # "created" message rendered as a toast


def test_manager_cannot_hand_counterparty_to_someone_else(manager_client, manager, other_manager):
    response = manager_client.post(reverse("web:counterparty_create"),
                                   counterparty_post(responsible=str(other_manager.pk)))
    assert response.status_code == 302
    assert Counterparty.objects.get(name="Gvozdika").responsible == manager


def test_admin_chooses_responsible(client, admin_user, other_manager):
    client.force_login(admin_user)
    response = client.post(reverse("web:counterparty_create"), counterparty_post(responsible=str(other_manager.pk)))
    assert response.status_code == 302
    assert Counterparty.objects.get(name="Gvozdika").responsible == other_manager


def test_bad_inn_shows_next_to_field_and_saves_nothing(manager_client):
    bad = factories.inn10(7)[:-1] + str((int(factories.inn10(7)[-1]) + 1) % 10)
    response = manager_client.post(reverse("web:counterparty_create"), counterparty_post(inn=bad))
    assert response.status_code == 200
    assert field_errors(response, "inn")
    assert 'id="id_inn_error"' in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Counterparty.objects.exists()
    assert not Phone.objects.exists()


def test_malformed_phone_shows_next_to_field_and_rolls_back(manager_client):
    response = manager_client.post(reverse("web:counterparty_create"), counterparty_post(phone="12-ab"))
    assert response.status_code == 200
    assert field_errors(response, "phone")
    assert 'id="id_phone_error"' in response.content.decode()
    assert not Counterparty.objects.exists()


def test_missing_name_is_a_field_error(manager_client):
    response = manager_client.post(reverse("web:counterparty_create"), counterparty_post(name=""))
    assert field_errors(response, "name")
    assert not Counterparty.objects.exists()


def test_edit_counterparty(manager_client, world):
    cp = world["mine"]["counterparty"]
    response = manager_client.post(reverse("web:counterparty_edit", args=[cp.pk]), counterparty_post(
        name="Romashka Plus", inn=cp.inn, phone="", email="", is_vip="on"))
    assert response.status_code == 302
    cp.refresh_from_db()
    assert cp.name == "Romashka Plus" and cp.is_vip


def test_edit_with_bad_phone_changes_nothing(manager_client, world):
    cp = world["mine"]["counterparty"]
    response = manager_client.post(reverse("web:counterparty_edit", args=[cp.pk]), counterparty_post(
        name="Renamed", inn=cp.inn, phone="not a phone", email=""))
    assert response.status_code == 200
    assert field_errors(response, "phone")
    cp.refresh_from_db()
    assert cp.name == "Romashka"


def test_add_contact_on_card(manager_client, world):
    cp = world["mine"]["counterparty"]
    url = reverse("web:counterparty_contact_add", args=[cp.pk])
    response = manager_client.post(url, {"first_name": "Olga", "last_name": "Petrova", "position": "Buyer",
                                         "phone": "+7 916 123-45-67", "email": "olga@example.com"})
    assert response.status_code == 302
    contact = ContactPerson.objects.get(first_name="Olga")
    assert contact.counterparty == cp and contact.phones.count() == 1
    response = manager_client.post(url, {"first_name": "Bad", "phone": "12"})
    assert response.status_code == 200
    assert response.context["contact_form"].errors["phone"]
    assert not ContactPerson.objects.filter(first_name="Bad").exists()


def test_create_contact_page_offers_only_visible_counterparties(manager_client, world):
    response = manager_client.post(reverse("web:contact_create"), {
        "counterparty": world["theirs"]["counterparty"].pk, "first_name": "Sneaky"})
    assert response.status_code == 200
    assert field_errors(response, "counterparty")
    assert not ContactPerson.objects.filter(first_name="Sneaky").exists()


def test_log_interaction(manager_client, world):
    cp = world["mine"]["counterparty"]
    response = manager_client.post(reverse("web:counterparty_log", args=[cp.pk]),
                                   {"kind": "note", "direction": "out", "subject": "Sent the price list"})
    assert response.status_code == 302
    assert Interaction.objects.filter(subject="Sent the price list", counterparty=cp).exists()


# --- Deals ------------------------------------------------------------------------------------------------------

def test_create_deal_and_move_it(manager_client, world):
    ref, cp = world["ref"], world["mine"]["counterparty"]
    response = manager_client.post(reverse("web:deal_create"), {
        "title": "Pipes for the new plant", "counterparty": cp.pk, "amount": "150000", "currency": "rub"})
    assert response.status_code == 302
    deal = Deal.objects.get(title="Pipes for the new plant")
    assert deal.stage == ref["stages"]["New"] and deal.currency == "RUB"
    response = manager_client.post(reverse("web:deal_move", args=[deal.pk]), {"stage": ref["stages"]["Proposal"].pk})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == ref["stages"]["Proposal"]
    # Lost needs a reason: the deal stays where it is and an error toast says why.
    response = manager_client.post(reverse("web:deal_move", args=[deal.pk]), {"stage": ref["stages"]["Lost"].pk},
                                   follow=True)
    deal.refresh_from_db()
    assert deal.stage == ref["stages"]["Proposal"]
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_deal_for_invisible_counterparty_is_refused(manager_client, world):
    response = manager_client.post(reverse("web:deal_create"), {
        "title": "Sneaky", "counterparty": world["theirs"]["counterparty"].pk, "amount": "1", "currency": "RUB"})
    assert response.status_code == 200
    assert field_errors(response, "counterparty")
    assert not Deal.objects.filter(title="Sneaky").exists()


def test_deal_unknown_currency(manager_client, world):
    response = manager_client.post(reverse("web:deal_create"), {
        "title": "Odd money", "counterparty": world["mine"]["counterparty"].pk, "amount": "1", "currency": "ZZZ"})
    assert field_errors(response, "currency")
    assert not Deal.objects.filter(title="Odd money").exists()


def test_invoice_from_deal(manager_client, world):
    deal = world["mine"]["deal"]
    response = manager_client.post(reverse("web:deal_invoice", args=[deal.pk]))
    assert response.status_code == 302
    invoice = Invoice.objects.filter(deal=deal).get()
    assert response["Location"] == reverse("web:invoice_detail", args=[invoice.pk])
    assert invoice.total == Decimal("1000.00") and invoice.status == InvoiceStatus.DRAFT


# --- Invoices ---------------------------------------------------------------------------------------------------

def test_create_issue_and_pay_invoice(manager_client, world):
    ref, cp = world["ref"], world["mine"]["counterparty"]
    product = world["product"]
    response = manager_client.post(reverse("web:invoice_create"), invoice_post(cp, ref["own_company"], [
        {"product": product.pk, "description": "", "quantity": "3", "price": "", "discount_percent": "", "vat_rate": ""},
        {"product": "", "description": "Delivery", "quantity": "1", "price": "500", "discount_percent": "10",
         "vat_rate": "20"},
    ]))
    assert response.status_code == 302, response.context["form"].errors
    invoice = Invoice.objects.get(counterparty=cp, status=InvoiceStatus.DRAFT)
    assert invoice.lines.count() == 2
    assert invoice.total == Decimal("750.00")  # 3 x 100 (wholesale price) + 500 - 10 %
    response = manager_client.post(reverse("web:invoice_issue", args=[invoice.pk]))
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number
    response = manager_client.post(reverse("web:invoice_payment", args=[invoice.pk]),
                                   {"amount": "750", "date": "2026-11-25", "number": "PP-17"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.filter(number="PP-17").exists()


def test_negative_quantity_shows_next_to_field_and_saves_nothing(manager_client, world):
    ref, cp = world["ref"], world["mine"]["counterparty"]
    before = Invoice.objects.count()
    response = manager_client.post(reverse("web:invoice_create"), invoice_post(cp, ref["own_company"], [
        {"description": "Widgets", "quantity": "-2", "price": "10"}]))
    assert response.status_code == 200
    line_form = response.context["formset"].forms[0]
    assert line_form.errors["quantity"]
    assert 'id="id_lines-0-quantity_error"' in response.content.decode()
    assert Invoice.objects.count() == before


def test_unknown_currency_shows_next_to_field_and_saves_nothing(manager_client, world):
    ref, cp = world["ref"], world["mine"]["counterparty"]
    before = Invoice.objects.count()
    response = manager_client.post(reverse("web:invoice_create"), invoice_post(cp, ref["own_company"], [
        {"description": "Widgets", "quantity": "2", "price": "10"}], currency="ABC"))
    assert response.status_code == 200
    assert field_errors(response, "currency")
    assert 'id="id_currency_error"' in response.content.decode()
    assert Invoice.objects.count() == before


def test_invoice_needs_a_line(manager_client, world):
    ref, cp = world["ref"], world["mine"]["counterparty"]
    before = Invoice.objects.count()
    response = manager_client.post(reverse("web:invoice_create"), invoice_post(cp, ref["own_company"], [
        {"description": "", "quantity": "", "price": ""}]))
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert Invoice.objects.count() == before


def test_invoice_for_invisible_counterparty_is_refused(manager_client, world):
    ref = world["ref"]
    before = Invoice.objects.count()
    response = manager_client.post(reverse("web:invoice_create"), invoice_post(
        world["theirs"]["counterparty"], ref["own_company"], [{"description": "X", "quantity": "1", "price": "1"}]))
    assert field_errors(response, "counterparty")
    assert Invoice.objects.count() == before


def test_edit_draft_invoice_lines(manager_client, world):
    ref, cp = world["ref"], world["mine"]["counterparty"]
    manager_client.post(reverse("web:invoice_create"), invoice_post(cp, ref["own_company"], [
        {"description": "Widgets", "quantity": "2", "price": "10"}]))
    invoice = Invoice.objects.get(counterparty=cp, status=InvoiceStatus.DRAFT)
    line = invoice.lines.get()
    data = invoice_post(cp, ref["own_company"], [{"id": line.pk, "description": "Widgets", "quantity": "5",
                                                  "price": "10"}])
    data["lines-INITIAL_FORMS"] = "1"
    response = manager_client.post(reverse("web:invoice_edit", args=[invoice.pk]), data)
    assert response.status_code == 302, response.context["formset"].errors
    invoice.refresh_from_db()
    assert invoice.total == Decimal("50.00")


# --- Tasks ------------------------------------------------------------------------------------------------------

def test_create_task_and_mark_done(manager_client, manager, world):
    response = manager_client.post(reverse("web:task_create"), {
        "title": "Send the contract", "counterparty": world["mine"]["counterparty"].pk, "due_at": "2026-12-01T10:00",
        "priority": "high"})
    assert response.status_code == 302
    task = Task.objects.get(title="Send the contract")
    assert task.assignee == manager
    response = manager_client.post(reverse("web:task_status", args=[task.pk]), {"status": "done", "next": "/tasks/"})
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at


def test_task_status_refuses_foreign_redirects(manager_client, world):
    task = world["mine"]["task"]
    response = manager_client.post(reverse("web:task_status", args=[task.pk]),
                                   {"status": "done", "next": "https://evil.example/"})
    assert response["Location"] == reverse("web:task_detail", args=[task.pk])


def test_edit_form_keeps_website(manager_client, world):
    cp = world["mine"]["counterparty"]
    manager_client.post(reverse("web:counterparty_edit", args=[cp.pk]), counterparty_post(
        name="Romashka", inn=cp.inn, phone="", email="", website="https://romashka.example"))
    response = manager_client.get(reverse("web:counterparty_edit", args=[cp.pk]))
    assert 'value="https://romashka.example"' in response.content.decode()


def test_bad_phone_is_caught_by_the_form_before_the_service(manager_client):
    response = manager_client.post(reverse("web:counterparty_create"), counterparty_post(inn="1234567890", phone="12ab"))
    assert field_errors(response, "phone")
    assert not Counterparty.objects.exists()
