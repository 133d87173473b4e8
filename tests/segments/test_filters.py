"""Segment filters against a plain-Python restatement of their definitions on generated data, and a manager's
count covering only their clients."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from raccordo.catalog.models import ProductGroup
from raccordo.comms.services import opt_out
from raccordo.parties.models import Address, Email, Phone, Tag
from raccordo.sales.models import Invoice, InvoiceLine, InvoiceStatus, Payment, StageKind
from raccordo.segments.selectors import contacts_matching, counterparties_matching, segment_members
from raccordo.segments.services import segment_create
from tests.factories import ContactPersonFactory, CounterpartyFactory, ProductFactory, deal_for

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 30)


def _dataset(managers, ref, n=60, seed=21):
    """Clients with random tags, kinds, cities, payments, invoices with product groups, deals and e-mails."""
    rnd = random.Random(seed)
    tags = [Tag.objects.create(name=f"tag{i}") for i in range(3)]
    groups = [ProductGroup.objects.create(name=f"group{i}") for i in range(3)]
    products = [ProductFactory(group=g) for g in groups]
    stages = list(ref["stages"].values())
    clients = []
    for i in range(n):
        client = CounterpartyFactory(responsible=rnd.choice(managers), kind=rnd.choice(["legal", "individual"]),
                                     inn="", country=rnd.choice(["RU", "IT"]))
        client.tags.set(rnd.sample(tags, rnd.randint(0, 2)))
        Address.objects.create(counterparty=client, text="x", city=rnd.choice(["Moscow", "Milano", "Kazan"]))
        for _ in range(rnd.randint(0, 3)):
            Payment.objects.create(counterparty=client, date=TODAY - dt.timedelta(days=rnd.randint(0, 400)),
                                   amount=Decimal(rnd.randint(1, 50) * 1000), number=f"p{i}",
                                   reversed_at=ref["now"] if rnd.random() < 0.1 else None)
        for _ in range(rnd.randint(0, 2)):
            invoice = Invoice.objects.create(own_company=ref["own_company"], counterparty=client,
                                             date=TODAY - dt.timedelta(days=rnd.randint(0, 400)),
                                             status=rnd.choice(list(InvoiceStatus.values)))
            InvoiceLine.objects.create(invoice=invoice, product=rnd.choice(products), description="x",
                                       quantity=1, price=10)
        if rnd.random() < 0.5:
            deal = deal_for(client, ref)
            deal.stage = rnd.choice(stages)
            deal.save(update_fields=["stage"])
        if rnd.random() < 0.7:
            address = f"c{i}@example.com"
            Email.objects.create(counterparty=client, address=address)
            if rnd.random() < 0.2:
                opt_out(user=None, channel="email", address=address)
        if rnd.random() < 0.5:
            Phone.objects.create(counterparty=client, number=f"+7916{i:07d}", kind="mobile")
        clients.append(client)
    return clients, tags, groups


def _paid(c, start, end):
    return sum((p.amount for p in c.payments.all() if p.reversed_at is None
                and (start is None or p.date >= start) and (end is None or p.date <= end)), Decimal(0))


def _last_purchase(c):
    dates = [p.date for p in c.payments.all() if p.reversed_at is None]
    dates += [i.date for i in c.invoices.all() if i.status not in ("draft", "cancelled")]
    return max(dates) if dates else None


def _groups(c):
    return {line.product.group_id for i in c.invoices.all() if i.status not in ("draft", "cancelled")
            for line in i.lines.all()}


def _reachable(c, channel):
    from raccordo.comms.models import OptOut
    refused = set(OptOut.objects.filter(channel=channel).values_list("address", flat=True))
    if channel == "email":
        return any(e.address not in refused for e in c.emails.all())
    return any(p.number not in refused for p in c.phones.filter(kind="mobile"))


def _expected(clients, f):
    """The definitions, restated in Python."""
    out = []
    for c in clients:
        ok = True
        if f.get("tags"):
            ok &= bool({str(t.pk) for t in c.tags.all()} & set(f["tags"]))
        ok &= not f.get("kind") or c.kind == f["kind"]
        ok &= not f.get("country") or c.country == f["country"]
        ok &= not f.get("city") or any(a.city == f["city"] for a in c.addresses.all())
        ok &= not f.get("responsible") or str(c.responsible_id) in f["responsible"]
        if f.get("paid_min"):
            start = dt.date.fromisoformat(f["paid_from"]) if f.get("paid_from") else None
            end = dt.date.fromisoformat(f["paid_to"]) if f.get("paid_to") else None
            ok &= _paid(c, start, end) >= Decimal(f["paid_min"])
        if f.get("bought_after") or f.get("bought_before"):
            last = _last_purchase(c)
            ok &= last is not None and (not f.get("bought_after") or last >= dt.date.fromisoformat(f["bought_after"]))
            ok &= last is not None and (not f.get("bought_before")
                                        or last <= dt.date.fromisoformat(f["bought_before"]))
        if f.get("product_groups"):
            ok &= bool({str(g) for g in _groups(c)} & set(f["product_groups"]))
        if f.get("open_deal"):
            has = any(d.stage.kind == StageKind.OPEN for d in c.deals.all())
            ok &= has == (f["open_deal"] == "yes")
        ok &= not f.get("consent") or _reachable(c, f["consent"])
        if ok:
            out.append(c.pk)
    return sorted(out)


def test_every_filter_matches_its_plain_python_definition(admin_user, manager, other_manager, reference_data):
    clients, tags, groups = _dataset([manager, other_manager], reference_data)
    cases = [
        {}, {"tags": [str(tags[0].pk)]}, {"tags": [str(tags[1].pk), str(tags[2].pk)]}, {"kind": "individual"},
        {"country": "IT"}, {"city": "Kazan"}, {"responsible": [str(manager.pk)]},
        {"paid_min": "20000"}, {"paid_min": "15000", "paid_from": "2026-01-01", "paid_to": "2026-06-30"},
        {"bought_after": "2026-03-01"}, {"bought_before": "2025-12-31"},
        {"product_groups": [str(groups[1].pk)]}, {"open_deal": "yes"}, {"open_deal": "no"},
        {"consent": "email"}, {"consent": "sms"},
        {"kind": "legal", "open_deal": "yes", "consent": "email", "paid_min": "1000"},
    ]
    for filters in cases:
        found = sorted(counterparties_matching(user=admin_user, filters=filters).values_list("pk", flat=True))
        assert found == _expected(clients, filters), filters
    # Not every case is trivially everything or nothing: the data exercises the filters.
    sizes = {len(_expected(clients, f)) for f in cases}
    assert len(sizes) > 8 and 0 < min(sizes) and max(sizes) == len(clients)


def test_a_managers_count_covers_only_their_clients(admin_user, manager, other_manager, reference_data):
    clients, _tags, _groups = _dataset([manager, other_manager], reference_data, n=30, seed=7)
    segment = segment_create(user=manager, data={"name": "Paying", "filters": {"paid_min": "1000"}})
    everyone = set(_expected(clients, {"paid_min": "1000"}))
    anna = {c.pk for c in clients if c.responsible_id == manager.pk}
    mine = set(segment_members(user=manager, segment=segment).values_list("pk", flat=True))
    assert mine == everyone & anna and mine != everyone
    assert set(segment_members(user=admin_user, segment=segment).values_list("pk", flat=True)) == everyone


def test_a_contact_segment_takes_the_contacts_own_consent(admin_user, manager):
    client = CounterpartyFactory(responsible=manager)
    with_mail, without, refused = (ContactPersonFactory(counterparty=client) for _ in range(3))
    Email.objects.create(counterparty=client, contact=with_mail, address="a@example.com")
    Email.objects.create(counterparty=client, contact=refused, address="r@example.com")
    Email.objects.create(counterparty=client, address="office@example.com")
    opt_out(user=None, channel="email", address="r@example.com")
    found = set(contacts_matching(user=manager, filters={"consent": "email"}).values_list("pk", flat=True))
    assert found == {with_mail.pk}
    assert without.pk not in found


def test_a_bad_filter_is_refused_by_name(manager):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as bad:
        segment_create(user=manager, data={"name": "x", "filters": {"bought_after": "yesterday"}})
    assert "bought_after" in bad.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        segment_create(user=manager, data={"name": "x", "filters": {"colour": "red"}})
    assert "colour" in str(unknown.value)
