"""Write services for deals, invoices, contracts and payments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access import policy
from raccordo.access.records import record_create, record_update
from raccordo.core.errors import ApplicationError
from raccordo.core.journal import diff, journal_record, snapshot
from raccordo.core.models import Operation

from .models import (
    Contract,
    Deal,
    DealLine,
    Funnel,
    Invoice,
    InvoiceLine,
    InvoiceNumberSeries,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    Stage,
    StageKind,
)
from .pricing import document_totals, line_totals

ZERO = Decimal("0")


@dataclass
class LineInput:
    """One line as the UI, API or exchange gives it, before it is priced and saved."""

    description: str = ""
    quantity: Decimal = Decimal("1")
    price: Decimal = ZERO
    product: Any = None
    unit: Any = None
    discount_percent: Decimal = ZERO
    vat_rate: Decimal | None = None
    extra: dict = field(default_factory=dict)


def combined_discount(line_percent: Decimal, document_percent: Decimal) -> Decimal:
    """A document discount applies on top of each line's own: 10 % then 5 % is 14.5 %."""
    hundred = Decimal("100")
    return hundred - (hundred - line_percent) * (hundred - document_percent) / hundred


def _build_lines(model, parent_field: str, parent, lines: list[LineInput], vat_included: bool,
                 document_discount: Decimal = ZERO) -> list:
    """Price and validate lines; every line's errors are reported with its number."""
    built, errors = [], []
    for position, line in enumerate(lines, start=1):
        description = line.description or (line.product.name if line.product is not None else "")
        vat_rate = line.vat_rate
        if vat_rate is None and line.product is not None:
            vat_rate = line.product.vat_rate
        unit = line.unit or (line.product.unit if line.product is not None else None)
        obj = model(**{parent_field: parent}, product=line.product, description=description,
                    quantity=line.quantity, unit=unit, price=line.price,
                    discount_percent=line.discount_percent, vat_rate=vat_rate, position=position)
        try:
            obj.full_clean(exclude=[parent_field, "amount", "vat_amount"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                label = name if name != "__all__" else ""
                errors.extend(_("Line %(n)s, %(field)s: %(msg)s") % {"n": position, "field": label, "msg": m}
                              for m in messages)
            continue
        try:
            totals = line_totals(quantity=obj.quantity, price=obj.price,
                                 discount_percent=combined_discount(obj.discount_percent,
                                                                    Decimal(document_discount or 0)),
                                 vat_rate=obj.vat_rate, vat_included=vat_included)
        except ValidationError as exc:   # quantity x price beyond what an amount holds
            errors.extend(_("Line %(n)s, %(field)s: %(msg)s") % {"n": position, "field": "amount", "msg": m}
                          for m in exc.messages)
            continue
        obj.amount, obj.vat_amount = totals.amount, totals.vat
        built.append((obj, totals))
    if not errors:
        try:
            document_totals([t for _o, t in built])   # each line fits, but their sum must fit too
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"lines": errors})
    return built


def _replace_lines(model, parent_field: str, parent, built: list) -> None:
    model.objects.filter(**{parent_field: parent}).delete()
    model.objects.bulk_create([obj for obj, _totals in built])


# --- Deals -------------------------------------------------------------------------------------------------------

def default_funnel() -> Funnel:
    funnel = Funnel.objects.filter(is_default=True).first() or Funnel.objects.order_by("order").first()
    if funnel is None:
        raise ApplicationError(_("No funnel is configured yet."), code="sales.funnel.missing")
    return funnel


@transaction.atomic
def deal_create(*, user, data: dict[str, Any], lines: list[LineInput] | None = None) -> Deal:
    """Open a deal for a counterparty; it starts at the funnel's first stage unless a stage is given."""
    data = dict(data)
    data.setdefault("funnel", data.get("stage").funnel if data.get("stage") else default_funnel())
    if not data.get("stage"):
        data["stage"] = data["funnel"].stages.order_by("order").first()
    if user is not None and not data.get("manager"):
        data["manager"] = user
    if lines:
        data["amount"] = ZERO
    deal = record_create(Deal, user=user, data=data)
    if lines:
        deal_set_lines(user=user, deal=deal, lines=lines)
    return deal


def deal_update(*, user, deal: Deal, data: dict[str, Any]) -> Deal:
    """Change a deal's fields."""
    return record_update(deal, user=user, data=data)


@transaction.atomic
def deal_set_lines(*, user, deal: Deal, lines: list[LineInput]) -> Deal:
    """Replace a deal's lines; its amount becomes their total."""
    policy.require(user, "change", deal)
    built = _build_lines(DealLine, "deal", deal, lines, vat_included=True)
    _replace_lines(DealLine, "deal", deal, built)
    total = document_totals([t for _o, t in built]).total
    return record_update(deal, user=user, data={"amount": total})


@transaction.atomic
def deal_move(*, user, deal: Deal, stage: Stage, lost_reason: str = "") -> Deal:
    """Move a deal to another stage of its funnel; a won or lost stage closes it."""
    if stage.funnel_id != deal.funnel_id:
        raise ApplicationError(_("The stage belongs to another funnel."), code="sales.stage.wrong_funnel")
    if stage.kind == StageKind.LOST and not lost_reason and not deal.lost_reason:
        raise ValidationError({"lost_reason": _("Say why the deal was lost.")})
    data: dict[str, Any] = {"stage": stage}
    if stage.kind == StageKind.OPEN:
        data.update(closed_at=None, lost_reason="")
    else:
        data["closed_at"] = deal.closed_at or timezone.now()
        if lost_reason:
            data["lost_reason"] = lost_reason
    return record_update(deal, user=user, data=data)


# --- Invoices ----------------------------------------------------------------------------------------------------

def _apply_totals(invoice: Invoice, built: list) -> None:
    totals = document_totals([t for _o, t in built])
    invoice.subtotal, invoice.vat_amount, invoice.total = totals.subtotal, totals.vat, totals.total


@transaction.atomic
def invoice_create(*, user, data: dict[str, Any], lines: list[LineInput]) -> Invoice:
    """Create a draft invoice with its lines; totals follow from the lines."""
    data = dict(data)
    if user is not None and not data.get("responsible"):
        data["responsible"] = user
    data.setdefault("date", timezone.localdate())
    if not lines:
        raise ValidationError({"lines": [_("An invoice needs at least one line.")]})
    invoice = Invoice(**data)
    built = _build_lines(InvoiceLine, "invoice", invoice, lines, vat_included=data.get("vat_included", True),
                         document_discount=data.get("discount_percent") or ZERO)
    _apply_totals(invoice, built)
    invoice.full_clean()
    policy.require(user, "add", invoice)
    invoice.save(force_insert=True)
    _replace_lines(InvoiceLine, "invoice", invoice, built)
    journal_record(obj=invoice, operation=Operation.CREATE, changes=diff({}, {
        **snapshot(invoice), "lines": [_line_summary(o) for o, _t in built]}), user=user)
    return invoice


def _line_summary(line) -> str:
    return f"{line.description} × {line.quantity} @ {line.price} -{line.discount_percent}% = {line.amount}"


@transaction.atomic
def invoice_update(*, user, invoice: Invoice, data: dict[str, Any], lines: list[LineInput] | None = None) -> Invoice:
    """Change a draft invoice (an issued one can change only its due date and comment)."""
    policy.require(user, "change", invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        locked = set(data) - {"due_date", "comment"}
        if locked or lines is not None:
            raise ApplicationError(_("An issued invoice cannot be edited; cancel it and make a new one."),
                                   code="sales.invoice.locked")
    before = {**snapshot(invoice), "lines": [_line_summary(o) for o in invoice.lines.all()]}
    for key, value in data.items():
        setattr(invoice, key, value)
    built = None
    if lines is None and "discount_percent" in data:
        # A new document discount reprices the existing lines.
        lines = [LineInput(description=ln.description, quantity=ln.quantity, price=ln.price, product=ln.product,
                           unit=ln.unit, discount_percent=ln.discount_percent, vat_rate=ln.vat_rate)
                 for ln in invoice.lines.all()]
    if lines is not None:
        if not lines:
            raise ValidationError({"lines": [_("An invoice needs at least one line.")]})
        built = _build_lines(InvoiceLine, "invoice", invoice, lines, vat_included=invoice.vat_included,
                             document_discount=invoice.discount_percent)
        _apply_totals(invoice, built)
    invoice.full_clean()
    policy.require(user, "change", invoice)
    after = {**snapshot(invoice),
             "lines": [_line_summary(o) for o, _t in built] if built is not None else before["lines"]}
    changes = diff(before, after)
    if not changes:
        return invoice
    invoice.save()
    if built is not None:
        _replace_lines(InvoiceLine, "invoice", invoice, built)
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
    invoice = record_update(invoice, user=user, data=data)
    invoice = _refresh_paid_status(invoice, user=user)
    if invoice.status != InvoiceStatus.PAID:
        from raccordo.activities.services import invoice_reminders_schedule

        invoice_reminders_schedule(user=user, invoice=invoice)
    return invoice


def _stock_check(invoice: Invoice) -> None:
    """settings.STOCK_CHECK = "block" refuses an invoice whose lines exceed available stock ("warn": the UI says so)."""
    from django.conf import settings

    from .selectors import invoice_stock_shortages

    if getattr(settings, "STOCK_CHECK", "warn") != "block":
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


ACCOUNTING_FIELDS = ("accounting_number", "accounting_date", "accounting_status", "is_posted", "shipped_on",
                     "shipment_number")


def invoice_accounting_update(*, user, invoice: Invoice, data: dict[str, Any]) -> Invoice:
    """Record what accounting reports about an invoice (its number there, posting, shipment)."""
    unknown = set(data) - set(ACCOUNTING_FIELDS)
    if unknown:
        raise ApplicationError(_("Accounting does not own these fields: %(f)s") % {"f": ", ".join(sorted(unknown))},
                               code="sales.invoice.not_accounting_field")
    return record_update(invoice, user=user, data=data)


def invoice_cancel(*, user, invoice: Invoice) -> Invoice:
    """Cancel an invoice that has no payments allocated to it."""
    if invoice.allocations.exists():
        raise ApplicationError(_("An invoice with payments cannot be cancelled."), code="sales.invoice.has_payments")
    return record_update(invoice, user=user, data={"status": InvoiceStatus.CANCELLED})


@transaction.atomic
def invoice_from_deal(*, user, deal: Deal, own_company, due_in_days: int = 5) -> Invoice:
    """Make a draft invoice from a deal's lines, in one click."""
    lines = [LineInput(description=line.description, quantity=line.quantity, price=line.price,
                       product=line.product, unit=line.unit, discount_percent=line.discount_percent,
                       vat_rate=line.vat_rate) for line in deal.lines.all()]
    if not lines:
        lines = [LineInput(description=deal.title, quantity=Decimal("1"), price=deal.amount)]
    today = timezone.localdate()
    return invoice_create(user=user, data={
        "own_company": own_company, "counterparty": deal.counterparty, "deal": deal, "currency": deal.currency,
        "date": today, "due_date": today + dt.timedelta(days=due_in_days)}, lines=lines)


def _refresh_paid_status(invoice: Invoice, *, user) -> Invoice:
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
    invoice = record_update(invoice, user=user, data={"paid_amount": paid, "status": status})
    if became_paid:
        # A reminder about an invoice (chase the payment) has done its job once the invoice is paid.
        from raccordo.activities.services import reminders_complete_for

        reminders_complete_for(user=user, target=invoice)
    return invoice


# --- Payments ----------------------------------------------------------------------------------------------------

@transaction.atomic
def payment_record(*, user, data: dict[str, Any], allocations: list[tuple[Invoice, Decimal]] | None = None,
                   auto_allocate: bool = True) -> Payment:
    """Record money received; allocate it to the given invoices, or to the oldest open ones.

    What is not allocated stays on the payment as an overpayment: it is never lost.
    """
    payment = record_create(Payment, user=user, data=data)
    remaining = payment.amount
    if allocations is None and auto_allocate:
        open_invoices = (Invoice.objects.select_for_update()
                         .filter(counterparty=payment.counterparty, currency=payment.currency,
                                 status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID])
                         .order_by("date", "number"))
        allocations = []
        for invoice in open_invoices:
            if remaining <= ZERO:
                break
            share = min(remaining, invoice.outstanding)
            if share > ZERO:
                allocations.append((invoice, share))
                remaining -= share
    for invoice, amount in allocations or []:
        if invoice.counterparty_id != payment.counterparty_id:
            raise ValidationError({"allocations": [_("Invoice %(n)s belongs to another counterparty.")
                                                   % {"n": invoice.number}]})
        fresh = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if fresh.currency != payment.currency:
            raise ValidationError({"allocations": [_("Invoice %(n)s is in %(c)s, the payment in %(p)s.")
                                                   % {"n": fresh.number, "c": fresh.currency, "p": payment.currency}]})
        if fresh.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID):
            raise ValidationError({"allocations": [_("Invoice %(n)s is not awaiting payment.") % {"n": fresh.number}]})
        if amount > fresh.outstanding:
            # The rest of the payment stays unallocated (an overpayment), it is never pushed onto an invoice.
            raise ValidationError({"allocations": [_("Invoice %(n)s is owed %(owed)s; %(amount)s cannot be allocated "
                                                     "to it.") % {"n": fresh.number, "owed": fresh.outstanding,
                                                                  "amount": amount}]})
        record_create(PaymentAllocation, user=user, data={"payment": payment, "invoice": invoice, "amount": amount})
        _refresh_paid_status(Invoice.objects.get(pk=invoice.pk), user=user)
    total_allocated = sum((a for _i, a in allocations or []), ZERO)
    if total_allocated > payment.amount:
        raise ValidationError({"allocations": [_("More is allocated than the payment brings.")]})
    return payment


def payment_unallocated(payment: Payment) -> Decimal:
    """The overpayment: what part of a payment no invoice took."""
    return payment.amount - sum((a.amount for a in payment.allocations.all()), ZERO)


def contract_create(*, user, data: dict[str, Any]) -> Contract:
    """Register a contract with a counterparty."""
    return record_create(Contract, user=user, data=data)


def contract_update(*, user, contract: Contract, data: dict[str, Any]) -> Contract:
    """Change a contract's number, date, title, currency or term; an unchanged contract writes nothing."""
    return record_update(contract, user=user, data=data)


def invoice_send(*, user, invoice: Invoice, to: list[str], subject: str = "", body: str = "",
                 cc: list[str] | None = None):
    """E-mail an issued invoice as a PDF over SMTP and log it on the counterparty's timeline (kind e-mail).

    The message goes out first and is logged only once the SMTP server took it: a failed send logs nothing.
    (Not deferred to on_commit, because the person clicking "Send" must learn right away that it failed.)
    """
    from django.core.mail import EmailMessage
    from django.utils import translation

    from raccordo.activities.services import interaction_log

    from .printing import invoice_filename, invoice_language, invoice_pdf

    policy.require(user, "view", invoice)
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
        raise ApplicationError(_("Issue the invoice before sending it."), code="sales.invoice.not_sendable")
    recipients = [a.strip() for a in to if a and a.strip()]
    if not recipients:
        raise ValidationError({"to": [_("Give at least one e-mail address.")]})
    from django.core.validators import validate_email

    for address in recipients + list(cc or []):
        validate_email(address)
    refused = policy.invoice_send_refused(user, invoice, recipients + list(cc or []))
    if refused:
        raise ValidationError({"to": refused})
    with translation.override(invoice_language(invoice)):
        subject = subject or _("Invoice %(number)s of %(date)s") % {
            "number": invoice.number, "date": invoice.date.strftime("%d.%m.%Y")}
    message = EmailMessage(subject=subject, body=body, to=recipients, cc=cc or [],
                           reply_to=[user.email] if getattr(user, "email", "") else None)
    message.attach(invoice_filename(invoice), invoice_pdf(invoice), "application/pdf")
    try:
        message.send(fail_silently=False)
    except OSError as exc:  # SMTP errors are OSError subclasses, as are refused connections
        raise ApplicationError(_("The e-mail could not be sent: %(error)s") % {"error": exc},
                               code="sales.invoice.mail_failed") from exc
    return interaction_log(user=user, data={
        "kind": "email", "direction": "out", "counterparty": invoice.counterparty, "deal": invoice.deal,
        "subject": subject, "outcome": ", ".join(recipients),
        "body": _("Invoice %(number)s sent as PDF to %(to)s.") % {"number": invoice.number,
                                                                  "to": ", ".join(recipients)}})
