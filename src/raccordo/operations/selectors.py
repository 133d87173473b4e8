"""Reads of the operations app for the system page, through the access policy (administrators)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from raccordo.access.policy import visible
from raccordo.exchange.models import ExchangeNode, Run

from . import health
from .models import Backup, WorkerHeartbeat


@dataclass
class SystemState:
    """What the system page shows: workers, the queue, backups, each node's last exchange and the checks."""

    workers: list[tuple[WorkerHeartbeat, bool]]
    queue_depth: int | None
    scheduled: int | None
    backups: list[Backup]
    nodes: list[tuple[ExchangeNode, Run | None]]
    checks: list[health.Check]


def worker_list(*, user) -> QuerySet[WorkerHeartbeat]:
    return visible(WorkerHeartbeat.objects.all(), user).order_by("-seen_at")


def backup_list(*, user) -> QuerySet[Backup]:
    return visible(Backup.objects.all(), user).order_by("-started_at")


def node_last_runs(*, user) -> list[tuple[ExchangeNode, Run | None]]:
    """Every node the user sees with its newest run (None when it never ran)."""
    runs = visible(Run.objects.all(), user)
    newest = runs.filter(node=OuterRef("pk")).order_by("-started_at").values("pk")[:1]
    nodes = list(visible(ExchangeNode.objects.all(), user).annotate(last_run=Subquery(newest)).order_by("code"))
    by_pk: dict[Any, Run] = {run.pk: run for run in runs.filter(pk__in=[n.last_run for n in nodes if n.last_run])}
    return [(node, by_pk.get(node.last_run)) for node in nodes]


def _scheduled() -> int | None:
    try:
        return health.HUEY.scheduled_count()
    except Exception:   # the queue unreachable: the checks say so
        return None


def system_state(*, user) -> SystemState:
    since = health.alive_since()
    return SystemState(
        workers=[(w, w.seen_at >= since) for w in worker_list(user=user)[:20]],
        queue_depth=health.queue_depth(), scheduled=_scheduled(), backups=list(backup_list(user=user)[:5]),
        nodes=node_last_runs(user=user), checks=health.readiness())
