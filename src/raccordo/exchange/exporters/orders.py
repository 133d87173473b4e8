"""Outbound orders: invoices new or changed since the node last acknowledged, as CommerceML documents.

The change journal is the source: entries after the node's acknowledged cursor, except those that
came from this very node (what 1C told us is not echoed back to 1C), of invoices within the node's
scope (`mappings.node_scoped`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import IO

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from raccordo.core.models import ChangeJournal
from raccordo.core.money import round_money
from raccordo.sales.models import Invoice, InvoiceStatus

from ..formats.commerceml.writer import LineOut, OrderOut, PartyOut, write_orders
from ..mappings import node_scoped
from ..models import Binding, ExchangeNode
from .horizon import journal_horizon

ZERO = Decimal("0")
STATUS_TEXT: dict[str, str] = {
    InvoiceStatus.ISSUED: "Принят",
    InvoiceStatus.PARTLY_PAID: "Частично оплачен",
    InvoiceStatus.PAID: "Оплачен",
    InvoiceStatus.CANCELLED: "Отменен",
}


def pending_invoices(node: ExchangeNode) -> tuple[list[Invoice], int]:
    """Issued invoices changed since the node's acknowledged cursor, and the journal position they reach."""
    invoice_type = ContentType.objects.get_for_model(Invoice)
    entries = ChangeJournal.objects.filter(seq__gt=node.export_cursor, content_type=invoice_type).exclude(
        node=node.code)
    # Not Max(seq): on PostgreSQL a change may commit after a later-numbered one (see horizon.py).
    upto = journal_horizon(node.export_cursor)
    ids = set(entries.filter(seq__lte=upto).values_list("object_id", flat=True))
    # Only the invoices of the node's managers (its counterparty mapping's filter): a node limited to one
    # manager is told nothing of the others' clients. The cursor still passes the others: widening the
    # filter later does not resend old invoices, a change of theirs does.
    scoped = node_scoped(node, Invoice.objects.filter(pk__in=ids))
    invoices = list(scoped.exclude(status=InvoiceStatus.DRAFT)
                    .select_related("counterparty", "own_company")
                    .prefetch_related("lines__product", "lines__unit", "counterparty__addresses",
                                      "counterparty__phones", "counterparty__emails")
                    .order_by("date", "number"))
    return invoices, upto


def _external_ids(node: ExchangeNode, object_type: str, ids) -> dict:
    return {obj_id: ext for ext, obj_id in Binding.objects.filter(node=node, object_type=object_type,
                                                                 object_id__in=list(ids))
            .values_list("external_id", "object_id")}


def order_out(invoice: Invoice, *, counterparty_ids: dict, product_ids: dict) -> OrderOut:
    """One invoice as the writer's plain record."""
    cp = invoice.counterparty
    address = next((a.text for a in cp.addresses.all()), "")
    party = PartyOut(id=counterparty_ids.get(cp.pk, str(cp.pk)), name=cp.name, full_name=cp.full_name or cp.name,
                     inn=cp.inn, kpp=cp.kpp, address=address, is_person=cp.kind != "legal",
                     phones=tuple(p.number for p in cp.phones.all()), emails=tuple(e.address for e in cp.emails.all()))
    lines = []
    for line in invoice.lines.all():
        product = line.product
        unit = line.unit
        lines.append(LineOut(
            product_id=product_ids.get(product.pk, str(product.pk)) if product else f"line-{line.pk}",
            name=line.description, article=product.article if product else "", quantity=line.quantity,
            price=line.price, amount=line.amount, unit_code=(unit.code if unit else "") or "796",
            unit_name=unit.name if unit else "шт",
            discount=round_money(line.quantity * line.price) - line.amount if line.discount_percent else ZERO,
            vat_rate=line.vat_rate, vat_amount=line.vat_amount, vat_included=invoice.vat_included,
            is_service=bool(product and product.is_service)))
    requisites = {
        "Статус заказа": STATUS_TEXT.get(invoice.status, invoice.get_status_display()),
        "Заказ оплачен": "true" if invoice.status == InvoiceStatus.PAID else "false",
        "Отменен": "true" if invoice.status == InvoiceStatus.CANCELLED else "false",
        "Метод оплаты": "Безналичный расчет",
        "Дата изменения статуса": timezone.localtime(invoice.updated_at).strftime("%Y-%m-%d %H:%M:%S"),
    }
    return OrderOut(id=str(invoice.pk), number=invoice.number, date=invoice.date, currency=invoice.currency,
                    total=invoice.total, counterparty=party, lines=tuple(lines), comment=invoice.comment,
                    time=timezone.localtime(invoice.created_at).time().replace(microsecond=0),
                    requisites=requisites)


def orders_write(node: ExchangeNode, invoices: list[Invoice], out: IO[bytes], *, version: str | None = None) -> int:
    """Write the given invoices in the node's encoding and CommerceML version (or the version given)."""
    counterparty_ids = _external_ids(node, "parties.counterparty", {i.counterparty_id for i in invoices})
    product_ids = _external_ids(node, "catalog.product", {ln.product_id for i in invoices for ln in i.lines.all()
                                                          if ln.product_id})
    records: Iterator[OrderOut] = (order_out(i, counterparty_ids=counterparty_ids, product_ids=product_ids)
                                   for i in invoices)
    return write_orders(records, out, version=version or node.cml_version, encoding=node.encoding)


@transaction.atomic
def orders_export(*, node: ExchangeNode, out: IO[bytes], acknowledge: bool = False, version: str | None = None) -> int:
    """Write what the node has not acknowledged yet; remember the position sent (acknowledged at once if asked).

    `version`: the CommerceML version the peer asked for in this exchange, else the node's.
    """
    node = ExchangeNode.objects.select_for_update().get(pk=node.pk)
    invoices, upto = pending_invoices(node)
    count = orders_write(node, invoices, out, version=version)
    node.pending_cursor = upto
    node.last_sent_no += 1
    if acknowledge:
        node.export_cursor = upto
    node.save(update_fields=["pending_cursor", "last_sent_no", "export_cursor", "updated_at"])
    return count


@transaction.atomic
def orders_acknowledge(*, node: ExchangeNode) -> int:
    """The peer confirmed the last export: everything up to the position sent is done."""
    node = ExchangeNode.objects.select_for_update().get(pk=node.pk)
    node.export_cursor = max(node.export_cursor, node.pending_cursor)
    node.save(update_fields=["export_cursor", "updated_at"])
    return node.export_cursor
