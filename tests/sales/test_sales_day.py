"""The sales day's services: stock check on issue, overpayments, receivables ageing, the PDF and sending it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from raccordo.activities.models import Interaction, Reminder
from raccordo.catalog.models import StockLevel, Warehouse
from raccordo.core.errors import ApplicationError
from raccordo.parties.models import BankAccount, Email, OwnCompany
from raccordo.sales.models import InvoiceStatus
from raccordo.sales.printing import amount_in_words, invoice_language, invoice_pdf, vat_breakdown
from raccordo.sales.selectors import (
    invoice_stock_shortages,
    overpayment_total,
    receivable_total,
    receivables_ageing,
)
from raccordo.sales.services import LineInput, invoice_create, invoice_issue, invoice_send, payment_record
from tests.factories import CounterpartyFactory, UserFactory, product_with_stock, reference_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def ref(db):
    return reference_data()


@pytest.fixture
def anna(db):
    return UserFactory(username="anna", role="manager", email="anna@example.com")


def _invoice(ref, user, counterparty, lines, **data):
    return invoice_create(user=user, data={"own_company": ref["own_company"], "counterparty": counterparty,
                                           "currency": "RUB", **data}, lines=lines)


def test_stock_check_warns_by_default_and_blocks_when_set(ref, anna, settings):
    client = CounterpartyFactory(responsible=anna)
    pump = product_with_stock(ref, name="Pump", quantity="5")
    other = Warehouse.objects.create(name="North")
    StockLevel.objects.create(product=pump, warehouse=other, quantity=Decimal("4"), reserved=Decimal("3"))
    invoice = _invoice(ref, anna, client, [LineInput(product=pump, quantity=Decimal("7"), price=Decimal("10"))])
    shortages = invoice_stock_shortages(invoice=invoice)
    # 5 + (4 - 3) = 6 available across warehouses, 7 wanted.
    assert [(s["wanted"], s["available"]) for s in shortages] == [(Decimal("7.000"), Decimal("6.000"))]

    settings.STOCK_CHECK = "block"
    with pytest.raises(ApplicationError) as refused:
        invoice_issue(user=anna, invoice=invoice)
    assert refused.value.code == "sales.stock.insufficient"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT and not invoice.number

    settings.STOCK_CHECK = "warn"
    invoice = invoice_issue(user=anna, invoice=invoice)
    assert invoice.status == InvoiceStatus.ISSUED


def test_services_are_never_short_of_stock(ref, anna, settings):
    settings.STOCK_CHECK = "block"
    client = CounterpartyFactory(responsible=anna)
    delivery = product_with_stock(ref, name="Delivery", quantity="0", is_service=True)
    invoice = _invoice(ref, anna, client, [LineInput(product=delivery, quantity=Decimal("1"), price=Decimal("10"))])
    assert invoice_issue(user=anna, invoice=invoice).status == InvoiceStatus.ISSUED


def test_overpayment_is_kept_and_shown_per_currency(ref, anna):
    client = CounterpartyFactory(responsible=anna)
    invoice = invoice_issue(user=anna, invoice=_invoice(ref, anna, client, [
        LineInput(description="Work", quantity=Decimal("1"), price=Decimal("100"))]))
    payment_record(user=anna, data={"counterparty": client, "date": timezone.localdate(),
                                    "amount": Decimal("130"), "currency": "RUB"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_amount == Decimal("100")
    assert overpayment_total(user=anna, counterparty=client) == {"RUB": Decimal("30.00")}
    assert receivable_total(user=anna, counterparty=client) == {}
    # Another manager sees nothing of it.
    assert overpayment_total(user=UserFactory(username="marco", role="manager")) == {}


def test_ageing_buckets_are_computed_in_the_database_and_respect_access(ref, anna):
    today = timezone.localdate()
    client = CounterpartyFactory(responsible=anna, name="Romashka")
    for days_late, price in ((-5, "10"), (0, "20"), (10, "30"), (45, "40"), (75, "50"), (120, "60")):
        invoice_issue(user=anna, invoice=_invoice(ref, anna, client, [
            LineInput(description="x", quantity=Decimal("1"), price=Decimal(price))],
            due_date=today - dt.timedelta(days=days_late)))
    marco = UserFactory(username="marco", role="manager")
    theirs = CounterpartyFactory(responsible=marco)
    invoice_issue(user=marco, invoice=_invoice(ref, marco, theirs, [
        LineInput(description="y", quantity=Decimal("1"), price=Decimal("999"))], due_date=today))

    rows, totals = receivables_ageing(user=anna)
    (row,) = rows
    assert row["counterparty__name"] == "Romashka"
    assert (row["not_due"], row["d0_30"], row["d31_60"], row["d61_90"], row["d90_plus"]) == (
        Decimal("30"), Decimal("30"), Decimal("40"), Decimal("50"), Decimal("60"))
    assert row["owed"] == Decimal("210") and row["overdue"] == Decimal("180") and row["invoices"] == 6
    assert totals["RUB"]["owed"] == Decimal("210")


def test_invoice_pdf_has_requisites_vat_breakdown_and_words(ref, anna):
    own = ref["own_company"]
    BankAccount.objects.create(own_company=own, bank_name="Sberbank", bic="044525225",
                               account_number="40702810900000000001", correspondent_account="30101810400000000225")
    client = CounterpartyFactory(responsible=anna, name="Romashka")
    invoice = invoice_issue(user=anna, invoice=_invoice(ref, anna, client, [
        LineInput(description="Pump", quantity=Decimal("2"), price=Decimal("600"), vat_rate=Decimal("20")),
        LineInput(description="Book", quantity=Decimal("1"), price=Decimal("110"), vat_rate=Decimal("10"))]))
    assert invoice_language(invoice) == "ru"
    breakdown = vat_breakdown(invoice)
    assert [(g["rate"], g["vat"]) for g in breakdown] == [(Decimal("10.00"), Decimal("10.00")),
                                                          (Decimal("20.00"), Decimal("200.00"))]
    assert sum(g["gross"] for g in breakdown) == invoice.total
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000


def test_amount_in_words_follows_language_and_currency():
    assert amount_in_words(Decimal("1310.00"), "RUB", "ru").startswith("Одна тысяча триста десять рублей")
    assert amount_in_words(Decimal("1234.56"), "EUR", "it") == (
        "Milleduecentotrentaquattro euro e cinquantasei centesimi")
    # A currency num2words has no Italian words for: spelled number, the code and the cents.
    assert amount_in_words(Decimal("12.05"), "RUB", "it") == "Dodici RUB 05/100"


def test_italian_company_prints_in_italian(ref, anna):
    own = OwnCompany.objects.create(name="Raccordo Italia", country="IT", vat_number="IT01234567897", currency="EUR")
    client = CounterpartyFactory(responsible=anna, country="IT")
    invoice = invoice_create(user=anna, data={"own_company": own, "counterparty": client, "currency": "EUR"},
                             lines=[LineInput(description="Servizio", quantity=Decimal("1"), price=Decimal("122"),
                                              vat_rate=Decimal("22"))])
    assert invoice_language(invoice) == "it"
    assert invoice_pdf(invoice).startswith(b"%PDF-")


def test_invoice_is_sent_over_smtp_with_the_pdf_and_logged(ref, anna, smtp_server):
    client = CounterpartyFactory(responsible=anna, name="Romashka")
    Email.objects.create(counterparty=client, address="buyer@example.com")
    invoice = _invoice(ref, anna, client, [LineInput(description="Pump", quantity=Decimal("1"), price=Decimal("10"))])
    with pytest.raises(ApplicationError):
        invoice_send(user=anna, invoice=invoice, to=["buyer@example.com"])   # a draft is not sent
    invoice = invoice_issue(user=anna, invoice=invoice)
    interaction = invoice_send(user=anna, invoice=invoice, to=["buyer@example.com"], body="Hello")
    (message,) = smtp_server.messages
    assert message["To"] == "buyer@example.com" and invoice.number in message["Subject"]
    attachments = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(attachments) == 1 and attachments[0].get_payload(decode=True).startswith(b"%PDF-")
    assert interaction.kind == "email" and interaction.counterparty == client
    assert Interaction.objects.filter(kind="email", counterparty=client).count() == 1


def test_L6_an_invoice_goes_only_to_addresses_on_the_clients_card_and_only_from_who_may_change_it(
        ref, anna, smtp_server):
    client = CounterpartyFactory(responsible=anna, name="Romashka")
    Email.objects.create(counterparty=client, address="buyer@example.com")
    invoice = invoice_issue(user=anna, invoice=_invoice(ref, anna, client, [
        LineInput(description="Pump", quantity=Decimal("1"), price=Decimal("10"))]))
    with pytest.raises(ValidationError) as refused:
        invoice_send(user=anna, invoice=invoice, to=["buyer@example.com", "victim@elsewhere.example"],
                     body="Click here")
    assert "victim@elsewhere.example" in str(refused.value.message_dict["to"])
    viewer = UserFactory(username="auditor", role="accountant")
    with pytest.raises((ValidationError, PermissionDenied, ApplicationError)):
        invoice_send(user=viewer, invoice=invoice, to=["buyer@example.com"])
    assert smtp_server.messages == [] and not Interaction.objects.filter(kind="email").exists()
    invoice_send(user=anna, invoice=invoice, to=["BUYER@example.com"])
    assert len(smtp_server.messages) == 1


def test_a_failed_send_logs_nothing(ref, anna, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    client = CounterpartyFactory(responsible=anna)
    Email.objects.create(counterparty=client, address="buyer@example.com")
    invoice = invoice_issue(user=anna, invoice=_invoice(ref, anna, client, [
        LineInput(description="Pump", quantity=Decimal("1"), price=Decimal("10"))]))
    with pytest.raises(ApplicationError) as failed:
        invoice_send(user=anna, invoice=invoice, to=["buyer@example.com"])
    assert failed.value.code == "sales.invoice.mail_failed"
    assert not Interaction.objects.filter(kind="email").exists()


def test_issuing_schedules_reminders_and_payment_completes_them(ref, anna, settings):
    settings.INVOICE_REMINDER_DAYS = [-1, 3]
    client = CounterpartyFactory(responsible=anna)
    invoice = invoice_issue(user=anna, invoice=_invoice(
        ref, anna, client, [LineInput(description="x", quantity=Decimal("1"), price=Decimal("100"))],
        due_date=timezone.localdate() + dt.timedelta(days=5)))
    reminders = Reminder.objects.filter(target_id=invoice.pk)
    assert sorted(reminders.values_list("rule", flat=True)) == ["invoice:+3", "invoice:-1"]
    assert all(r.user == anna and not r.is_done for r in reminders)
    payment_record(user=anna, data={"counterparty": client, "date": timezone.localdate(), "amount": Decimal("60"),
                                    "currency": "RUB"})
    assert not Reminder.objects.filter(target_id=invoice.pk, is_done=True).exists()   # partly paid: still open
    payment_record(user=anna, data={"counterparty": client, "date": timezone.localdate(), "amount": Decimal("40"),
                                    "currency": "RUB"})
    assert Reminder.objects.filter(target_id=invoice.pk, is_done=False).count() == 0
