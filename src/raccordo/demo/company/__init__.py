"""The small demo: ~40 counterparties and a believable two months of work, written through the services.

Every record goes through the same service the UI uses, so the change journal is filled and every
invariant (valid tax ids, E.164 phones, invoice totals, numbering, payment allocation) holds.
Dates are relative to today; the content is the same for the same seed.

    state.py        what the steps share (reference data, the random source, what earlier steps made)
    parties.py      departments, counterparties, contact persons
    sales.py        deals, invoices, payments
    activities.py   interactions, tasks, reminders, complaints
    calls.py        extensions and calls from the office PBX (telephony)
"""

from __future__ import annotations

from .activities import create_activities
from .calls import create_calls
from .parties import create_contacts, create_counterparties, create_departments
from .sales import create_deals, create_invoices
from .state import DemoState


class DemoCompany(DemoState):
    """Builds the demo company step by step; `run()` returns the counts of what it made."""

    def run(self) -> dict[str, int]:
        """Every step in order (each builds on the ones before), then the backdating; returns the number of
        invoices per target status."""
        steps = [("departments", create_departments), ("counterparties", create_counterparties),
                 ("contacts", create_contacts),
                 ("deals", create_deals), ("invoices and payments", create_invoices),
                 ("interactions, tasks, reminders, complaints", create_activities), ("calls", create_calls)]
        invoice_counts: dict[str, int] = {}
        for label, step in steps:
            self.log(f"  {label}...")
            result = step(self)
            if label.startswith("invoices"):
                invoice_counts = result
        self.apply_backdating()
        return invoice_counts


__all__ = ["DemoCompany"]
