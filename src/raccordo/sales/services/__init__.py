"""Write services for deals, invoices, contracts and payments.

Callers import from here (`from raccordo.sales.services import invoice_create`); the modules say where
each rule lives: `lines` (typed line input, pricing), `deals` (stage moves only through `deal_move`),
`invoices` (what a caller may set; numbering, cancelling), `payments` (allocation, overpayment),
`contracts`, `shipments` (what accounting shipped without an invoice).
"""

from .contracts import CONTRACT_FIELDS, contract_create, contract_update
from .deals import (
    DEAL_CREATE_FIELDS,
    DEAL_UPDATE_FIELDS,
    deal_change,
    deal_create,
    deal_delete,
    deal_move,
    deal_set_lines,
    deal_update,
    default_funnel,
    register_source_finder,
    suggested_source,
)
from .funnels import FUNNEL_FIELDS, STAGE_FIELDS, funnel_create, funnel_update, stage_create, stage_update
from .invoices import (
    ACCOUNTING_FIELDS,
    INVOICE_FIELDS,
    invoice_accounting_update,
    invoice_cancel,
    invoice_create,
    invoice_delete,
    invoice_from_deal,
    invoice_issue,
    invoice_send,
    invoice_update,
    refresh_paid_status,
)
from .lines import ZERO, LineInput, combined_discount
from .payments import (
    PAYMENT_FIELDS,
    invoice_payment_record,
    payment_record,
    payment_reverse,
    payment_unallocated,
)
from .shipments import SHIPMENT_FIELDS, accounting_shipment_delete, accounting_shipment_save

__all__ = [
    "FUNNEL_FIELDS", "STAGE_FIELDS", "funnel_create", "funnel_update", "stage_create", "stage_update",
    "ACCOUNTING_FIELDS", "CONTRACT_FIELDS", "DEAL_CREATE_FIELDS", "DEAL_UPDATE_FIELDS", "INVOICE_FIELDS",
    "PAYMENT_FIELDS", "SHIPMENT_FIELDS", "ZERO", "accounting_shipment_delete", "accounting_shipment_save", "LineInput", "combined_discount", "contract_create", "contract_update", "deal_change",
    "deal_create", "deal_delete", "deal_move", "deal_set_lines", "deal_update", "default_funnel", "invoice_accounting_update",
    "invoice_cancel", "invoice_create", "invoice_delete", "invoice_from_deal", "invoice_issue", "invoice_payment_record",
    "invoice_send", "invoice_update", "payment_record", "payment_reverse", "payment_unallocated", "refresh_paid_status",
    "register_source_finder", "suggested_source",
]
