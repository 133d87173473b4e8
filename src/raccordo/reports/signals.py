"""Cached figures follow the money: a change to an invoice, a payment or an allocation makes the receivables
snapshots and this year's KPI snapshots stale at once, so the dashboard agrees with the Receivables page right
after a payment instead of up to REPORT_CACHE_SECONDS later (findings, top problem 10).

Stale, not deleted: the snapshot keeps who asked for it and when, so the worker still keeps it warm, and the
next page that reads it recomputes it (reports.services.report_figures).

The funnel pages follow the deals the same way: a deal created, moved or deleted writes or removes stage visits,
and makes the funnel snapshots stale."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from raccordo.core.signals import records_written
from raccordo.sales.models import DealStageVisit, Invoice, InvoiceLine, Payment, PaymentAllocation

from .models import ReportSnapshot, SnapshotKind

MONEY_MODELS = (Invoice, InvoiceLine, Payment, PaymentAllocation)
# Older than any freshness window: report_figures sees the snapshot as stale.
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def snapshots_invalidate() -> int:
    """Mark every snapshot that money changes can alter as stale; returns how many."""
    affected = (Q(kind=SnapshotKind.RECEIVABLES) | Q(kind=SnapshotKind.KPI, year=timezone.localdate().year)
                | Q(kind__in=[SnapshotKind.ABC_CLIENTS, SnapshotKind.ABC_PRODUCTS, SnapshotKind.COHORTS,
                                 SnapshotKind.FORECAST]))
    return ReportSnapshot.objects.filter(affected).exclude(computed_at=LONG_AGO).update(computed_at=LONG_AGO)


def funnel_snapshots_invalidate() -> int:
    """Mark every funnel snapshot as stale (a deal entered, moved through or left a funnel); returns how many."""
    return (ReportSnapshot.objects.filter(kind=SnapshotKind.FUNNEL).exclude(computed_at=LONG_AGO)
            .update(computed_at=LONG_AGO))


def _changed(sender, **kwargs) -> None:
    # After the commit: a snapshot recomputed before it would read the old figures again.
    transaction.on_commit(snapshots_invalidate)


def _visits_changed(sender, **kwargs) -> None:
    transaction.on_commit(funnel_snapshots_invalidate)


def _batch_written(sender, pks=None, **kwargs) -> None:
    if sender in MONEY_MODELS:
        transaction.on_commit(snapshots_invalidate)


def connect_signals() -> None:
    """Called from the app's ready()."""
    for model in MONEY_MODELS:
        post_save.connect(_changed, sender=model, dispatch_uid=f"reports-{model.__name__}-saved")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"reports-{model.__name__}-deleted")
    # A move closes a visit with an UPDATE and opens the next one with an INSERT: the INSERT's signal tells.
    post_save.connect(_visits_changed, sender=DealStageVisit, dispatch_uid="reports-visit-saved")
    post_delete.connect(_visits_changed, sender=DealStageVisit, dispatch_uid="reports-visit-deleted")
    records_written.connect(_batch_written, dispatch_uid="reports-records-written")
