"""Cached report figures: read from a snapshot while it is fresh, computed and stored when missing or stale.

A snapshot is derived data (the figures of a selector for one access scope), not a business record: it is
written here directly and not journaled, since it can be recomputed at any time from the journaled records.

Freshness: the current year's KPI report and today's receivables are recomputed after
settings.REPORT_CACHE_SECONDS (5 minutes by default), a past year's report after REPORT_CACHE_PAST_SECONDS
(a day). The worker (reports.tasks) recomputes the snapshots people asked for recently before they go stale,
so a page seldom computes anything itself. REPORT_CACHE_SECONDS = 0 turns the cache off.

A page with choices of its own (the funnel page: funnel, period, manager) names them in `params`, one snapshot
per choice; the worker recomputes it with the same choices, checked again against the person's access.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import selectors
from ..analytics.abc import abc_xyz
from ..analytics.cohorts import cohorts
from ..analytics.forecast import forecast
from ..analytics.funnel import FunnelGone, funnel_figures, funnel_query_from_key
from ..models import ReportSnapshot, SnapshotKind

log = logging.getLogger(__name__)

# How often the worker's refresh runs (reports.tasks): a snapshot that would go stale before the next run is
# recomputed in this one.
REFRESH_PERIOD = dt.timedelta(minutes=5)
# A snapshot nobody asked for in a day is not kept warm; in a month it is deleted.
KEEP_WARM = dt.timedelta(days=1)
FORGET = dt.timedelta(days=30)
# How often a page's reading of a snapshot is written down (requested_at), not to write on every view.
TOUCH_EVERY = dt.timedelta(minutes=1)
# Amounts of the analytics pages, stored as strings: read back as Decimals.
ANALYTICS_MONEY = {"revenue", "amount", "weighted", "by_win_rate", "plan", "received", "forecast"}
ANALYTICS_KINDS: dict[str, str] = {SnapshotKind.ABC_CLIENTS: "clients", SnapshotKind.ABC_PRODUCTS: "products"}


@dataclass
class Figures:
    """Report figures as a page shows them: the data, when they were computed, and whether from the cache."""

    data: dict
    computed_at: dt.datetime
    cached: bool
    seconds: float


def cache_seconds(kind: str, year: int) -> int:
    """How long a snapshot stays fresh: short for figures that still change, long for a closed year."""
    current = getattr(settings, "REPORT_CACHE_SECONDS", 300)
    if current <= 0:
        return 0
    if kind == SnapshotKind.KPI and year < timezone.localdate().year:
        return max(current, getattr(settings, "REPORT_CACHE_PAST_SECONDS", 86400))
    return current


def _compute(kind: str, *, user, year: int, params: str = "") -> dict:
    if kind == SnapshotKind.KPI:
        return selectors.kpi_report(user=user, year=year)
    if kind == SnapshotKind.RECEIVABLES:
        return selectors.receivables_summary(user=user)
    if kind in ANALYTICS_KINDS:
        # Always in the default currency and as of today: the snapshot's key has no room for more.
        return abc_xyz(user=user, subject=ANALYTICS_KINDS[kind], as_of=timezone.localdate())
    if kind == SnapshotKind.COHORTS:
        return cohorts(user=user, as_of=timezone.localdate())
    if kind == SnapshotKind.FORECAST:
        return forecast(user=user, as_of=timezone.localdate())
    if kind == SnapshotKind.FUNNEL:
        # The period ("this quarter") is worked out on the day of computing, like the other pages' windows.
        return funnel_figures(user=user, query=funnel_query_from_key(user=user, key=params))
    raise ValueError(f"unknown report kind {kind!r}")


def _dump(data: dict) -> dict:
    """JSON-safe copy (Decimals become strings; `_load` turns the money maps back into Decimals)."""

    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _load(value):
    if isinstance(value, list):
        return [_load(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: ({c: Decimal(a) for c, a in v.items()} if k in selectors.MONEY_KEYS and isinstance(v, dict)
                else Decimal(v) if k in ANALYTICS_MONEY and isinstance(v, str)
                else _load(v)) for k, v in value.items()}


def _is_fresh(snapshot: ReportSnapshot, now: dt.datetime) -> bool:
    ttl = cache_seconds(snapshot.kind, snapshot.year)
    return ttl > 0 and snapshot.computed_at > now - dt.timedelta(seconds=ttl)


def report_figures(*, user, kind: str, year: int = 0, params: str = "", refresh: bool = False) -> Figures:
    """The figures of report `kind` (and `year`, or the page's `params`) as `user` may see them: the stored
    snapshot of the user's access scope while it is fresh, otherwise computed now and stored. `refresh` always
    recomputes."""
    if kind == SnapshotKind.KPI:
        selectors.check_year(year)
    else:
        year = 0
    key = selectors.scope_key(user)
    now = timezone.now()
    ttl = cache_seconds(kind, year)
    snapshot = None
    if ttl > 0:
        snapshot = ReportSnapshot.objects.filter(kind=kind, scope_key=key, year=year, params=params).first()
    if snapshot is not None and not refresh and _is_fresh(snapshot, now):
        if snapshot.requested_at < now - TOUCH_EVERY:
            ReportSnapshot.objects.filter(pk=snapshot.pk).update(requested_at=now)
        return Figures(_load(snapshot.data), snapshot.computed_at, True, snapshot.seconds)
    started = time.perf_counter()
    data = _dump(_compute(kind, user=user, year=year, params=params))
    seconds = time.perf_counter() - started
    computed_at = timezone.now()
    if ttl > 0:
        _store(kind=kind, year=year, params=params, key=key, user=user, data=data, computed_at=computed_at,
               seconds=seconds, requested_at=now)
    return Figures(_load(data), computed_at, False, seconds)


def _store(*, kind: str, year: int, key: str, user, data: dict, computed_at, seconds: float, params: str = "",
           requested_at=None) -> None:
    values = {"user": user, "data": data, "computed_at": computed_at, "seconds": seconds}
    if requested_at is not None:
        values["requested_at"] = requested_at
    try:
        with transaction.atomic():
            ReportSnapshot.objects.update_or_create(
                kind=kind, scope_key=key, year=year, params=params, defaults=values,
                create_defaults={**values, "requested_at": requested_at or computed_at})
    except IntegrityError:
        # Another process stored the same snapshot a moment ago: ours is as fresh, overwrite it.
        ReportSnapshot.objects.filter(kind=kind, scope_key=key, year=year, params=params).update(**values)


def snapshots_refresh(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Recompute the snapshots people asked for in the last day that would go stale before the next run;
    drop those whose person left or changed access (the figures would no longer be theirs) and those nobody
    asked for in a month. Returns counts: refreshed, dropped, forgotten."""
    now = now or timezone.now()
    counts = {"refreshed": 0, "dropped": 0, "forgotten": 0}
    counts["forgotten"], _ = ReportSnapshot.objects.filter(requested_at__lt=now - FORGET).delete()
    warm = ReportSnapshot.objects.filter(requested_at__gte=now - KEEP_WARM).select_related("user").order_by(
        "computed_at")
    for snapshot in warm:
        ttl = cache_seconds(snapshot.kind, snapshot.year)
        if ttl <= 0 or snapshot.computed_at > now - dt.timedelta(seconds=ttl) + REFRESH_PERIOD:
            continue
        user = snapshot.user
        if not user.is_active or selectors.scope_key(user) != snapshot.scope_key:
            snapshot.delete()
            counts["dropped"] += 1
            continue
        if snapshot.kind == SnapshotKind.KPI and snapshot.year not in selectors.report_years():
            snapshot.delete()
            counts["dropped"] += 1
            continue
        started = time.perf_counter()
        try:
            data = _dump(_compute(snapshot.kind, user=user, year=snapshot.year, params=snapshot.params))
        except FunnelGone:
            # The funnel or the manager it was asked for is gone, or no longer in the person's reach.
            snapshot.delete()
            counts["dropped"] += 1
            continue
        _store(kind=snapshot.kind, year=snapshot.year, params=snapshot.params, key=snapshot.scope_key, user=user,
               data=data, computed_at=timezone.now(), seconds=time.perf_counter() - started)
        counts["refreshed"] += 1
    return counts
