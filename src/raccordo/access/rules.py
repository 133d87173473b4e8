"""The access rules, declared: how each model's rows relate to the people allowed to reach them.

A table and nothing else. `access.policy` reads it and makes every decision; a model missing here is
invisible to everyone but administrators (deny by default), and tests/access checks that every model is
either listed or knowingly internal. Which user fields hand a record to someone is declared here as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models


@dataclass(frozen=True)
class Rule:
    """How a model's rows relate to the people allowed to see them.

    subject: the object type a role's permissions name ("counterparties", "invoices", ...); a rule
        without one is for administrators only.
    counterparty: lookup path from the model to its Counterparty ("" for Counterparty itself,
        None when the model hangs off no counterparty).
    owners: user foreign keys that grant access to a record that hangs off no counterparty (a task
        with no client assigned to me, my own reminder). When a record has a counterparty, the
        counterparty alone decides, so nobody reaches a client's data by naming themselves owner.
    shared: not row-scoped (catalog, funnels, the exchange): whoever holds the subject's permission
        reaches every row.
    """

    counterparty: str | None = None
    owners: tuple[str, ...] = field(default_factory=tuple)
    shared: bool = False
    subject: str = ""


RULES: dict[str, Rule] = {
    "parties.counterparty": Rule(counterparty="", subject="counterparties"),
    "parties.contactperson": Rule(counterparty="counterparty", subject="counterparties"),
    "parties.address": Rule(counterparty="counterparty", subject="counterparties"),
    "parties.phone": Rule(counterparty="counterparty", subject="counterparties"),
    "parties.email": Rule(counterparty="counterparty", subject="counterparties"),
    "parties.bankaccount": Rule(counterparty="counterparty", subject="counterparties"),
    # The search index's own rows: read only through parties.search, which filters a selector's queryset.
    "parties.searchdocument": Rule(),
    "parties.tag": Rule(shared=True, subject="reference"),
    "parties.owncompany": Rule(shared=True, subject="reference"),
    "catalog.unit": Rule(shared=True, subject="catalog"),
    "catalog.productgroup": Rule(shared=True, subject="catalog"),
    "catalog.product": Rule(shared=True, subject="catalog"),
    "catalog.productimage": Rule(shared=True, subject="catalog"),
    "catalog.pricetype": Rule(shared=True, subject="catalog"),
    "catalog.property": Rule(shared=True, subject="catalog"),
    "catalog.price": Rule(shared=True, subject="catalog"),
    "catalog.warehouse": Rule(shared=True, subject="catalog"),
    "catalog.stocklevel": Rule(shared=True, subject="catalog"),
    "sales.funnel": Rule(shared=True, subject="reference"),
    "sales.stage": Rule(shared=True, subject="reference"),
    "sales.deal": Rule(counterparty="counterparty", subject="deals"),
    "sales.dealline": Rule(counterparty="deal__counterparty", subject="deals"),
    "sales.contract": Rule(counterparty="counterparty", subject="deals"),
    "sales.invoice": Rule(counterparty="counterparty", subject="invoices"),
    "sales.invoiceline": Rule(counterparty="invoice__counterparty", subject="invoices"),
    "sales.payment": Rule(counterparty="counterparty", subject="payments"),
    "sales.paymentallocation": Rule(counterparty="payment__counterparty", subject="payments"),
    "sales.accountingshipment": Rule(counterparty="counterparty", subject="invoices"),
    "activities.interaction": Rule(counterparty="counterparty", owners=("author",), subject="activities"),
    "activities.task": Rule(counterparty="counterparty", owners=("assignee", "author"), subject="activities"),
    "activities.reminder": Rule(counterparty="counterparty", owners=("user",), subject="activities"),
    "activities.complaint": Rule(counterparty="counterparty", owners=("responsible",), subject="activities"),
    # The exchange with accounting: administrators and accountants.
    "exchange.exchangenode": Rule(shared=True, subject="exchange"),
    "exchange.binding": Rule(shared=True, subject="exchange"),
    "exchange.mapping": Rule(shared=True, subject="exchange"),
    "exchange.run": Rule(shared=True, subject="exchange"),
    "exchange.runitem": Rule(shared=True, subject="exchange"),
    "exchange.exchangetask": Rule(shared=True, subject="exchange"),
    "exchange.nodelock": Rule(shared=True, subject="exchange"),
    # The orders export's bookkeeping of journal positions still in flight: read only by the exporter.
    "exchange.journalgap": Rule(),
    # The 1C endpoint's sessions, uploads and request log: administrators only.
    "onec.onecsettings": Rule(),
    "onec.onecsession": Rule(),
    "onec.onecfile": Rule(),
    "onec.onecrequest": Rule(),
    # Cached report figures: read only through reports.services, keyed by the reader's own access scope.
    "reports.reportsnapshot": Rule(),
    # The change journal as a whole (the global audit view); a record's own history is shown with the record.
    "core.changejournal": Rule(shared=True, subject="audit"),
    # Operations (workers' heartbeats, backups): administrators only, on the system page.
    "operations.workerheartbeat": Rule(),
    "operations.backup": Rule(),
}

# User fields that hand a record to someone: a user may fill them only with people in their reach.
ASSIGNMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "parties.counterparty": ("responsible",),
    "sales.deal": ("manager",),
    "sales.invoice": ("responsible",),
    "activities.complaint": ("responsible",),
    "activities.reminder": ("user",),
    # The API took any active user here (report L2); the web form offered only `assignable_users`.
    "activities.task": ("assignee",),
}


def rule_for(model: type[models.Model]) -> Rule | None:
    """The rule declared for `model`, None when it has none (then only administrators reach it)."""
    return RULES.get(model._meta.label_lower)
