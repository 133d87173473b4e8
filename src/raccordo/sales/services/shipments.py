"""Write services for shipments accounting reported without a Raccordo invoice (`AccountingShipment`)."""

from __future__ import annotations

from typing import Any

from raccordo.access.records import record_create, record_delete, record_update

from ..models import AccountingShipment

SHIPMENT_FIELDS = ("counterparty", "own_company", "number", "date", "amount", "currency")


def accounting_shipment_save(*, user, data: dict[str, Any],
                             shipment: AccountingShipment | None = None) -> AccountingShipment:
    """Store (or change) a shipment accounting reported that names no invoice; unchanged writes nothing."""
    if shipment is None:
        return record_create(AccountingShipment, user=user, data=data, fields=SHIPMENT_FIELDS)
    return record_update(shipment, user=user, data=data, fields=SHIPMENT_FIELDS)


def accounting_shipment_delete(*, user, shipment: AccountingShipment) -> None:
    """Forget a shipment: accounting deleted it, or it now names an invoice that carries it."""
    record_delete(shipment, user=user)
