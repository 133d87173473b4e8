"""The installation's health: what /health/ready, /metrics and the system page check.

These read the installation's own state (the database answering, the queue, workers' heartbeats, free disk),
not any person's records, and are answered to a load balancer or a monitoring token rather than a user; so
they read without the access policy. Whatever a person sees of it goes through `selectors`.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from .models import WorkerHeartbeat


@dataclass(frozen=True)
class Check:
    """One readiness check: its name, whether it passed, and a short, secret-free detail."""

    name: str
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:   # any driver error means "not ready"; its class is enough to say why
        return Check("database", False, type(exc).__name__)
    return Check("database", True, connection.vendor)


def queue_depth() -> int | None:
    """Tasks waiting in the worker's queue (None when the queue cannot be reached)."""
    try:
        return HUEY.pending_count()
    except Exception:   # Redis down or the queue file unreadable: reported, not raised
        return None


def check_queue() -> Check:
    depth = queue_depth()
    if depth is None:
        return Check("queue", False, "unreachable")
    return Check("queue", True, f"{depth} waiting")


def alive_since() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.WORKER_STALE_SECONDS)


def workers_alive() -> int:
    return WorkerHeartbeat.objects.filter(seen_at__gte=alive_since()).count()


def check_worker() -> Check:
    if HUEY.immediate:   # tasks run inside the request (HUEY_IMMEDIATE): there is no worker to wait for
        return Check("worker", True, "immediate")
    try:
        alive = workers_alive()
    except Exception as exc:   # the database check says why
        return Check("worker", False, type(exc).__name__)
    if not alive:
        return Check("worker", False, f"no heartbeat in {settings.WORKER_STALE_SECONDS} s")
    return Check("worker", True, f"{alive} alive")


def free_megabytes(path: Path | None = None) -> int:
    return shutil.disk_usage(path or settings.VAR_DIR).free // (1024 * 1024)


def check_disk() -> Check:
    free = free_megabytes()
    return Check("disk", free >= settings.MIN_FREE_MB, f"{free} MB free in var/")


def readiness() -> list[Check]:
    """Every check of /health/ready, in a fixed order."""
    return [check_database(), check_queue(), check_worker(), check_disk()]
