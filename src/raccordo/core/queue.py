"""The worker's queue (Huey) as Raccordo runs it: periodic tasks enqueued once per minute, however many consumers.

Every Huey consumer runs a scheduler that, once a minute, enqueues the periodic tasks due in that minute. With
two workers on one Redis (or two consumers on one SQLite queue) each would enqueue them, and a nightly backup
or a report refresh would run twice. Huey's answer is to start all consumers but one with `--no-periodic`; then
killing that one stops every schedule. Here every scheduler stays on, and the first one to claim the minute
(an atomic put-if-empty in the queue's own storage, shared by every consumer) enqueues its tasks; the others
find the minute taken and enqueue nothing. A consumer that dies costs nothing: the survivors claim the next
minutes. Clocks are assumed in step to well under a minute (one machine, or NTP).
"""

from __future__ import annotations

import datetime as dt

from huey import RedisHuey, SqliteHuey

SLOT_PREFIX = "raccordo.periodic-slot."
# Claimed minutes kept before their key is dropped: far more than any skew between consumers' ticks.
SLOTS_KEPT = 10


def slot_key(timestamp: dt.datetime) -> str:
    return SLOT_PREFIX + timestamp.strftime("%Y%m%d%H%M")


class OncePerMinute:
    """Mixin for a Huey class: `read_periodic` returns the due tasks only to the consumer that claims the minute."""

    def read_periodic(self, timestamp=None):
        tasks = super().read_periodic(timestamp)  # type: ignore[misc]
        if timestamp is None:
            timestamp = self._get_timestamp()  # type: ignore[attr-defined]
        timestamp = timestamp.replace(second=0, microsecond=0)
        if not self.storage.put_if_empty(slot_key(timestamp), b"1"):  # type: ignore[attr-defined]
            return []
        self.storage.pop_data(slot_key(timestamp - dt.timedelta(minutes=SLOTS_KEPT)))  # type: ignore[attr-defined]
        return tasks


class RaccordoRedisHuey(OncePerMinute, RedisHuey):
    """Huey on Redis (REDIS_URL): several workers on several machines share the queue and the schedule."""


class RaccordoSqliteHuey(OncePerMinute, SqliteHuey):
    """Huey on a SQLite file under var/: the one-server installation."""
