"""Records of two managers, so every page can be checked for what it shows and what it hides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from raccordo.activities.services import interaction_log, task_create
from raccordo.parties.services import counterparty_create
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests import factories


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def world(manager, other_manager, reference_data):
    """One client, deal, invoice and task for `manager`, and the same for `other_manager`."""
    ref = reference_data
    data = {"ref": ref}
    for key, user, seed, name in (("mine", manager, 101, "Romashka"), ("theirs", other_manager, 202, "Vasilek")):
        cp = counterparty_create(user=user, data={"kind": "legal", "name": name, "inn": factories.inn10(seed)},
                                 phones=[f"+7 495 123-45-{seed % 100:02d}"], emails=[f"{name.lower()}@example.com"])
        deal = factories.deal_for(cp, ref, title=f"{name} supply", amount=Decimal("1000"))
        invoice = invoice_create(user=user, data={
            "own_company": ref["own_company"], "counterparty": cp, "currency": "RUB",
            "date": timezone.localdate(), "due_date": timezone.localdate() - dt.timedelta(days=3)},
            lines=[LineInput(description="Widgets", quantity=Decimal("2"), price=Decimal("500"))])
        invoice = invoice_issue(user=user, invoice=invoice)
        task = task_create(user=user, data={"title": f"Call {name}", "counterparty": cp,
                                            "due_at": timezone.now() - dt.timedelta(hours=2)})
        interaction_log(user=user, data={"kind": "call", "subject": f"Intro call {name}", "counterparty": cp})
        contact = factories.ContactPersonFactory(counterparty=cp, first_name="Ivan", last_name=f"{name}ov")
        data[key] = {"counterparty": cp, "deal": deal, "invoice": invoice, "task": task, "contact": contact}
    data["product"] = factories.product_with_stock(ref, name="Steel pipe")
    return data
