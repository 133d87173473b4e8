"""Invoices to 1C as customer orders; bank receipts and sales from 1C, for `services`' importer and export.

* Our issued invoices travel as Документ.ЗаказКлиента (see `formats.enterprisedata.documents` for why
  not СчетПокупателю), from the change journal like counterparties, under the invoice's own id (bound as
  it is first sent, so the payment 1C makes against it names it by that GUID). A cancelled invoice 1C
  knows is sent as its deletion. Drafts do not travel.
* 1C's ПБДСРасчетыСКонтрагентами from a buyer is recorded once through `sales.services.payment_record`,
  allocated row by row to the invoice the row's order names (by the GUID we sent, else by its number);
  the service's own rules decide (same counterparty and currency, awaiting payment, at most what is
  owed); what no invoice can take stays on the payment as an overpayment and is reported.
* 1C's РеализацияТоваровУслуг stores its number and date on the invoice its order names, as the
  CommerceML document importer does (`invoice_accounting_update`: shipment document, shipped on); a sale
  naming no invoice of ours is stored as a `sales.AccountingShipment` of its counterparty (the card lists
  it as shipped, not invoiced), and moves onto the invoice once 1C names one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from raccordo.core.models import ChangeJournal, Operation
from raccordo.exchange.engine import Source
from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc
from raccordo.exchange.mappings import node_scoped
from raccordo.exchange.models import Binding, ExchangeNode, RunItem
from raccordo.sales.models import AccountingShipment, Invoice, InvoiceLine, InvoiceStatus, Payment
from raccordo.sales.services import (
    accounting_shipment_delete,
    accounting_shipment_save,
    invoice_accounting_update,
    payment_record,
)

from .catalogs import PRODUCT_BINDING, contract_rec, digest, organization_rec
from .chunks import CHUNK, chunked, contact_prefetches, release

ZERO = Decimal("0")
SENT_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID)


class DocumentImporter:
    """Writes 1C's payments and sales through the sales services (the importer's part)."""

    def __init__(self, importer):
        self.importer = importer
        self.node: ExchangeNode = importer.node
        self.recorder = importer.recorder

    def _note(self, object_type: str, ref: str, line, code: str, message: str, *, count: bool = True) -> None:
        if count:
            self.recorder.count("skipped")
        self.recorder.add(RunItem(outcome="skipped", object_type=object_type, external_id=ref[:255], code=code,
                                  message=message, file=self.importer.file, line=line))

    def find_invoice(self, ref: doc.DocumentRef | None, company) -> Invoice | None:
        """The invoice an order reference names: by the GUID it travelled under, our id, else its number."""
        if ref is None:
            return None
        binding = self.importer.binding(doc.ORDER, ref.ref)
        if binding is not None:
            found = Invoice.objects.filter(pk=binding.object_id).first()
            if found is not None:
                return found
        try:
            found = Invoice.objects.filter(pk=uuid.UUID(ref.ref)).first() if ref.ref else None
        except ValueError:
            found = None
        if found is None and ref.number:
            matches = list(Invoice.objects.filter(own_company=company, number=ref.number[:50])[:2]) or list(
                Invoice.objects.filter(own_company=company, accounting_number=ref.number[:50])[:2])
            found = matches[0] if len(matches) == 1 else None
        return found

    def order(self, rec: doc.OrderRec) -> None:
        """1C sends an order back: ours unchanged is recognised; anything else is not taken (the CRM is master)."""
        binding = self.importer.binding(doc.ORDER, rec.ref)
        if binding is not None and binding.content_hash == digest(rec):
            self.recorder.count("unchanged")
            return
        self._note(doc.ORDER, rec.ref, rec.line, "exchange.enterprisedata.order_not_taken",
                   _("Order %(number)s from 1C is not taken: invoices are made in Raccordo.") % {"number": rec.number})

    def payment(self, rec: doc.PaymentRec) -> Payment | None:
        if rec.kind != doc.FROM_BUYER:
            self._note(doc.PAYMENT, rec.ref, rec.line, "exchange.enterprisedata.payment_kind",
                       _("Receipt %(number)s is of kind %(kind)s; only payments from buyers are recorded.") % {
                           "number": rec.number, "kind": rec.kind or "-"})
            return None
        hashed = digest(rec)
        binding = self.importer.binding(doc.PAYMENT, rec.ref)
        if binding is not None and Payment.objects.filter(pk=binding.object_id).exists():
            if binding.content_hash == hashed:
                self.recorder.count("unchanged")
            else:   # a recorded payment is not rewritten: its allocations may have been worked on since
                self._note(doc.PAYMENT, rec.ref, rec.line, "exchange.enterprisedata.payment_changed",
                           _("Receipt %(number)s changed in 1C after Raccordo recorded it; the recorded payment "
                             "is kept.") % {"number": rec.number})
            return None
        company = self.importer.own_company(rec.organization, ref=rec.ref, line=rec.line)
        counterparty = self.importer.find_counterparty(rec.counterparty) if rec.counterparty is not None else None
        allocations: list[tuple[Invoice, Decimal]] = []
        notes: list[tuple[str, str]] = []     # reported once the payment is recorded, not for a refused one
        what = _("Receipt %(number)s") % {"number": rec.number}
        self.importer.in_scope(counterparty, ref=rec.ref, what=what)
        for order, amount in rec.rows:
            invoice = self.find_invoice(order, company)
            self.importer.in_scope(invoice, ref=rec.ref, what=what)
            if invoice is None:
                if order is not None:
                    notes.append(("exchange.enterprisedata.payment_unallocated", _("Receipt %(number)s names order %(order)s, which is no invoice here; %(amount)s "
                                 "stays unallocated.") % {"number": rec.number, "order": order.number or order.ref,
                                                         "amount": amount}))
                continue
            counterparty = counterparty or invoice.counterparty
            share = min(amount, invoice.outstanding) if invoice.currency == rec.currency else ZERO
            if share < amount:
                notes.append(("exchange.enterprisedata.payment_overpaid", _("Receipt %(number)s brings %(amount)s for invoice %(invoice)s, which is owed "
                             "%(owed)s; the rest stays unallocated.") % {
                               "number": rec.number, "amount": amount, "invoice": invoice.number,
                               "owed": invoice.outstanding}))
            if share > ZERO:
                allocations.append((invoice, share))
        if counterparty is None:
            raise fmt.ObjectInvalid(_("the receipt names no counterparty known here and no invoice"),
                                    line=rec.line, ref=rec.ref)
        payment = payment_record(user=None, data={
            "counterparty": counterparty, "date": rec.date, "amount": rec.amount, "currency": rec.currency,
            "number": rec.number[:50], "comment": rec.purpose[:255]}, allocations=allocations, auto_allocate=False)
        self.recorder.count("created")
        for code, message in notes:
            self._note(doc.PAYMENT, rec.ref, rec.line, code, message, count=False)
        self.importer.bind(doc.PAYMENT, rec.ref, payment, hashed)
        return payment

    def sale(self, rec: doc.SaleRec) -> Invoice | AccountingShipment | None:
        """A sale to a customer: on the invoice its order names, else stored as a shipment not invoiced."""
        if rec.operation != doc.SALE_TO_CUSTOMER:
            self._note(doc.SALE, rec.ref, rec.line, "exchange.enterprisedata.sale_kind",
                       _("Sale %(number)s is of kind %(kind)s; only sales to customers are recorded.") % {
                           "number": rec.number, "kind": rec.operation})
            return None
        hashed = digest(rec)
        binding = self.importer.binding(doc.SALE, rec.ref)
        company = self.importer.own_company(rec.organization, ref=rec.ref, line=rec.line)
        invoice = self.find_invoice(rec.order, company)
        self.importer.in_scope(invoice, ref=rec.ref, what=_("Sale %(number)s") % {"number": rec.number})
        stored = AccountingShipment.objects.filter(pk=binding.object_id).first() if binding is not None else None
        if invoice is None:
            return self._shipment(rec, company, stored, hashed)
        if binding is not None and binding.content_hash == hashed and binding.object_id == invoice.pk:
            self.recorder.count("unchanged")
            return invoice
        if stored is not None:     # 1C now names an invoice: the invoice carries the shipment from here on
            accounting_shipment_delete(user=None, shipment=stored)
        before = invoice.updated_at
        invoice = invoice_accounting_update(user=None, invoice=invoice, data={
            "shipped_on": rec.date, "shipment_number": rec.number[:50]})
        self.recorder.count("updated" if invoice.updated_at != before else "unchanged")
        self.importer.bind(doc.SALE, rec.ref, invoice, hashed)
        return invoice

    def _shipment(self, rec: doc.SaleRec, company, stored: AccountingShipment | None,
                  hashed: str) -> AccountingShipment | None:
        """A sale naming no invoice of ours: kept for the counterparty card (shipments not yet invoiced)."""
        counterparty = self.importer.find_counterparty(rec.counterparty)
        self.importer.in_scope(counterparty, ref=rec.ref, what=_("Sale %(number)s") % {"number": rec.number})
        if counterparty is None:
            self._note(doc.SALE, rec.ref, rec.line, "exchange.enterprisedata.sale_without_invoice",
                       _("Sale %(number)s names no invoice of Raccordo and no counterparty known here; it is not "
                         "stored.") % {"number": rec.number})
            return None
        binding = self.importer.binding(doc.SALE, rec.ref)
        if stored is not None and binding is not None and binding.content_hash == hashed:
            self.recorder.count("unchanged")
            return stored
        shipment = accounting_shipment_save(user=None, shipment=stored, data={
            "counterparty": counterparty, "own_company": company, "number": rec.number[:50], "date": rec.date,
            "amount": rec.amount, "currency": rec.currency})
        self.recorder.count("updated" if stored is not None else "created")
        self.importer.bind(doc.SALE, rec.ref, shipment, hashed)
        return shipment

    def deletion(self, rec: fmt.DeletionRec) -> bool:
        """1C deleted a sale: the invoice forgets that shipment. False: not a document read here."""
        if rec.object_type != "РеализацияТоваровУслугСсылка":
            return False
        binding = self.importer.binding(doc.SALE, rec.ref)
        invoice = Invoice.objects.filter(pk=binding.object_id).first() if binding is not None else None
        shipment = (AccountingShipment.objects.filter(pk=binding.object_id).first()
                    if binding is not None and invoice is None else None)
        if shipment is not None:
            accounting_shipment_delete(user=None, shipment=shipment)
            self.recorder.count("updated")
            self.importer.bindings.mark_peer_deleted(binding)
            return True
        if invoice is None:
            self.recorder.count("skipped")
            return True
        invoice_accounting_update(user=None, invoice=invoice, data={"shipped_on": None, "shipment_number": ""})
        self.recorder.count("updated")
        self.importer.bindings.mark_peer_deleted(binding)
        return True


# ---------------------------------------------------------------------------------------------------- export


def _changed_invoices(node: ExchangeNode, after: int, upto: int):
    """The ids of the invoices changed in the journal in (after, upto] by anyone but this node, as a subquery:
    the database matches them, so no set of every id (and no query naming each of them) grows with the
    message."""
    ct = ContentType.objects.get_for_model(Invoice).pk
    return (ChangeJournal.objects.filter(seq__gt=after, seq__lte=upto, content_type_id=ct)
            .exclude(node=node.code).exclude(operation=Operation.DELETE).values("object_id"))


def _product_refs(node: ExchangeNode, product_ids) -> dict:
    """1C's Ссылка of each of these products bound for the node."""
    return dict(Binding.objects.filter(node=node, object_type=PRODUCT_BINDING, object_id__in=list(product_ids))
                .values_list("object_id", "external_id"))


def order_rec(invoice: Invoice, node: ExchangeNode, refs, counterparty_rec,
              product_refs: dict | None = None) -> doc.OrderRec:
    """Raccordo's invoice as a customer order; a line's product travels under 1C's Ссылка when it is bound.

    The lines come from ``invoice.ed_lines`` when prefetched, and the products' Ссылка from ``product_refs``
    when given (looked up for a chunk of invoices at once)."""
    lines = getattr(invoice, "ed_lines", None)
    if lines is None:
        lines = list(invoice.lines.select_related("product", "unit").order_by("position"))
    if product_refs is None:
        product_refs = _product_refs(node, {ln.product_id for ln in lines if ln.product_id})
    return doc.OrderRec(
        ref=refs(doc.ORDER, invoice), number=invoice.number, date=invoice.date,
        organization=organization_rec(invoice.own_company), counterparty=counterparty_rec(invoice.counterparty, refs),
        currency=invoice.currency, total=invoice.total, vat_included=invoice.vat_included,
        contract=contract_rec(invoice.contract, refs, counterparty_rec) if invoice.contract_id else None,  # type: ignore[arg-type]  # guarded by contract_id
        lines=[doc.OrderLineRec(
            name=ln.description[:150] or "-", quantity=ln.quantity, price=ln.price, amount=ln.amount,
            vat_rate=ln.vat_rate, vat_amount=ln.vat_amount, product_ref=product_refs.get(ln.product_id, ""),  # type: ignore[arg-type]  # a line without a product finds none
            article=ln.product.article if ln.product_id else "",  # type: ignore[union-attr]  # guarded by product_id
            # A line without a product is a service in 1C's terms (a row of Услуги with its text).
            is_service=ln.product.is_service if ln.product_id else True,  # type: ignore[union-attr]  # guarded by product_id
            unit_code=ln.unit.code if ln.unit_id else "", unit_name=ln.unit.name if ln.unit_id else "")  # type: ignore[union-attr]  # guarded by unit_id
            for ln in lines])


def outgoing_invoices(node: ExchangeNode, version: str, after: int, upto: int, refs, counterparty_rec,
                      digests: dict, recorder) -> Iterator:
    """Our changed, issued invoices as ЗаказКлиента; cancelled ones 1C knows as its deletion.

    One at a time (a generator, like `outgoing.outgoing_objects`). An invoice the version cannot carry (a VAT
    rate ≤ 1.16's enum lacks) is reported and left out.
    """
    rows = (node_scoped(node, Invoice.objects.filter(pk__in=_changed_invoices(node, after, upto)))
            .select_related("counterparty", "own_company", "contract__counterparty", "contract__own_company")
            .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.select_related("product", "unit")
                                       .order_by("position"), to_attr="ed_lines"),
                              *contact_prefetches("counterparty__"), *contact_prefetches("contract__counterparty__"))
            .order_by("date", "number", "id").iterator(chunk_size=CHUNK))
    for chunk in chunked(rows, CHUNK):
        refs.preload(doc.ORDER, [invoice.pk for invoice in chunk])
        refs.preload(fmt.COUNTERPARTY, [invoice.counterparty_id for invoice in chunk]
                     + [invoice.contract.counterparty_id for invoice in chunk if invoice.contract_id])
        refs.preload(cat.CONTRACT, [invoice.contract_id for invoice in chunk])
        products = _product_refs(node, {ln.product_id for invoice in chunk for ln in invoice.ed_lines if ln.product_id})
        for invoice in chunk:
            yield from _invoice_elements(invoice, node, version, refs, counterparty_rec, digests, recorder, products)
        release(chunk)


def _invoice_elements(invoice: Invoice, node: ExchangeNode, version: str, refs, counterparty_rec, digests: dict,
                      recorder, products: dict) -> Iterator:
    if invoice.status == InvoiceStatus.CANCELLED:
        ext = (Binding.objects.filter(node=node, object_type=doc.ORDER, object_id=invoice.pk)
               .values_list("external_id", flat=True).first())
        if ext:
            yield fmt.deletion_element("ЗаказКлиентаСсылка", ext, version)
        return
    if invoice.status not in SENT_STATUSES:
        return
    try:
        el = doc.order_element(order_rec(invoice, node, refs, counterparty_rec, products), version)
    except ValueError as exc:
        refs.new.pop((doc.ORDER, invoice.pk), None)
        recorder.fail(object_type=doc.ORDER, code="exchange.enterprisedata.not_expressible",
                      source=Source(file="", line=None, external_id=str(invoice.pk)),
                      message=_("Invoice %(number)s cannot travel in EnterpriseData %(version)s: %(error)s") % {
                          "number": invoice.number, "version": version, "error": exc})
        return
    digests[(doc.ORDER, invoice.pk)] = digest(doc.read_document(el, version))
    yield el
