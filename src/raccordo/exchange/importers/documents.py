"""CommerceML documents from accounting: order status, 1C number, posting, payment, shipment, cancellation.

Each document is applied in its own transaction through the sales services, so a document is
applied whole or not at all, and a replayed document (same content hash) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.catalog.models import Product
from raccordo.core.errors import ApplicationError
from raccordo.core.money import normalize_currency, round_money
from raccordo.parties.models import Counterparty, CounterpartyKind, OwnCompany
from raccordo.parties.services import counterparty_create
from raccordo.sales.models import Invoice, InvoiceStatus, Payment
from raccordo.sales.services import (
    LineInput,
    invoice_accounting_update,
    invoice_cancel,
    invoice_create,
    invoice_issue,
    payment_record,
)

from ..engine import RunRecorder, Source, content_hash, validation_message
from ..formats.commerceml import records as cml
from ..models import Binding, ExchangeNode, UnknownOrders
from .catalog import PRODUCT, vat_rate_from

INVOICE = "sales.invoice"
COUNTERPARTY = "parties.counterparty"
TRUE = {"true", "да", "1", "yes"}


def _flag(requisites: dict[str, str], *names: str) -> bool | None:
    for name in names:
        if name in requisites:
            return requisites[name].strip().lower() in TRUE
    return None


def _text(requisites: dict[str, str], *names: str) -> str:
    for name in names:
        value = (requisites.get(name) or "").strip()
        if value:
            return value
    return ""


def parse_date(text: str | None) -> dt.date | None:
    """1C writes dates as 2017-08-02, 2017-08-02T18:36:44 or 02.08.2017."""
    text = (text or "").strip()
    if not text:
        return None
    for fmt, size in (("%Y-%m-%d", 10), ("%d.%m.%Y", 10)):
        try:
            return dt.datetime.strptime(text[:size], fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


class DocumentImporter:
    """Applies accounting's order documents to our invoices for one node."""

    def __init__(self, *, node: ExchangeNode, recorder: RunRecorder):
        self.node = node
        self.recorder = recorder
        self.file = ""

    def feed(self, doc: cml.DocumentRec) -> None:
        source = Source(self.file, doc.line, doc.path or "", doc.id or "")
        if not doc.id:
            self.recorder.fail(object_type=INVOICE, source=source, code="exchange.cml.missing_id",
                               message=_("A document without Ид cannot be matched."))
            self.recorder.save()
            return
        digest = content_hash({"number": doc.number, "date": doc.date, "total": doc.total, "deleted": doc.deleted,
                               "n1c": doc.number_1c, "d1c": doc.date_1c, "req": doc.requisites,
                               "lines": [(ln.product_id, ln.quantity, ln.price) for ln in doc.lines]})
        try:
            with transaction.atomic():
                outcome = self._apply(doc, digest)
                self.recorder.count(outcome)
                if outcome in ("created", "updated"):
                    self.recorder.planned(outcome=outcome, object_type=INVOICE, external_id=doc.id, source=source,
                                          message=_("Document %(n)s") % {"n": doc.number or doc.id})
                self.recorder.save()
        except (ValidationError, ApplicationError, ValueError) as exc:
            message = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
            self.recorder.fail(object_type=INVOICE, source=source, code=getattr(exc, "code", None)
                               if isinstance(exc, ApplicationError) else "exchange.document.invalid",
                               message=_("Document %(n)s: %(m)s") % {"n": doc.number or doc.id, "m": message})
            self.recorder.save()

    # --- finding or creating the invoice ------------------------------------------------------------------------

    def _find(self, doc: cml.DocumentRec) -> tuple[Invoice | None, Binding | None]:
        binding = Binding.objects.filter(node=self.node, object_type=INVOICE, external_id=doc.id).first()
        if binding is not None:
            return Invoice.objects.filter(pk=binding.object_id).first(), binding
        # An order we sent carries our own id; 1C echoes it back.
        try:
            ours = Invoice.objects.filter(pk=uuid.UUID(doc.id)).first()
        except ValueError:
            ours = None
        if ours is None and doc.number:
            candidates = list(Invoice.objects.filter(number=doc.number)[:2])
            ours = candidates[0] if len(candidates) == 1 else None
        return ours, None

    def _counterparty(self, doc: cml.DocumentRec) -> Counterparty:
        buyers = [c for c in doc.counterparties if (c.role or "").lower() in ("покупатель", "buyer", "")] \
            or list(doc.counterparties)
        if not buyers:
            raise ApplicationError(_("the document names no counterparty"), code="exchange.document.no_counterparty")
        cp = buyers[0]
        if cp.id:
            bound = Binding.objects.filter(node=self.node, object_type=COUNTERPARTY, external_id=cp.id).first()
            if bound is not None:
                found = Counterparty.objects.filter(pk=bound.object_id).first()
                if found is not None:
                    return found
        found = None
        if cp.inn:
            qs = Counterparty.objects.filter(inn=cp.inn.strip())
            if cp.kpp:
                qs = qs.filter(kpp=cp.kpp.strip())
            matches = list(qs[:2])
            found = matches[0] if len(matches) == 1 else None
        if found is None:
            # Bitrix writes a site user as "<id>#<login>#<full name>": the last part is the person's name.
            from_id = (cp.id or "").rsplit("#", 1)[-1].strip() if "#" in (cp.id or "") else ""
            name = (cp.name or cp.full_name or " ".join(p for p in (cp.last_name, cp.first_name) if p) or from_id
                    or cp.id)
            inn = (cp.inn or "").strip()
            kind = CounterpartyKind.LEGAL if len(inn) != 12 else CounterpartyKind.SOLE_TRADER
            if not inn and not cp.kpp and (cp.first_name or cp.last_name):
                kind = CounterpartyKind.INDIVIDUAL
            found = counterparty_create(user=None, data={
                "name": name[:255], "full_name": (cp.full_name or "")[:500], "inn": inn, "kpp": (cp.kpp or "").strip(),
                "kind": kind, "responsible": self.node.default_responsible})
        if cp.id:
            Binding.objects.get_or_create(node=self.node, object_type=COUNTERPARTY, external_id=cp.id,
                                          defaults={"object_id": found.pk})
        return found

    def _create(self, doc: cml.DocumentRec) -> Invoice:
        own = OwnCompany.objects.filter(is_default=True).first() or OwnCompany.objects.order_by("name").first()
        if own is None:
            raise ApplicationError(_("no own company is set up to receive orders"), code="exchange.document.no_company")
        counterparty = self._counterparty(doc)
        bound = dict(Binding.objects.filter(node=self.node, object_type=PRODUCT,
                                            external_id__in=[ln.product_id for ln in doc.lines if ln.product_id])
                     .values_list("external_id", "object_id"))
        products = Product.objects.in_bulk(list(bound.values()))
        lines = []
        for ln in doc.lines:
            quantity = ln.quantity if ln.quantity is not None else Decimal("1")
            price = ln.price if ln.price is not None else (ln.amount / quantity if ln.amount and quantity else None)
            if price is None:
                raise ApplicationError(_("line “%(name)s” has no price") % {"name": ln.name or ln.product_id},
                                       code="exchange.document.line_price")
            # Accounting may send 4 decimals ("231.7400"): our lines keep 3 for quantity and cents for price.
            lines.append(LineInput(description=(ln.name or ln.product_id or "")[:500],
                                   quantity=quantity.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP),
                                   price=round_money(price), product=products.get(bound.get(ln.product_id)),
                                   vat_rate=vat_rate_from({"НДС": ln.vat_rate}) if ln.vat_rate else None))
        currency = normalize_currency(doc.currency, own.currency)
        if currency is None:
            raise ApplicationError(_("unknown currency “%(c)s”") % {"c": doc.currency}, code="exchange.document.currency")
        vat_included = next((ln.vat_included for ln in doc.lines if ln.vat_included is not None), True)
        invoice = invoice_create(user=None, data={
            "own_company": own, "counterparty": counterparty, "date": parse_date(doc.date) or dt.date.today(),
            "currency": currency, "vat_included": vat_included, "comment": doc.comment or ""}, lines=lines)
        return invoice_issue(user=None, invoice=invoice)

    # --- applying accounting's state ----------------------------------------------------------------------------

    def _apply(self, doc: cml.DocumentRec, digest: str) -> str:
        invoice, binding = self._find(doc)
        if binding is not None and binding.content_hash == digest and invoice is not None:
            return "unchanged"
        created = False
        if invoice is None:
            # A status-only document about an order we never had (no buyer, no lines) has nothing to create.
            if self.node.unknown_orders == UnknownOrders.IGNORE or not (doc.counterparties or doc.lines):
                return "skipped"
            invoice = self._create(doc)
            created = True
        changed = self._apply_state(invoice, doc)
        if binding is None:
            Binding.objects.update_or_create(node=self.node, object_type=INVOICE, external_id=doc.id,
                                             defaults={"object_id": invoice.pk, "content_hash": digest})
        else:
            binding.content_hash = digest
            binding.object_id = invoice.pk
            binding.save(update_fields=["content_hash", "object_id", "updated_at"])
        return "created" if created else ("updated" if changed else "unchanged")

    def _apply_state(self, invoice: Invoice, doc: cml.DocumentRec) -> bool:
        req = doc.requisites
        data: dict[str, Any] = {}
        number_1c = doc.number_1c or _text(req, "Номер по 1С")
        if number_1c:
            data["accounting_number"] = number_1c[:50]
        date_1c = parse_date(doc.date_1c or _text(req, "Дата по 1С"))
        if date_1c:
            data["accounting_date"] = date_1c
        status = _text(req, "Статус заказа", "Статус заказа ИД")
        if status:
            data["accounting_status"] = status[:100]
        posted = _flag(req, "Проведен")
        if posted is not None:
            data["is_posted"] = posted
        shipped = parse_date(_text(req, "Дата отгрузки по 1С", "Дата отгрузки"))
        if shipped:
            data["shipped_on"] = shipped
        shipment = _text(req, "Номер отгрузки по 1С", "Номер отгрузки")
        if shipment:
            data["shipment_number"] = shipment[:50]
        before = invoice.updated_at
        invoice = invoice_accounting_update(user=None, invoice=invoice, data=data)
        changed = invoice.updated_at != before

        cancelled = doc.deleted or bool(_flag(req, "Отменен", "ПометкаУдаления"))
        if cancelled and invoice.status != InvoiceStatus.CANCELLED:
            invoice_cancel(user=None, invoice=invoice)
            return True

        paid_on = parse_date(_text(req, "Дата оплаты по 1С", "Дата оплаты"))
        paid_number = _text(req, "Номер оплаты по 1С", "Номер оплаты")
        if (paid_on or _flag(req, "Заказ оплачен")) and not cancelled:
            if invoice.status == InvoiceStatus.DRAFT:
                invoice = invoice_issue(user=None, invoice=invoice)
                changed = True
            already = bool(paid_number) and Payment.objects.filter(allocations__invoice=invoice,
                                                                   number=paid_number[:50]).exists()
            if invoice.outstanding > 0 and not already:
                payment_record(user=None, data={
                    "counterparty": invoice.counterparty, "date": paid_on or dt.date.today(),
                    "amount": invoice.outstanding, "currency": invoice.currency, "number": paid_number[:50],
                    "comment": _("Payment reported by accounting (%(node)s)") % {"node": self.node.code}},
                    allocations=[(invoice, invoice.outstanding)])
                changed = True
        return changed
