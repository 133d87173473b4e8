"""Periodic tasks are enqueued once per minute for the installation, however many workers (core.queue)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import redis
from huey import crontab

from raccordo.core.queue import SLOTS_KEPT, RaccordoRedisHuey, RaccordoSqliteHuey, slot_key


def _with_a_periodic_task(huey):
    @huey.periodic_task(crontab(minute="*"))
    def every_minute():
        return None

    return huey


def _consumers(kind: str, tmp_path):
    """Two consumers' views of one queue: what two worker processes on the same storage each build."""
    if kind == "sqlite":
        return [_with_a_periodic_task(RaccordoSqliteHuey("q", filename=str(tmp_path / "q.sqlite3"))) for _ in "ab"]
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    name = f"test-periodic-{uuid.uuid4().hex[:8]}"   # a queue of its own on the shared server
    return [_with_a_periodic_task(RaccordoRedisHuey(name, host="127.0.0.1", port=6379)) for _ in "ab"]


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_the_first_consumer_to_claim_a_minute_enqueues_its_tasks(kind, tmp_path):
    first, second = _consumers(kind, tmp_path)
    try:
        minute = dt.datetime(2026, 12, 7, 2, 0, 17)
        assert [t.name for t in first.read_periodic(minute)] == ["every_minute"]
        # The other worker's scheduler, a few seconds later in the same minute: nothing to enqueue.
        assert second.read_periodic(minute + dt.timedelta(seconds=40)) == []
        assert first.read_periodic(minute) == []
        # The next minute belongs to whichever ticks first, here the second worker.
        following = minute + dt.timedelta(minutes=1)
        assert [t.name for t in second.read_periodic(following)] == ["every_minute"]
        assert first.read_periodic(following) == []
    finally:
        first.storage.flush_all() if kind == "redis" else None


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_claimed_minutes_do_not_pile_up(kind, tmp_path):
    huey, _ = _consumers(kind, tmp_path)
    try:
        start = dt.datetime(2026, 12, 7, 3, 0)
        for n in range(SLOTS_KEPT + 5):
            huey.read_periodic(start + dt.timedelta(minutes=n))
        kept = [n for n in range(SLOTS_KEPT + 5)
                if huey.storage.peek_data(slot_key(start + dt.timedelta(minutes=n))) is not huey_empty()]
        assert kept == list(range(5, SLOTS_KEPT + 5))
    finally:
        huey.storage.flush_all() if kind == "redis" else None


def huey_empty():
    from huey.constants import EmptyData

    return EmptyData
