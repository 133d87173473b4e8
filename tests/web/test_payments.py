"""A payment from a counterparty, spread over its open invoices from the counterparty's page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from raccordo.sales.models import InvoiceStatus, Payment
from raccordo.sales.services import LineInput, invoice_create, invoice_issue, payment_unallocated
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


def _issued(user, cp, ref, amount, day):
    return invoice_issue(user=user, invoice=invoice_create(user=user, data={
        "own_company": ref["own_company"], "counterparty": cp, "date": dt.date(2026, 11, day)},
        lines=[LineInput(description="x", quantity=Decimal("1"), price=Decimal(amount))]))


def test_payment_split_by_hand_and_overpayment_kept(client, manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    first, second = _issued(manager, cp, reference_data, "100", 1), _issued(manager, cp, reference_data, "300", 2)
    client.force_login(manager)
    url = reverse("web:counterparty_payment", args=[cp.pk])
    page = client.get(url).content.decode()
    assert first.number in page and second.number in page
    response = client.post(url, {"amount": "500", "currency": "RUB", "date": "2026-11-20", "number": "PP-1",
                                 f"alloc-{second.pk}": "300", f"alloc-{first.pk}": "50", "advance": "1"})
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID)
    assert payment_unallocated(Payment.objects.get()) == Decimal("150.00")


def test_more_than_the_client_owes_is_asked_about_first(client, manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    first, second = _issued(manager, cp, reference_data, "100", 1), _issued(manager, cp, reference_data, "300", 2)
    client.force_login(manager)
    url = reverse("web:counterparty_payment", args=[cp.pk])
    typed = {"amount": "4000", "currency": "RUB", "date": "2026-11-20", "number": "PP-9"}
    response = client.post(url, typed)
    assert response.status_code == 200
    assert response.context["advance_question"]
    html = response.content.decode()
    assert 'data-testid="advance-question"' in html and 'name="advance" value="1"' in html
    assert 'value="4000"' in html                       # the form comes back as typed
    assert not Payment.objects.exists()                  # nothing recorded, nothing allocated
    first.refresh_from_db()
    assert first.paid_amount == 0 and first.status == InvoiceStatus.ISSUED
    # Confirmed: recorded as before, the invoices settled and the rest kept as an advance.
    response = client.post(url, {**typed, "advance": "1"})
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (InvoiceStatus.PAID, InvoiceStatus.PAID)
    assert payment_unallocated(Payment.objects.get()) == Decimal("3600.00")


def test_within_what_the_client_owes_nothing_is_asked(client, manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    _issued(manager, cp, reference_data, "100", 1)
    _issued(manager, cp, reference_data, "300", 2)
    client.force_login(manager)
    response = client.post(reverse("web:counterparty_payment", args=[cp.pk]),
                           {"amount": "400", "currency": "RUB", "date": "2026-11-20"})
    assert response.status_code == 302
    assert payment_unallocated(Payment.objects.get()) == 0


def test_empty_allocations_settle_the_oldest_first(client, manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    first, second = _issued(manager, cp, reference_data, "100", 1), _issued(manager, cp, reference_data, "300", 2)
    client.force_login(manager)
    client.post(reverse("web:counterparty_payment", args=[cp.pk]),
                {"amount": "150", "currency": "RUB", "date": "2026-11-20"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.paid_amount, second.paid_amount) == (Decimal("100.00"), Decimal("50.00"))


def test_too_much_on_one_invoice_or_another_currency_saves_nothing(client, manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    first = _issued(manager, cp, reference_data, "100", 1)
    client.force_login(manager)
    url = reverse("web:counterparty_payment", args=[cp.pk])
    response = client.post(url, {"amount": "500", "currency": "RUB", "date": "2026-11-20",
                                 f"alloc-{first.pk}": "400"})
    assert response.status_code == 200 and "owed" in response.content.decode()
    assert 'value="400"' in response.content.decode()      # what was typed comes back
    response = client.post(url, {"amount": "100", "currency": "EUR", "date": "2026-11-20",
                                 f"alloc-{first.pk}": "100"})
    assert response.status_code == 200
    response = client.post(url, {"amount": "100", "currency": "XYZ", "date": "2026-11-20"})
    assert "id_currency_error" in response.content.decode()
    assert not Payment.objects.exists()


def test_another_managers_client_is_a_404(client, manager, other_manager):
    theirs = CounterpartyFactory(responsible=other_manager)
    client.force_login(manager)
    assert client.get(reverse("web:counterparty_payment", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("web:counterparty_payment", args=[theirs.pk]),
                       {"amount": "1", "currency": "RUB", "date": "2026-11-20"}).status_code == 404
