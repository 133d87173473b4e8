"""A worker's heartbeat: a thread in every Huey consumer process writes that the process is alive.

Not a periodic task: periodic tasks run once per minute for the whole installation (core.queue), and a
heartbeat must come from each worker. The thread starts with the consumer's first worker thread (Huey's
on_startup hook, tasks.py) and writes every WORKER_HEARTBEAT_SECONDS; /health/ready and the system page read
the newest heartbeats. A process killed outright simply stops beating.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from . import services

log = logging.getLogger(__name__)

_lock = threading.Lock()
_state = {"started": False, "tasks_done": 0}


def task_done() -> None:
    """Count a task this process finished (shown on the system page)."""
    with _lock:
        _state["tasks_done"] += 1


def _beat(started_at: dt.datetime) -> None:
    close_old_connections()
    try:
        services.worker_heartbeat_beat(host=socket.gethostname(), pid=os.getpid(), started_at=started_at,
                                       tasks_done=_state["tasks_done"])
    except Exception:   # the database away for a moment: the next beat tries again
        log.exception("the worker's heartbeat could not be written")
    finally:
        connection.close()


def _run(started_at: dt.datetime, stop: threading.Event) -> None:
    while not stop.is_set():
        _beat(started_at)
        stop.wait(settings.WORKER_HEARTBEAT_SECONDS)


def start() -> threading.Event | None:
    """Start this process's heartbeat thread, once; returns the event that stops it (None if already started)."""
    with _lock:
        if _state["started"]:
            return None
        _state["started"] = True
    stop = threading.Event()
    threading.Thread(target=_run, args=(timezone.now(), stop), name="raccordo-heartbeat", daemon=True).start()
    return stop
