"""A payment reminder to the client by SMS (or e-mail), from the invoice page, with the shipped template."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from raccordo.comms.reminders import invoice_reminder_send
from raccordo.core.errors import ApplicationError
from raccordo.parties.models import Phone
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from raccordo.sms.models import SmsMessage, SmsStatus
from tests.factories import CounterpartyFactory, reference_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(manager):
    ref = reference_data()
    company = CounterpartyFactory(responsible=manager, country="RU")
    Phone.objects.create(counterparty=company, number="+79161234567", kind="mobile")
    draft = invoice_create(user=manager, data={"own_company": ref["own_company"], "counterparty": company,
                                               "currency": "RUB"},
                           lines=[LineInput(description="Pump", quantity=Decimal("2"), price=Decimal("1500"))])
    return invoice_issue(user=manager, invoice=draft)


def test_an_invoice_reminder_goes_by_sms_with_the_shipped_template(client, manager, invoice, sms_ready):
    client.force_login(manager)
    response = client.post(reverse("web:invoice_remind", args=[invoice.pk]), {"channel": "sms"})
    assert response.status_code == 302
    [sent] = sms_ready.sent
    assert sent["to"] == "79161234567"
    assert sent["msg"].startswith(f"Напоминаем: по счёту {invoice.number} к оплате")
    message = SmsMessage.objects.get()
    assert (message.status, message.counterparty) == (SmsStatus.SENT, invoice.counterparty)


def test_a_paid_or_draft_invoice_is_not_reminded(manager, invoice, sms_ready):
    invoice.status = "paid"
    with pytest.raises(ApplicationError) as refused:
        invoice_reminder_send(user=manager, invoice=invoice, channel="sms")
    assert refused.value.code == "comms.reminder.not_owed"
    assert sms_ready.sent == []


def test_someone_who_does_not_see_the_invoice_cannot_remind(other_manager, invoice, sms_ready):
    from raccordo.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        invoice_reminder_send(user=other_manager, invoice=invoice, channel="sms")
    assert sms_ready.sent == []


def test_an_invoice_reminder_by_email(manager, invoice, smtp_server):
    from raccordo.parties.models import Email

    Email.objects.create(counterparty=invoice.counterparty, address="buh@client.ru")
    invoice_reminder_send(user=manager, invoice=invoice, channel="email")
    [mail] = smtp_server.messages
    assert mail["To"] == "buh@client.ru" and invoice.number in mail["Subject"]
