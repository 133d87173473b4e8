"""Where the scheduled report's "missed calls" come from: the hook telephony plugs into.

Telephony (the app `raccordo.telephony`, built separately) knows which calls were missed. When it is installed
it registers a source from its AppConfig.ready():

    from raccordo.reports.missed_calls import register_missed_calls_source
    register_missed_calls_source(missed_calls_by_person)

where `missed_calls_by_person(*, narrow, start_at, end_at) -> {user id or None: count}` counts the missed calls
between the two aware datetimes (end excluded) in a queryset it passes through `narrow(queryset)` first: that
applies the access policy for the people the report is computed for, so a missed call of a client they may not
see is never counted (its Call model has a counterparty-scoped rule in access/rules.py).

Until then, or without telephony, the report counts the calls logged by hand as activities that were missed:
inbound calls with no duration (0 s) or an outcome that says so, and says "telephony not connected".
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db.models import Count, F, Q

from raccordo.activities.models import Direction, Interaction, InteractionKind

# Words a manager types as the outcome of a call nobody answered, in the three languages of the interface.
MISSED_OUTCOMES = ("missed", "no answer", "persa", "non risposto", "пропущен", "не ответ")

_SOURCE: list[Callable] = []


def register_missed_calls_source(source: Callable) -> None:
    """Count missed calls with `source` (telephony's), replacing any registered before."""
    _SOURCE[:] = [source]


def telephony_connected() -> bool:
    return apps.is_installed("raccordo.telephony")


def missed_calls_source() -> Callable | None:
    """The registered source, only while telephony is installed."""
    return _SOURCE[0] if _SOURCE and telephony_connected() else None


def logged_missed_calls(*, narrow, start_at, end_at) -> dict:
    """{author id: count} of inbound calls logged by hand that were missed, in [start_at, end_at)."""
    missed = Q(duration_seconds=0)
    for word in MISSED_OUTCOMES:
        missed |= Q(outcome__icontains=word)
    calls = narrow(Interaction.objects.filter(kind=InteractionKind.CALL, direction=Direction.INBOUND,
                                              occurred_at__gte=start_at, occurred_at__lt=end_at))
    return {row["person"]: row["n"] for row in
            calls.filter(missed).order_by().values(person=F("author")).annotate(n=Count("pk"))}
