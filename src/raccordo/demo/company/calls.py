"""The small demo's telephony: every salesperson's extension and a few weeks of calls from the office PBX,
told through the same call-event contract the PBX adapters use (telephony.services.record_event)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from raccordo.parties.models import Phone
from raccordo.telephony.contract import CallEventInput
from raccordo.telephony.services import extension_set, record_event

from .state import DemoState

OFFICE_LINE = "+74952125500"


def create_calls(demo: DemoState) -> None:
    """Extensions 101... for the people with clients, then an answered call for about a third of the clients
    and two missed ones (which become call-back tasks for the responsible managers)."""
    people = get_user_model().objects.filter(counterparties__isnull=False).distinct().order_by("username")
    extensions = {}
    for n, person in enumerate(people, start=101):
        extension_set(user=None, employee=person, number=str(n))
        extensions[person.pk] = str(n)
    phones = {p.counterparty_id: p.number for p in Phone.objects.order_by("created_at")}
    clients = [cp for cp in demo.counterparties if cp.pk in phones and cp.responsible_id in extensions]
    rnd = demo.rnd
    for k, cp in enumerate(rnd.sample(clients, k=min(len(clients), len(clients) // 3 + 2))):
        start = demo.at(demo.days_ago(1, 25))
        ext, number = extensions[cp.responsible_id], phones[cp.pk]
        missed = k < 2
        inbound = missed or rnd.random() < 0.6
        base = {"call_id": f"demo-{k}", "provider": "generic", "direction": "in" if inbound else "out",
                "from_number": number if inbound else ext, "to_number": OFFICE_LINE if inbound else number}
        events = [("ringing", ext, start)]
        if missed:
            events.append(("missed", "", start + dt.timedelta(seconds=25)))
        else:
            talk = rnd.randint(45, 780)
            answered = start + dt.timedelta(seconds=rnd.randint(3, 15))
            events += [("answered", ext, answered), ("ended", "", answered + dt.timedelta(seconds=talk))]
        for kind, extension, when in events:
            record_event(event=CallEventInput(event=kind, extension=extension, occurred_at=when, **base))
