"""/health/live and /health/ready: what a load balancer and a monitor ask (issue #20)."""

from __future__ import annotations

import datetime as dt
import os
import socket

import pytest
from django.utils import timezone

from raccordo.operations import heartbeat, services
from raccordo.operations.models import WorkerHeartbeat


@pytest.fixture
def live_worker(db):
    return services.worker_heartbeat_beat(host=socket.gethostname(), pid=os.getpid(), started_at=timezone.now())


def test_live_answers_without_the_database(client):
    # No database fixture: pytest-django refuses any query, so the probe passing proves it made none.
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_with_database_queue_worker_and_disk(client, live_worker):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert [name for name in body["checks"]] == ["database", "queue", "worker", "disk"]
    assert body["checks"]["worker"] == {"ok": True, "detail": "1 alive"}


def test_ready_fails_without_a_recent_heartbeat(client, live_worker, settings):
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - dt.timedelta(seconds=settings.WORKER_STALE_SECONDS + 5))
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["checks"]["worker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_ready_fails_when_var_runs_out_of_space(client, live_worker, settings):
    settings.MIN_FREE_MB = 10 ** 12   # more than any disk has
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["disk"]["ok"] is False


def test_ready_fails_when_the_queue_is_unreachable(client, live_worker, monkeypatch):
    from huey.contrib.djhuey import HUEY

    def unreachable():
        raise ConnectionError("redis down")

    monkeypatch.setattr(HUEY, "pending_count", unreachable)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["queue"] == {"ok": False, "detail": "unreachable"}


def test_the_heartbeat_thread_writes_until_stopped(transactional_db, settings, monkeypatch):
    settings.WORKER_HEARTBEAT_SECONDS = 1
    monkeypatch.setitem(heartbeat._state, "started", False)
    stop = heartbeat.start()
    assert stop is not None and heartbeat.start() is None   # once per process
    try:
        deadline = timezone.now() + dt.timedelta(seconds=30)
        seen = set()
        while len(seen) < 2 and timezone.now() < deadline:   # two beats: it goes on writing
            beat = WorkerHeartbeat.objects.filter(pid=os.getpid()).first()
            if beat is not None:
                seen.add(beat.seen_at)
            stop.wait(0.1)
        assert len(seen) >= 2
    finally:
        stop.set()
