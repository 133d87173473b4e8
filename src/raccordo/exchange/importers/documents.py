"""CommerceML documents from accounting: order status, 1C number, posting, payment, shipment, cancellation.

Each document is applied in its own transaction through the sales services, and inside it each
requisite on its own (a savepoint each), as 1C-Bitrix's order loader does: 1C cancelling an order the
CRM holds as paid must not cost 1C's number, date and posting of it (findings deviation #6). A
requisite the sales services refuse is not forced: a refused status transition is a conflict, settled
by the node's conflict policy and listed on the run's page; any other refused requisite is a skipped
item with the reason. A document about an invoice outside the node's scope (`access.policy.node_can`)
is refused whole. A replayed document (same content hash) changes nothing, and records nothing again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.access.policy import node_can
from raccordo.catalog.models import Product
from raccordo.core.errors import ApplicationError
from raccordo.core.money import normalize_currency, round_money
from raccordo.parties.selectors import default_own_company
from raccordo.sales.models import Invoice, InvoiceStatus, Payment
from raccordo.sales.services import (
    LineInput,
    invoice_accounting_update,
    invoice_cancel,
    invoice_create,
    invoice_issue,
    payment_record,
)

from ..conflicts import CRM, Conflict, MergeRules, parse_exchange_time
from ..engine import RunRecorder, Source, content_hash, validation_message
from ..formats.commerceml import records as cml
from ..mappings import mapping_plan
from ..models import Binding, ExchangeNode, RunItem, UnknownOrders
from .buyers import COUNTERPARTY, Buyers, DocumentSkipped
from .catalog.kinds import PRODUCT, bound_ids, vat_rate_from

INVOICE = "sales.invoice"
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
    raise ValueError(_("not a date: “%(text)s”") % {"text": text})


class DocumentRefused(Exception):
    """A document the node may not apply at all (it is about an invoice outside the node's scope):
    kept as a "refused" RunItem with `reason`, and 1C is answered failure."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


REFUSED = "refused"
# Run.params key: how many requisites of the run's documents were applied and how many refused, for the
# answer to 1C (the run's counters count documents, not requisites).
REQUISITES = "requisites"


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return validation_message(exc)
    return exc.message if isinstance(exc, ApplicationError) else str(exc)




class DocumentImporter(Buyers):
    """Applies accounting's order documents to our invoices for one node."""

    def __init__(self, *, node: ExchangeNode, recorder: RunRecorder):
        self.node = node
        self.recorder = recorder
        self.file = ""
        # How counterparties named in documents are found, created and updated: the node's mapping.
        self.cp_plan = mapping_plan(node, COUNTERPARTY)
        self.cp_rules = MergeRules(node=node, object_type=COUNTERPARTY, crm_owned=self.cp_plan.crm_owned,
                                   policy=self.cp_plan.conflict_policy, run=recorder.run)
        # Orders have no mapping of their own: the counterparty mapping is the node's say over them (its
        # filter is the node's scope, its policy settles a status 1C and the CRM disagree on).
        self.invoice_rules = MergeRules(node=node, object_type=INVOICE, policy=self.cp_plan.conflict_policy,
                                        run=recorder.run)
        self.managers = list(self.cp_plan.filter_values)
        self._source_now = Source()
        self._applied = self._refused = 0

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
        self._source_now = source
        self.cp_rules.exchange_time = self.invoice_rules.exchange_time = parse_exchange_time(
            f"{doc.date}T{doc.time}" if doc.date and doc.time else doc.date)
        self._applied = self._refused = 0
        try:
            with transaction.atomic():
                outcome = self._apply(doc, digest)
                self.recorder.count(outcome)
                if outcome in ("created", "updated"):
                    self.recorder.planned(outcome=outcome, object_type=INVOICE, external_id=doc.id, source=source,
                                          message=_("Document %(n)s") % {"n": doc.number or doc.id})
                self._tally()
                self.recorder.save()
        except DocumentRefused as exc:
            self.recorder.count("skipped")
            self.recorder.add(RunItem(outcome=REFUSED, object_type=INVOICE, external_id=doc.id[:255],
                                      code=exc.code[:64], message=exc.reason, file=source.file[:255],
                                      line=source.line, path=(source.path or "")[:500]))
            self.recorder.save()
        except DocumentSkipped as exc:
            self.recorder.count("skipped")
            if exc.reason:
                self.recorder.add(RunItem(outcome="skipped", object_type=INVOICE, external_id=doc.id[:255],
                                          code="exchange.record.not_created", message=exc.reason,
                                          file=source.file[:255], line=source.line, path=(source.path or "")[:500]))
            self.recorder.save()
        except (ValidationError, ApplicationError, ValueError) as exc:
            message = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
            self.recorder.fail(object_type=INVOICE, source=source, code=getattr(exc, "code", None)  # type: ignore[arg-type]  # an ApplicationError has a code
                               if isinstance(exc, ApplicationError) else "exchange.document.invalid",
                               message=_("Document %(n)s: %(m)s") % {"n": doc.number or doc.id, "m": message})
            self.recorder.save()

    def _tally(self) -> None:
        """Add this document's applied and refused requisites to the run's (for the answer to 1C)."""
        params = self.recorder.run.params if isinstance(self.recorder.run.params, dict) else {}
        seen = params.get(REQUISITES) or {}
        params[REQUISITES] = {"applied": int(seen.get("applied", 0)) + self._applied,
                              "refused": int(seen.get("refused", 0)) + self._refused}
        self.recorder.run.params = params

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

    def _create(self, doc: cml.DocumentRec) -> Invoice:
        own = default_own_company()
        if own is None:
            raise ApplicationError(_("no own company is set up to receive orders"), code="exchange.document.no_company")
        counterparty = self._counterparty(doc)
        bound = bound_ids(self.node, PRODUCT, [ln.product_id for ln in doc.lines if ln.product_id])
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
                                   price=round_money(price), product=products.get(bound.get(ln.product_id)),  # type: ignore[arg-type]  # a line without a product finds none
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
        if invoice is not None and not node_can(invoice, managers=self.managers):
            # Found by our id, by its number or by a binding made before the filter changed: either way
            # the node may not change it (nor learn more of it than the number it sent).
            raise DocumentRefused(_("Document %(n)s is about invoice %(invoice)s, whose counterparty is not one "
                                    "of the managers this node is limited to: refused.") % {
                "n": doc.number or doc.id, "invoice": invoice.number or invoice.pk},
                code="exchange.document.out_of_scope")
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
        """Apply each requisite of accounting's document on its own; return whether anything changed.

        The order: what accounting owns outright (its number, date, status text, posting, shipment),
        then the transitions the sales services rule on (cancellation, payment), so a refused transition
        never costs the rest."""
        req = doc.requisites
        before = invoice.updated_at
        fields: list[tuple[str, str, Any]] = [
            ("accounting_number", "Номер по 1С", lambda: (doc.number_1c or _text(req, "Номер по 1С"))[:50] or None),
            ("accounting_date", "Дата по 1С", lambda: parse_date(doc.date_1c or _text(req, "Дата по 1С"))),
            ("accounting_status", "Статус заказа", lambda: _text(req, "Статус заказа", "Статус заказа ИД")[:100]
             or None),
            ("is_posted", "Проведен", lambda: _flag(req, "Проведен")),
            ("shipped_on", "Дата отгрузки по 1С", lambda: parse_date(_text(req, "Дата отгрузки по 1С",
                                                                          "Дата отгрузки"))),
            ("shipment_number", "Номер отгрузки по 1С", lambda: _text(req, "Номер отгрузки по 1С",
                                                                      "Номер отгрузки")[:50] or None),
        ]
        for name, requisite, read in fields:
            invoice = self._field(invoice, doc, name, requisite, read)

        # ПометкаУдаления and Отменен each cancel; either one is enough (false in one does not undo the other).
        cancelled = bool(doc.deleted or _flag(req, "ПометкаУдаления") or _flag(req, "Отменен"))
        if cancelled:
            invoice = self._transition(invoice, doc, InvoiceStatus.CANCELLED,
                                       requisite="Отменен" if _flag(req, "Отменен") else "ПометкаУдаления",
                                       write=lambda inv: self._cancel(inv))
        else:
            paid_on_text = _text(req, "Дата оплаты по 1С", "Дата оплаты")
            try:
                paid_on = parse_date(paid_on_text)
            except ValueError as exc:
                self._skip(invoice, doc, requisite="Дата оплаты по 1С", reason=str(exc))
                paid_on = None
            paid_number = _text(req, "Номер оплаты по 1С", "Номер оплаты")[:50]
            if paid_on or _flag(req, "Заказ оплачен"):
                invoice = self._transition(invoice, doc, InvoiceStatus.PAID, requisite="Дата оплаты по 1С",
                                           write=lambda inv: self._pay(inv, paid_on, paid_number))
        invoice.refresh_from_db(fields=["updated_at"])
        return invoice.updated_at != before

    def _field(self, invoice: Invoice, doc: cml.DocumentRec, name: str, requisite: str, read) -> Invoice:
        """One field accounting owns, through the sales service; a value that cannot be read or that the
        service refuses is skipped with the reason, the others still apply."""
        try:
            value = read()
        except ValueError as exc:
            self._skip(invoice, doc, requisite=requisite, reason=str(exc))
            return invoice
        if value is None:
            return invoice   # not in the document: nothing to say about it
        try:
            with transaction.atomic():
                invoice = invoice_accounting_update(user=None, invoice=invoice, data={name: value})
        except (ValidationError, ApplicationError) as exc:
            invoice.refresh_from_db()
            self._skip(invoice, doc, requisite=requisite, reason=_reason(exc))
            return invoice
        self._applied += 1
        return invoice

    def _cancel(self, invoice: Invoice) -> Invoice:
        if invoice.status == InvoiceStatus.CANCELLED:
            return invoice
        return invoice_cancel(user=None, invoice=invoice)

    def _pay(self, invoice: Invoice, paid_on: dt.date | None, number: str) -> Invoice:
        """Accounting says the order is paid: a payment of what is still owed (as Bitrix does), once."""
        if invoice.status == InvoiceStatus.CANCELLED:
            # Nothing is owed on a cancelled invoice, so no payment would be recorded: still, 1C and the CRM
            # disagree, and saying nothing would hide it.
            raise ApplicationError(_("Invoice %(n)s is not awaiting payment.") % {"n": invoice.number},
                                   code="exchange.conflict.not_payable")
        if invoice.status == InvoiceStatus.DRAFT:
            invoice = invoice_issue(user=None, invoice=invoice)
        already = bool(number) and Payment.objects.filter(allocations__invoice=invoice, number=number).exists()
        if invoice.outstanding > 0 and not already:
            payment_record(user=None, data={
                "counterparty": invoice.counterparty, "date": paid_on or dt.date.today(),
                "amount": invoice.outstanding, "currency": invoice.currency, "number": number,
                "comment": _("Payment reported by accounting (%(node)s)") % {"node": self.node.code}},
                allocations=[(invoice, invoice.outstanding)])
            invoice.refresh_from_db()
        return invoice

    def _transition(self, invoice: Invoice, doc: cml.DocumentRec, target: str, *, requisite: str, write) -> Invoice:
        """A status change accounting reports, through the sales services. When they refuse it (1C cancels
        an order the CRM holds as paid), the CRM's status stays and the refusal is a conflict on the
        invoice's status: the node's policy says whether it is settled (the CRM wins, or its change is the
        newer) or waits for someone to choose on the run's page."""
        try:
            with transaction.atomic():
                invoice = write(invoice)
        except (ValidationError, ApplicationError) as exc:
            invoice.refresh_from_db()
            self._conflict(invoice, doc, target, requisite=requisite, reason=_reason(exc))
            return invoice
        self._applied += 1
        return invoice

    def _conflict(self, invoice: Invoice, doc: cml.DocumentRec, target: str, *, requisite: str, reason: str) -> None:
        self._refused += 1
        rules = self.invoice_rules
        history = rules.histories(Invoice, [invoice.pk]).get(invoice.pk)
        decided = rules.settle("status", invoice.status, str(target), history)
        refused = _("%(requisite)s (%(value)s) was refused: %(reason)s") % {
            "requisite": requisite, "value": InvoiceStatus(target).label, "reason": reason}
        if decided.winner == CRM:
            note = f"{refused} {decided.note}"
        else:
            # The policy would take accounting's status, but the CRM's own rules refuse it: a person decides
            # (e.g. refunds the payment, then takes accounting's value here).
            decided = Conflict("status", invoice.status, str(target), "")
            note = f"{refused} " + _("Waiting for someone to choose; the CRM's value is kept until then.")
        decided.note = note
        rules.record(self.recorder, conflicts=[decided], external_id=doc.id, object_id=invoice.pk,  # type: ignore[arg-type]  # a document read has an id
                     source=self._source_now)

    def _skip(self, invoice: Invoice, doc: cml.DocumentRec, *, requisite: str, reason: str) -> None:
        """A requisite that could not be applied and is no status conflict: a skipped item with the reason."""
        self._refused += 1
        source = self._source_now
        self.recorder.add(RunItem(outcome="skipped", object_type=INVOICE, external_id=doc.id[:255],  # type: ignore[index]  # a document read has an id
                                  object_id=invoice.pk, code="exchange.document.requisite",
                                  message=_("%(requisite)s was not applied: %(reason)s") % {
                                      "requisite": requisite, "reason": reason},
                                  file=source.file[:255], line=source.line, path=(source.path or "")[:500]))


def invoice_status_apply(*, invoice: Invoice, status: str, node_code: str) -> Invoice:
    """Take accounting's side of a status conflict, chosen on the run's page: through the same sales
    services as the import (a paid invoice still cannot be cancelled until its payment is taken back)."""
    if status == InvoiceStatus.CANCELLED:
        return invoice if invoice.status == status else invoice_cancel(user=None, invoice=invoice)
    if status == InvoiceStatus.PAID:
        if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID):
            raise ApplicationError(_("Invoice %(n)s is not awaiting payment.") % {"n": invoice.number},
                                   code="exchange.conflict.not_payable")
        if invoice.status == InvoiceStatus.DRAFT:
            invoice = invoice_issue(user=None, invoice=invoice)
        if invoice.outstanding > 0:
            payment_record(user=None, data={
                "counterparty": invoice.counterparty, "date": dt.date.today(), "amount": invoice.outstanding,
                "currency": invoice.currency,
                "comment": _("Payment reported by accounting (%(node)s)") % {"node": node_code}},
                allocations=[(invoice, invoice.outstanding)])
            invoice.refresh_from_db()
        return invoice
    raise ApplicationError(_("Status “%(s)s” cannot be taken from accounting.") % {"s": status},
                           code="exchange.conflict.status")
