"""Write services for invoices: draft, change, issue (number), cancel, accounting's state, sending.

What an invoice's callers may set is listed here (`INVOICE_FIELDS`); its status, number, totals and
paid amount are the services' own: issuing numbers it, lines make its totals, payments its paid amount.
Its responsible person is assignment-checked like every other record's.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from raccordo.access import policy
from raccordo.access.records import check_fields, record_update
from raccordo.activities.services import interaction_log, invoice_reminders_schedule, reminders_complete_for
from raccordo.core.errors import ApplicationError, Conflict
from raccordo.core.journal import diff, journal_record, snapshot
from raccordo.core.models import Operation
from raccordo.core.outgoing_mail import mail_failure_line, mail_failure_text

from ..models import Deal, Invoice, InvoiceLine, InvoiceNumberSeries, InvoiceStatus, PaymentAllocation
from ..pricing import document_totals
from ..printing import invoice_filename, invoice_language, invoice_pdf
from ..selectors import invoice_sendable, invoice_stock_shortages
from .lines import ZERO, LineInput, build_lines, line_summary, replace_lines

log = logging.getLogger(__name__)

# What a caller may set on a draft. Not status, number, subtotal, vat_amount, total or paid_amount:
# issuing, cancelling, the lines and the payments set those.
INVOICE_FIELDS = ("own_company", "counterparty", "deal", "contract", "date", "due_date", "currency", "vat_included",
                  "discount_percent", "comment", "responsible")
# What may still change once an invoice is issued.
ISSUED_INVOICE_FIELDS = ("due_date", "comment")
# What accounting reports about an invoice (its number there, posting, shipment).
ACCOUNTING_FIELDS = ("accounting_number", "accounting_date", "accounting_status", "is_posted", "shipped_on",
                     "shipment_number")


def _apply_totals(invoice: Invoice, built: list) -> None:
    totals = document_totals([t for _o, t in built])
    invoice.subtotal, invoice.vat_amount, invoice.total = totals.subtotal, totals.vat, totals.total


def _require_lines(lines: list[LineInput]) -> None:
    if not lines:
        raise ValidationError({"lines": [_("An invoice needs at least one line.")]})


@transaction.atomic
def invoice_create(*, user, data: dict[str, Any], lines: list[LineInput]) -> Invoice:
    """Create a draft invoice with its lines; totals follow from the lines."""
    check_fields(Invoice, data, INVOICE_FIELDS)
    data = dict(data)
    if user is not None and not data.get("responsible"):
        data["responsible"] = user
    data.setdefault("date", timezone.localdate())
    _require_lines(lines)
    invoice = Invoice(**data)
    built = build_lines(InvoiceLine, "invoice", invoice, lines, vat_included=data.get("vat_included", True),
                        document_discount=data.get("discount_percent") or ZERO)
    _apply_totals(invoice, built)
    invoice.full_clean()
    policy.require(user, "add", invoice)
    policy.require_assignable(user, invoice)
    invoice.save(force_insert=True)
    replace_lines(InvoiceLine, "invoice", invoice, built)
    journal_record(obj=invoice, operation=Operation.CREATE, changes=diff({}, {
        **snapshot(invoice), "lines": [line_summary(o) for o, _t in built]}), user=user)
    return invoice


@transaction.atomic
def invoice_update(*, user, invoice: Invoice, data: dict[str, Any], lines: list[LineInput] | None = None) -> Invoice:
    """Change a draft invoice (an issued one can change only its due date and comment)."""
    policy.require(user, "change", invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        locked = set(data) - set(ISSUED_INVOICE_FIELDS)
        if locked or lines is not None:
            raise ApplicationError(_("An issued invoice cannot be edited; cancel it and make a new one."),
                                   code="sales.invoice.locked")
    check_fields(Invoice, data, INVOICE_FIELDS)
    before = {**snapshot(invoice), "lines": [line_summary(o) for o in invoice.lines.all()]}
    for key, value in data.items():
        setattr(invoice, key, value)
    built = None
    if lines is None and "discount_percent" in data:
        # A new document discount reprices the existing lines.
        lines = [LineInput.from_line(ln) for ln in invoice.lines.all()]
    if lines is not None:
        _require_lines(lines)
        built = build_lines(InvoiceLine, "invoice", invoice, lines, vat_included=invoice.vat_included,
                            document_discount=invoice.discount_percent)
        _apply_totals(invoice, built)
    invoice.full_clean()
    policy.require(user, "change", invoice)
    policy.require_assignable(user, invoice, before)
    after = {**snapshot(invoice),
             "lines": [line_summary(o) for o, _t in built] if built is not None else before["lines"]}
    changes = diff(before, after)
    if not changes:
        return invoice
    invoice.save()
    if built is not None:
        replace_lines(InvoiceLine, "invoice", invoice, built)
    journal_record(obj=invoice, operation=Operation.UPDATE, changes=changes, user=user)
    return invoice


def _next_number(invoice: Invoice) -> str:
    year = invoice.date.year
    series, _created = InvoiceNumberSeries.objects.get_or_create(own_company=invoice.own_company, year=year)
    # Lock the series row so two people issuing at once never get the same number.
    InvoiceNumberSeries.objects.filter(pk=series.pk).update(last_number=F("last_number") + 1)
    number = InvoiceNumberSeries.objects.select_for_update().get(pk=series.pk).last_number
    prefix = invoice.own_company.invoice_prefix
    return f"{prefix}{year}-{number:05d}" if prefix else f"{year}-{number:05d}"


@transaction.atomic
def invoice_issue(*, user, invoice: Invoice) -> Invoice:
    """Give a draft invoice its number in the own company's yearly series and mark it issued."""
    if invoice.status != InvoiceStatus.DRAFT:
        raise ApplicationError(_("Only a draft invoice can be issued."), code="sales.invoice.not_draft")
    policy.require(user, "change", invoice)
    if user is not None:
        # A person issuing is checked; an order accounting sends back (user=None) was already accepted there.
        _stock_check(invoice)
    data: dict[str, Any] = {"status": InvoiceStatus.ISSUED}
    if not invoice.number:
        data["number"] = _next_number(invoice)
    invoice = record_update(invoice, user=user, data=data, fields=("status", "number"))
    invoice = refresh_paid_status(invoice, user=user)
    if invoice.status != InvoiceStatus.PAID:
        invoice_reminders_schedule(user=user, invoice=invoice)
    return invoice


def _stock_check(invoice: Invoice) -> None:
    """settings.STOCK_CHECK = "block" refuses an invoice whose lines exceed available stock ("warn": the UI says so)."""
    if settings.STOCK_CHECK != "block":
        return
    shortages = invoice_stock_shortages(invoice=invoice)
    if shortages:
        raise ApplicationError(
            _("Not enough stock: %(lines)s.") % {"lines": "; ".join(
                _("%(product)s: %(wanted)s wanted, %(available)s available") % {
                    "product": s["product"], "wanted": s["wanted"].normalize(),
                    "available": s["available"].normalize()} for s in shortages)},
            code="sales.stock.insufficient",
            extra={"lines": [{k: str(v) for k, v in s.items()} for s in shortages]})


def invoice_accounting_update(*, user, invoice: Invoice, data: dict[str, Any]) -> Invoice:
    """Record what accounting reports about an invoice (its number there, posting, shipment)."""
    unknown = set(data) - set(ACCOUNTING_FIELDS)
    if unknown:
        raise ApplicationError(_("Accounting does not own these fields: %(f)s") % {"f": ", ".join(sorted(unknown))},
                               code="sales.invoice.not_accounting_field")
    return record_update(invoice, user=user, data=data, fields=ACCOUNTING_FIELDS)


@transaction.atomic
def invoice_cancel(*, user, invoice: Invoice, reason: str = "") -> Invoice:
    """Cancel an invoice that has no payments allocated to it, with the reason (stored and journaled).

    A person must say why; the system (accounting reporting a cancellation, `user=None`) may not. An invoice
    with payments is refused: its payments are reversed first (`payment_reverse`), so money is never left
    allocated to a cancelled invoice.
    """
    # Lock the invoice first: a payment allocates only after locking it too, so none slips in between
    # this check and the cancellation.
    list(Invoice.objects.select_for_update().filter(pk=invoice.pk).values_list("pk", flat=True))
    if invoice.status == InvoiceStatus.CANCELLED:
        raise Conflict(_("This invoice is already cancelled."), code="sales.invoice.cancelled")
    if PaymentAllocation.objects.filter(invoice=invoice).exists():
        raise Conflict(_("This invoice has payments against it. Reverse the payments first, then cancel it."),
                       code="sales.invoice.has_payments")
    reason = (reason or "").strip()
    if user is not None and not reason:
        raise ValidationError({"reason": [_("Say why the invoice is cancelled.")]})
    invoice = record_update(invoice, user=user, data={"status": InvoiceStatus.CANCELLED,
                                                      "cancel_reason": reason[:255]},
                            fields=("status", "cancel_reason"))
    # Nobody chases the payment of a cancelled invoice: its reminders are done, as a paid one's are.
    reminders_complete_for(user=user, target=invoice)
    return invoice


@transaction.atomic
def invoice_delete(*, user, invoice: Invoice) -> None:
    """Delete a draft invoice with its lines. A draft has no number and no payments, so nothing refers to it;
    an issued one has spent its number and is cancelled instead (`invoice_cancel`)."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.DRAFT:
        raise Conflict(_("Only a draft invoice can be deleted; cancel an issued one instead."),
                       code="sales.invoice.not_draft")
    policy.require(user, "delete", locked)
    # The journal keeps the lines with the invoice's last state: the history shows what was deleted.
    changes = {k: [v, None] for k, v in snapshot(locked).items()}
    changes["lines"] = [[line_summary(o) for o in locked.lines.all()], None]
    journal_record(obj=locked, operation=Operation.DELETE, changes=changes, user=user)
    locked.delete()


@transaction.atomic
def invoice_from_deal(*, user, deal: Deal, own_company, due_in_days: int = 5) -> Invoice:
    """Make a draft invoice from a deal's lines, in one click."""
    lines = [LineInput.from_line(line) for line in deal.lines.all()]
    if not lines:
        lines = [LineInput(description=deal.title, quantity=Decimal("1"), price=deal.amount)]
    # A deal belongs to no company, so its lines may have no VAT rate: they take the issuing company's standard
    # one (a VAT payer's invoice must not print "no VAT"); a company without VAT leaves them without.
    for line in lines:
        if line.vat_rate is None and (line.product is None or line.product.vat_rate is None):
            line.vat_rate = own_company.vat_rate
    today = timezone.localdate()
    return invoice_create(user=user, data={
        "own_company": own_company, "counterparty": deal.counterparty, "deal": deal, "currency": deal.currency,
        "date": today, "due_date": today + dt.timedelta(days=due_in_days)}, lines=lines)


def refresh_paid_status(invoice: Invoice, *, user) -> Invoice:
    """Set an invoice's paid amount and status from its allocations (issued, partly paid, paid)."""
    paid = sum((a.amount for a in invoice.allocations.all()), ZERO)
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
        status = invoice.status
    elif paid <= ZERO:
        status = InvoiceStatus.ISSUED
    elif paid < invoice.total:
        status = InvoiceStatus.PARTLY_PAID
    else:
        status = InvoiceStatus.PAID
    became_paid = status == InvoiceStatus.PAID and invoice.status != InvoiceStatus.PAID
    invoice = record_update(invoice, user=user, data={"paid_amount": paid, "status": status},
                            fields=("paid_amount", "status"))
    if became_paid:
        # A reminder about an invoice (chase the payment) has done its job once the invoice is paid.
        reminders_complete_for(user=user, target=invoice)
    return invoice


def invoice_send(*, user, invoice: Invoice, to: list[str], subject: str = "", body: str = "",
                 cc: list[str] | None = None):
    """E-mail an issued invoice as a PDF over SMTP and log it on the counterparty's timeline (kind e-mail).

    The message goes out first and is logged only once the SMTP server took it: a failed send logs nothing.
    (Not deferred to on_commit, because the person clicking "Send" must learn right away that it failed.)
    """
    policy.require(user, "view", invoice)
    if not invoice_sendable(invoice):
        raise ApplicationError(_("Issue the invoice before sending it."), code="sales.invoice.not_sendable")
    recipients = [a.strip() for a in to if a and a.strip()]
    if not recipients:
        raise ValidationError({"to": [_("Give at least one e-mail address.")]})
    for address in recipients + list(cc or []):
        validate_email(address)
    refused = policy.invoice_send_refused(user, invoice, recipients + list(cc or []))
    if refused:
        raise ValidationError({"to": refused})
    with translation.override(invoice_language(invoice)):
        subject = subject or _("Invoice %(number)s of %(date)s") % {
            "number": invoice.number, "date": date_format(invoice.date, "SHORT_DATE_FORMAT")}
    message = EmailMessage(subject=subject, body=body, to=recipients, cc=cc or [],
                           reply_to=[user.email] if getattr(user, "email", "") else None)
    message.attach(invoice_filename(invoice), invoice_pdf(invoice), "application/pdf")
    try:
        message.send(fail_silently=False)
    except OSError as exc:  # SMTP errors are OSError subclasses, as are refused connections
        log.warning("invoice %s not sent: %s", invoice.pk, mail_failure_line(exc))
        raise ApplicationError(mail_failure_text(exc), code="sales.invoice.mail_failed",
                               extra={"error": type(exc).__name__}) from exc
    return interaction_log(user=user, data={
        "kind": "email", "direction": "out", "counterparty": invoice.counterparty, "deal": invoice.deal,
        "subject": subject, "outcome": ", ".join(recipients),
        "body": _("Invoice %(number)s sent as PDF to %(to)s.") % {"number": invoice.number,
                                                                  "to": ", ".join(recipients)}})
