"""Deals, invoices and payments through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from raccordo.sales.models import Deal, Invoice, InvoiceLine, Payment
from tests import factories

from .conftest import client_for, ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(manager):
    return factories.CounterpartyFactory(responsible=manager)


@pytest.fixture
def theirs(other_manager):
    return factories.CounterpartyFactory(responsible=other_manager)


def invoice_payload(counterparty, **overrides):
    payload = {"counterparty": str(counterparty.pk), "currency": "RUB",
               "lines": [{"description": "Bolts", "quantity": "3", "price": "100.00", "vat_rate": "20"}]}
    payload.update(overrides)
    return payload


# --- deals ---------------------------------------------------------------------------------------------------------

def test_create_deal_with_lines(api, manager, mine, reference_data):
    product = factories.product_with_stock(reference_data)
    response = api.post("/api/v1/deals/", {
        "title": "Spring order", "counterparty": str(mine.pk),
        "lines": [{"product": str(product.pk), "quantity": "2", "price": "150.00"}]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stage"] == str(reference_data["stages"]["New"].pk)
    assert body["manager"] == str(manager.pk)
    assert Decimal(body["amount"]) == Decimal("300.00")
    assert body["lines"][0]["description"] == product.name


def test_deal_on_another_managers_counterparty_is_refused(api, theirs, reference_data):
    response = api.post("/api/v1/deals/", {"title": "Poach", "counterparty": str(theirs.pk)}, format="json")
    assert response.status_code in (400, 404)
    assert "counterparty" in response.json()["extra"]
    assert not Deal.objects.exists()


def test_deal_contact_must_belong_to_its_counterparty(api, manager, mine, reference_data):
    other_mine = factories.CounterpartyFactory(responsible=manager)
    contact = factories.ContactPersonFactory(counterparty=other_mine)
    response = api.post("/api/v1/deals/", {"title": "Mixed", "counterparty": str(mine.pk),
                                           "contact": str(contact.pk)}, format="json")
    assert response.status_code == 400
    assert "contact" in response.json()["extra"]
    assert not Deal.objects.exists()


def test_deal_with_unknown_currency_is_400(api, mine, reference_data):
    response = api.post("/api/v1/deals/", {"title": "Gold", "counterparty": str(mine.pk), "currency": "XYZ"},
                        format="json")
    assert response.status_code == 400
    assert "currency" in response.json()["extra"]
    assert not Deal.objects.exists()


def test_move_deal_by_changing_its_stage(api, mine, reference_data):
    deal = factories.deal_for(mine, reference_data)
    url = f"/api/v1/deals/{deal.pk}/"
    lost = reference_data["stages"]["Lost"]
    response = api.patch(url, {"stage": str(lost.pk)}, format="json")
    assert response.status_code == 400 and "lost_reason" in response.json()["extra"]
    response = api.patch(url, {"stage": str(lost.pk), "lost_reason": "Too expensive"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["closed_at"] is not None
    deal.refresh_from_db()
    assert deal.stage == lost and deal.lost_reason == "Too expensive"


def test_deal_cannot_be_moved_to_another_managers_counterparty(api, mine, theirs, reference_data):
    deal = factories.deal_for(mine, reference_data)
    response = api.patch(f"/api/v1/deals/{deal.pk}/", {"counterparty": str(theirs.pk)}, format="json")
    assert response.status_code == 400
    deal.refresh_from_db()
    assert deal.counterparty == mine


def test_deal_filters(api, mine, theirs, reference_data):
    deal = factories.deal_for(mine, reference_data)
    factories.deal_for(theirs, reference_data)
    new = reference_data["stages"]["New"]
    assert ids(api.get("/api/v1/deals/", {"stage": str(new.pk)})) == {str(deal.pk)}
    assert ids(api.get("/api/v1/deals/", {"funnel": str(reference_data["funnel"].pk)})) == {str(deal.pk)}
    assert ids(api.get("/api/v1/deals/", {"counterparty": str(theirs.pk)})) == set()
    assert ids(api.get("/api/v1/deals/", {"is_open": "false"})) == set()


# --- invoices ------------------------------------------------------------------------------------------------------

def test_create_invoice_computes_totals_and_issue(api, manager, mine, reference_data):
    response = api.post("/api/v1/invoices/", invoice_payload(mine), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["number"] == ""
    assert Decimal(body["total"]) == Decimal("300.00")
    assert Decimal(body["vat_amount"]) == Decimal("50.00")
    assert body["own_company"] == str(reference_data["own_company"].pk)
    assert body["responsible"] == str(manager.pk)

    issued = api.post(f"/api/v1/invoices/{body['id']}/issue/")
    assert issued.status_code == 200, issued.content
    assert issued.json()["status"] == "issued" and issued.json()["number"]
    again = api.post(f"/api/v1/invoices/{body['id']}/issue/")
    assert again.status_code == 400 and again.json()["code"] == "sales.invoice.not_draft"

    locked = api.patch(f"/api/v1/invoices/{body['id']}/", {"currency": "EUR"}, format="json")
    assert locked.status_code == 400 and locked.json()["code"] == "sales.invoice.locked"


def test_invoice_with_negative_quantity_is_400(api, mine, reference_data):
    payload = invoice_payload(mine, lines=[{"description": "Refund", "quantity": "-1", "price": "10"}])
    response = api.post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 400
    assert "lines" in response.json()["extra"]
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()


def test_invoice_with_unknown_currency_is_400(api, mine, reference_data):
    response = api.post("/api/v1/invoices/", invoice_payload(mine, currency="ZZZ"), format="json")
    assert response.status_code == 400
    assert "currency" in response.json()["extra"]
    assert not Invoice.objects.exists()


def test_invoice_without_lines_is_400(api, mine, reference_data):
    response = api.post("/api/v1/invoices/", invoice_payload(mine, lines=[]), format="json")
    assert response.status_code == 400
    assert not Invoice.objects.exists()


def test_invoice_for_another_managers_counterparty_or_deal_is_refused(api, mine, theirs, reference_data):
    response = api.post("/api/v1/invoices/", invoice_payload(theirs), format="json")
    assert response.status_code == 400 and "counterparty" in response.json()["extra"]
    their_deal = factories.deal_for(theirs, reference_data)
    response = api.post("/api/v1/invoices/", invoice_payload(mine, deal=str(their_deal.pk)), format="json")
    assert response.status_code == 400 and "deal" in response.json()["extra"]
    assert not Invoice.objects.exists()


def test_invoice_line_product_must_exist(api, mine, reference_data):
    payload = invoice_payload(mine, lines=[{"product": "00000000-0000-0000-0000-000000000000", "quantity": "1",
                                            "price": "1"}])
    assert api.post("/api/v1/invoices/", payload, format="json").status_code == 400


def test_filter_invoices_by_another_managers_counterparty_returns_nothing(api, other_api, mine, theirs,
                                                                           reference_data):
    assert other_api.post("/api/v1/invoices/", invoice_payload(theirs), format="json").status_code == 201
    assert api.post("/api/v1/invoices/", invoice_payload(mine), format="json").status_code == 201
    assert ids(api.get("/api/v1/invoices/", {"counterparty": str(theirs.pk)})) == set()
    assert len(ids(api.get("/api/v1/invoices/", {"counterparty": str(mine.pk)}))) == 1
    assert len(ids(api.get("/api/v1/invoices/", {"status": "draft"}))) == 1


def test_manager_cannot_issue_another_managers_invoice(api, other_api, theirs, reference_data):
    invoice_id = other_api.post("/api/v1/invoices/", invoice_payload(theirs), format="json").json()["id"]
    assert api.post(f"/api/v1/invoices/{invoice_id}/issue/").status_code == 404
    assert Invoice.objects.get(pk=invoice_id).status == "draft"


def test_update_draft_invoice_lines(api, mine, reference_data):
    invoice_id = api.post("/api/v1/invoices/", invoice_payload(mine), format="json").json()["id"]
    response = api.patch(f"/api/v1/invoices/{invoice_id}/", {
        "lines": [{"description": "Nuts", "quantity": "10", "price": "1.50"}]}, format="json")
    assert response.status_code == 200, response.content
    assert Decimal(response.json()["total"]) == Decimal("15.00")
    assert [line["description"] for line in response.json()["lines"]] == ["Nuts"]


# --- payments ------------------------------------------------------------------------------------------------------

def test_payment_with_allocation_pays_the_invoice(api, mine, reference_data):
    invoice_id = api.post("/api/v1/invoices/", invoice_payload(mine), format="json").json()["id"]
    api.post(f"/api/v1/invoices/{invoice_id}/issue/")
    response = api.post("/api/v1/payments/", {
        "counterparty": str(mine.pk), "date": "2026-11-01", "amount": "350.00", "currency": "RUB",
        "allocations": [{"invoice": invoice_id, "amount": "300.00"}]}, format="json")
    assert response.status_code == 201, response.content
    assert Decimal(response.json()["unallocated"]) == Decimal("50.00")
    assert Invoice.objects.get(pk=invoice_id).status == "paid"


def test_payment_auto_allocates(api, mine, reference_data):
    invoice_id = api.post("/api/v1/invoices/", invoice_payload(mine), format="json").json()["id"]
    api.post(f"/api/v1/invoices/{invoice_id}/issue/")
    response = api.post("/api/v1/payments/", {"counterparty": str(mine.pk), "date": "2026-11-01",
                                              "amount": "100.00", "currency": "RUB"}, format="json")
    assert response.status_code == 201
    assert response.json()["allocations"][0]["invoice"] == invoice_id
    assert Invoice.objects.get(pk=invoice_id).status == "partly_paid"


def test_payment_cannot_settle_another_counterpartys_invoice(api, manager, mine, reference_data):
    other_mine = factories.CounterpartyFactory(responsible=manager)
    invoice_id = api.post("/api/v1/invoices/", invoice_payload(other_mine), format="json").json()["id"]
    response = api.post("/api/v1/payments/", {
        "counterparty": str(mine.pk), "date": "2026-11-01", "amount": "10.00",
        "allocations": [{"invoice": invoice_id, "amount": "10.00"}]}, format="json")
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_payment_cannot_name_another_managers_invoice(api, other_api, mine, theirs, reference_data):
    their_invoice = other_api.post("/api/v1/invoices/", invoice_payload(theirs), format="json").json()["id"]
    response = api.post("/api/v1/payments/", {
        "counterparty": str(mine.pk), "date": "2026-11-01", "amount": "10.00",
        "allocations": [{"invoice": their_invoice, "amount": "10.00"}]}, format="json")
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_over_allocation_is_rolled_back(api, mine, reference_data):
    invoice_id = api.post("/api/v1/invoices/", invoice_payload(mine), format="json").json()["id"]
    api.post(f"/api/v1/invoices/{invoice_id}/issue/")
    response = api.post("/api/v1/payments/", {
        "counterparty": str(mine.pk), "date": "2026-11-01", "amount": "10.00",
        "allocations": [{"invoice": invoice_id, "amount": "20.00"}]}, format="json")
    assert response.status_code == 400
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=invoice_id).status == "issued"


def test_funnels_show_their_stages(api, reference_data):
    body = api.get(f"/api/v1/funnels/{reference_data['funnel'].pk}/").json()
    assert [s["name"] for s in body["stages"]] == ["New", "Proposal", "Negotiation", "Won", "Lost"]


def test_admin_sees_every_invoice_in_filters(admin_user, other_api, theirs, reference_data):
    other_api.post("/api/v1/invoices/", invoice_payload(theirs), format="json")
    assert len(ids(client_for(admin_user).get("/api/v1/invoices/", {"counterparty": str(theirs.pk)}))) == 1


def test_draft_invoice_cannot_be_moved_to_another_managers_counterparty(api, mine, theirs, reference_data):
    invoice_id = api.post("/api/v1/invoices/", invoice_payload(mine), format="json").json()["id"]
    response = api.patch(f"/api/v1/invoices/{invoice_id}/", {"counterparty": str(theirs.pk)}, format="json")
    assert response.status_code == 400
    assert Invoice.objects.get(pk=invoice_id).counterparty == mine


def test_invoices_page_by_total(api, mine, reference_data):
    for price in ("5", "1", "3"):
        payload = invoice_payload(mine, lines=[{"description": "X", "quantity": "1", "price": price}])
        assert api.post("/api/v1/invoices/", payload, format="json").status_code == 201
    first = api.get("/api/v1/invoices/", {"ordering": "-total", "page_size": 2}).json()
    second = api.get(first["next"]).json()
    totals = [row["total"] for row in first["results"] + second["results"]]
    assert totals == ["5.00", "3.00", "1.00"]
