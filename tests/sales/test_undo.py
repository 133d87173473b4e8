"""Undoing mistakes, at the services: each invariant, each refusal, and the journal entry each leaves (#17).

Cancel an issued invoice (with a reason), delete a draft, reverse a payment, delete or archive a
counterparty, delete a contact person or a deal, and the question before an overpayment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from raccordo.activities.models import Reminder, Task
from raccordo.core.errors import Conflict, PermissionDenied
from raccordo.core.models import ChangeJournal, Operation
from raccordo.parties.models import ContactPerson, Counterparty, Phone
from raccordo.parties.services import contact_create, contact_delete, counterparty_delete, phone_add
from raccordo.reports.selectors import kpi_report
from raccordo.sales.models import (
    Deal,
    DealLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
)
from raccordo.sales.selectors import overpayment_total
from raccordo.sales.services import (
    LineInput,
    deal_create,
    deal_delete,
    invoice_cancel,
    invoice_create,
    invoice_delete,
    invoice_issue,
    invoice_payment_record,
    payment_record,
    payment_reverse,
)
from tests.factories import CounterpartyFactory, UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 2)


def _draft(user, cp, ref, price: str = "1000.00") -> Invoice:
    return invoice_create(user=user, data={"own_company": ref["own_company"], "counterparty": cp,
                                           "date": dt.date(2026, 11, 1)},
                          lines=[LineInput(description="Service", quantity=Decimal("1"), price=Decimal(price))])


def _journal(obj, operation=None, pk=None):
    """`obj`'s journal entries; `pk` for a deleted object (Django clears the pk of the instance it deletes)."""
    qs = ChangeJournal.objects.filter(content_type=ContentType.objects.get_for_model(type(obj)),
                                      object_id=pk or obj.pk)
    return qs.filter(operation=operation) if operation else qs


@pytest.fixture
def cp(manager):
    return CounterpartyFactory(responsible=manager)


@pytest.fixture
def accountant(db):
    return UserFactory(username="acc", role="accountant")


# --- cancelling an issued invoice -----------------------------------------------------------------------------------

def test_cancel_stores_the_reason_and_journals_it_with_the_status(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    invoice = invoice_cancel(user=manager, invoice=invoice, reason="  Client ordered twice  ")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.cancel_reason == "Client ordered twice"
    assert invoice.outstanding == 0
    entry = _journal(invoice, Operation.UPDATE).order_by("-seq").first()
    assert entry.changes["status"] == [InvoiceStatus.ISSUED, InvoiceStatus.CANCELLED]
    assert entry.changes["cancel_reason"] == ["", "Client ordered twice"]
    assert entry.user == manager


def test_a_cancelled_invoices_reminders_are_done(manager, cp, reference_data, settings):
    settings.INVOICE_REMINDER_DAYS = [-1, 3]
    invoice = _draft(manager, cp, reference_data)
    invoice.due_date = dt.date(2026, 11, 10)
    invoice.save()
    invoice = invoice_issue(user=manager, invoice=invoice)
    reminders = Reminder.objects.filter(target_id=invoice.pk)
    assert reminders.count() == 2 and not reminders.filter(is_done=True).exists()
    invoice_cancel(user=manager, invoice=invoice, reason="wrong client")
    assert reminders.filter(is_done=False).count() == 0


def test_a_person_must_say_why_the_system_need_not(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    with pytest.raises(ValidationError) as refused:
        invoice_cancel(user=manager, invoice=invoice, reason="   ")
    assert "reason" in refused.value.message_dict
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.ISSUED
    assert invoice_cancel(user=None, invoice=invoice).status == InvoiceStatus.CANCELLED


def test_a_paid_or_partly_paid_invoice_is_refused_saying_to_reverse_the_payment_first(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("100.00"), date=DAY)
    with pytest.raises(Conflict) as refused:
        invoice_cancel(user=manager, invoice=Invoice.objects.get(pk=invoice.pk), reason="typo")
    assert refused.value.code == "sales.invoice.has_payments"
    assert "Reverse the payments first" in refused.value.message
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PARTLY_PAID


def test_cancelling_twice_is_a_conflict(manager, cp, reference_data):
    invoice = invoice_cancel(user=manager, invoice=invoice_issue(user=manager, invoice=_draft(manager, cp,
                                                                                               reference_data)),
                             reason="wrong client")
    with pytest.raises(Conflict) as refused:
        invoice_cancel(user=manager, invoice=invoice, reason="again")
    assert refused.value.code == "sales.invoice.cancelled"


def test_another_manager_may_not_cancel(manager, other_manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    with pytest.raises(PermissionDenied):
        invoice_cancel(user=other_manager, invoice=invoice, reason="not mine")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.ISSUED


# --- deleting a draft -----------------------------------------------------------------------------------------------

def test_a_draft_is_deleted_with_its_lines_and_journaled_with_them(manager, cp, reference_data):
    invoice = _draft(manager, cp, reference_data)
    pk = invoice.pk
    invoice_delete(user=manager, invoice=invoice)
    assert not Invoice.objects.filter(pk=pk).exists()
    assert not InvoiceLine.objects.filter(invoice_id=pk).exists()
    entry = _journal(Invoice(), Operation.DELETE, pk=pk).get()
    assert entry.changes["status"] == [InvoiceStatus.DRAFT, None]
    assert entry.changes["lines"][0][0].startswith("Service × 1")
    assert entry.user == manager


def test_an_issued_invoice_is_not_deleted(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    with pytest.raises(Conflict) as refused:
        invoice_delete(user=manager, invoice=invoice)
    assert refused.value.code == "sales.invoice.not_draft"
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_another_manager_may_not_delete_a_draft(manager, other_manager, cp, reference_data):
    invoice = _draft(manager, cp, reference_data)
    with pytest.raises(PermissionDenied):
        invoice_delete(user=other_manager, invoice=invoice)
    assert Invoice.objects.filter(pk=invoice.pk).exists()


# --- reversing a payment --------------------------------------------------------------------------------------------

def test_reversal_removes_allocations_and_the_invoice_owes_again(manager, accountant, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    payment = invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("1000.00"), date=DAY,
                                     number="PP-1")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
    allocation = PaymentAllocation.objects.get(payment=payment)
    payment = payment_reverse(user=accountant, payment=payment, reason="Bank returned it")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.paid_amount == 0
    assert invoice.outstanding == Decimal("1000.00")
    assert not PaymentAllocation.objects.filter(payment=payment).exists()
    # Marked, not deleted: the document stays with its number, amount and the reason.
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.reversed_at is not None and payment.reversal_reason == "Bank returned it"
    assert payment.amount == Decimal("1000.00") and payment.number == "PP-1"
    # Journaled: the allocation's removal, the invoice's paid amount and status, the reversal.
    assert _journal(allocation, Operation.DELETE).get().user == accountant
    changed = _journal(invoice, Operation.UPDATE).order_by("-seq").first().changes
    assert changed["status"] == [InvoiceStatus.PAID, InvoiceStatus.ISSUED]
    assert changed["paid_amount"] == ["1000", "0"]
    reversal = _journal(payment, Operation.UPDATE).get().changes
    assert reversal["reversal_reason"] == ["", "Bank returned it"] and reversal["reversed_at"][1]


def test_reversal_opens_again_the_payment_reminders_the_payment_closed(manager, accountant, cp, reference_data,
                                                                      settings):
    settings.INVOICE_REMINDER_DAYS = [-1, 3]
    invoice = _draft(manager, cp, reference_data)
    invoice.due_date = dt.date(2026, 11, 10)
    invoice.save()
    invoice = invoice_issue(user=manager, invoice=invoice)
    payment = invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("1000.00"), date=DAY)
    reminders = Reminder.objects.filter(target_id=invoice.pk)
    assert reminders.count() == 2 and not reminders.filter(is_done=False).exists()
    payment_reverse(user=accountant, payment=payment, reason="bounced")
    assert reminders.filter(is_done=False).count() == 2


def test_reversing_one_of_two_payments_leaves_the_invoice_partly_paid_and_then_it_can_be_cancelled(
        manager, accountant, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    first = invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("400.00"), date=DAY)
    second = invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("600.00"), date=DAY)
    payment_reverse(user=accountant, payment=second, reason="typo")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTLY_PAID and invoice.paid_amount == Decimal("400.00")
    payment_reverse(user=accountant, payment=first, reason="typo")
    assert invoice_cancel(user=manager, invoice=Invoice.objects.get(pk=invoice.pk),
                          reason="never sold").status == InvoiceStatus.CANCELLED


def test_a_reversed_overpayment_counts_in_no_sum(manager, accountant, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    payment = invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("999999.00"), date=DAY,
                                     overpayment=True)
    assert overpayment_total(user=manager, counterparty=cp) == {"RUB": Decimal("998999.00")}
    payment_reverse(user=accountant, payment=payment, reason="999,999 was a typo for 1,000")
    assert overpayment_total(user=manager, counterparty=cp) == {}


def test_the_kpi_report_leaves_a_reversed_payment_out(manager, accountant, cp, reference_data):
    kept = payment_record(user=manager, data={"counterparty": cp, "amount": Decimal("70"), "date": DAY,
                                              "currency": "RUB"})
    wrong = payment_record(user=manager, data={"counterparty": cp, "amount": Decimal("9000"), "date": DAY,
                                               "currency": "RUB"})
    assert kpi_report(user=accountant, year=2026)["totals"]["received"] == {"RUB": Decimal("9070.00")}
    payment_reverse(user=accountant, payment=wrong, reason="typo")
    assert kpi_report(user=accountant, year=2026)["totals"]["received"] == {"RUB": kept.amount}


def test_a_payment_is_reversed_once(accountant, manager, cp, reference_data):
    payment = payment_record(user=manager, data={"counterparty": cp, "amount": Decimal("5"), "date": DAY,
                                                 "currency": "RUB"})
    payment_reverse(user=accountant, payment=payment, reason="duplicate")
    with pytest.raises(Conflict) as refused:
        payment_reverse(user=accountant, payment=payment, reason="again")
    assert refused.value.code == "sales.payment.reversed"


def test_reversal_needs_a_reason(accountant, manager, cp, reference_data):
    payment = payment_record(user=manager, data={"counterparty": cp, "amount": Decimal("5"), "date": DAY,
                                                 "currency": "RUB"})
    with pytest.raises(ValidationError):
        payment_reverse(user=accountant, payment=payment, reason="")
    assert Payment.objects.get(pk=payment.pk).reversed_at is None


def test_a_manager_may_not_reverse_a_payment_even_on_their_own_client(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    payment = invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("1000.00"), date=DAY)
    with pytest.raises(PermissionDenied):
        payment_reverse(user=manager, payment=payment, reason="mine")
    assert PaymentAllocation.objects.filter(payment=payment).exists()
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID


# --- an overpayment is asked first ----------------------------------------------------------------------------------

def test_more_than_is_owed_is_refused_until_confirmed(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    with pytest.raises(Conflict) as asked:
        invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("999999.00"), date=DAY)
    assert asked.value.code == "sales.payment.overpayment"
    assert asked.value.extra == {"outstanding": "1000.00", "overpayment": "998999.00"}
    assert not Payment.objects.exists()
    invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("1000.00"), date=DAY)
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID


# --- counterparties, contact persons, deals -------------------------------------------------------------------------

def test_a_counterparty_without_documents_is_deleted_with_its_dependants_each_journaled(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    contact = contact_create(user=manager, counterparty=cp, data={"first_name": "Ivan"}, phones=["+74951234567"])
    task = Task.objects.create(title="Call", assignee=manager, counterparty=cp, due_at=reference_data["now"])
    pks = (cp.pk, contact.pk, task.pk)
    assert counterparty_delete(user=manager, counterparty=cp) == "deleted"
    assert not Counterparty.objects.filter(pk=pks[0]).exists()
    assert not ContactPerson.objects.filter(pk=pks[1]).exists() and not Task.objects.filter(pk=pks[2]).exists()
    assert _journal(cp, Operation.DELETE, pk=pks[0]).get().user == manager
    assert _journal(contact, Operation.DELETE, pk=pks[1]).exists() and _journal(task, Operation.DELETE, pk=pks[2]).exists()
    assert ChangeJournal.objects.filter(content_type=ContentType.objects.get_for_model(Phone),
                                        operation=Operation.DELETE).count() == 1


def test_a_counterparty_with_invoices_is_archived_not_deleted(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    assert counterparty_delete(user=manager, counterparty=cp) == "archived"
    cp.refresh_from_db()
    assert cp.is_active is False and Invoice.objects.filter(pk=invoice.pk).exists()
    assert _journal(cp, Operation.UPDATE).order_by("-seq").first().changes == {"is_active": [True, False]}
    with pytest.raises(Conflict):
        counterparty_delete(user=manager, counterparty=cp)


def test_a_counterparty_with_a_payment_only_is_archived(manager, cp, reference_data):
    payment_record(user=manager, data={"counterparty": cp, "amount": Decimal("5"), "date": DAY, "currency": "RUB"})
    assert counterparty_delete(user=manager, counterparty=cp) == "archived"


def test_another_manager_may_neither_delete_nor_archive(manager, other_manager, cp):
    with pytest.raises(PermissionDenied):
        counterparty_delete(user=other_manager, counterparty=cp)
    assert Counterparty.objects.get(pk=cp.pk).is_active


def test_a_contact_is_deleted_with_their_phones_and_deals_keep_going_without_them(manager, cp, reference_data):
    contact = contact_create(user=manager, counterparty=cp, data={"first_name": "Ivan"}, phones=["+74951234567"])
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp, "contact": contact})
    pk = contact.pk
    contact_delete(user=manager, contact=contact)
    assert not ContactPerson.objects.filter(pk=pk).exists() and not Phone.objects.filter(contact_id=pk).exists()
    assert Deal.objects.get(pk=deal.pk).contact_id is None
    assert _journal(contact, Operation.DELETE, pk=pk).get().user == manager
    assert ChangeJournal.objects.filter(content_type=ContentType.objects.get_for_model(Phone),
                                        operation=Operation.DELETE).count() == 1


def test_phones_of_the_counterparty_itself_stay_when_a_contact_goes(manager, cp):
    phone_add(user=manager, counterparty=cp, number="+74950000001")
    contact = contact_create(user=manager, counterparty=cp, data={"first_name": "Ivan"})
    contact_delete(user=manager, contact=contact)
    assert Phone.objects.filter(counterparty=cp).count() == 1


def test_a_deal_is_deleted_with_its_lines_and_its_tasks_stay(manager, cp, reference_data):
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp},
                       lines=[LineInput(description="Pump", quantity=Decimal("2"), price=Decimal("10"))])
    task = Task.objects.create(title="Call", assignee=manager, counterparty=cp, deal=deal,
                               due_at=reference_data["now"])
    pk = deal.pk
    deal_delete(user=manager, deal=deal)
    assert not Deal.objects.filter(pk=pk).exists() and not DealLine.objects.filter(deal_id=pk).exists()
    assert Task.objects.get(pk=task.pk).deal_id is None
    entry = _journal(deal, Operation.DELETE, pk=pk).get()
    assert entry.changes["title"] == ["Pumps", None] and entry.changes["lines"][0][0].startswith("Pump × 2")


def test_a_deal_with_invoices_is_not_deleted(manager, cp, reference_data):
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp})
    invoice_create(user=manager, data={"own_company": reference_data["own_company"], "counterparty": cp,
                                       "deal": deal},
                   lines=[LineInput(description="Pump", quantity=Decimal("1"), price=Decimal("10"))])
    with pytest.raises(Conflict) as refused:
        deal_delete(user=manager, deal=deal)
    assert refused.value.code == "sales.deal.has_invoices"
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_another_manager_may_not_delete_a_deal(manager, other_manager, cp, reference_data):
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp})
    with pytest.raises(PermissionDenied):
        deal_delete(user=other_manager, deal=deal)
