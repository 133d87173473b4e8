"""Sign-in limits that hold under parallel attack (security findings M4, M5).

Every sign-in surface — the web login, the Django admin login, the API token endpoint and the 1C exchange
login — asks `attempt()` before it checks a password. The attempt is counted first, atomically, in a store
every server process shares (Redis when REDIS_URL is set, else the database table SignInCounter), and only
then compared with the limit: of N parallel wrong passwords, at most the limit are ever evaluated, however
many processes or threads serve them. Counting after the check (as django-axes does, in a signal once the
password failed) lets every request of a parallel burst through before the first failure is written.

Counters are per (kind, login, client address): a lock-out from one address never locks the real user out
from another one. The address comes from `client_ip`, which trusts X-Forwarded-For only behind the
configured number of proxies (RACCORDO_TRUSTED_PROXIES). A successful sign-in clears its counter.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_lazy as _

from .models import SignInCounter

LOCKED_MESSAGE = _("Too many failed sign-in attempts. Try again in 15 minutes.")

# Surfaces whose logins are people (web, admin, API token) count together; 1C nodes have logins of their own.
USER = "user"
ONEC = "onec"


class SignInLocked(Exception):
    """Too many attempts for this login from this address: the password is not even looked at."""


@dataclass(frozen=True)
class Limit:
    failures: int
    window: int
    lock: int


def limit_for(kind: str) -> Limit:
    """The limit of a kind of login, read at call time so that settings (and tests) can change it."""
    if kind == ONEC:
        return Limit(settings.ONEC_AUTH_FAILURES, settings.ONEC_AUTH_WINDOW, settings.ONEC_AUTH_WINDOW)
    return Limit(settings.SIGNIN_MAX_FAILURES, settings.SIGNIN_WINDOW_SECONDS, settings.SIGNIN_LOCK_SECONDS)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or with RACCORDO_TRUSTED_PROXIES = n > 0 the address the outermost
    trusted proxy saw (the n-th X-Forwarded-For entry from the right). Entries further left are whatever the
    client wrote, so they are never used."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:   # a proxy passing garbage on: fall back to the peer, which is a real address
        return remote


def _key(kind: str, login: str, ip: str) -> str:
    digest = hashlib.sha256(f"{(login or '').strip().lower()}|{ip or ''}".encode()).hexdigest()[:40]
    return f"{settings.SIGNIN_KEY_PREFIX}:{kind}:{digest}"


# --- stores: hit() counts an attempt and returns the count; clear() forgets the key -------------------------------


def _redis():

    client = getattr(_redis, "client", None)
    if client is None or getattr(_redis, "url", None) != settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        _redis.client, _redis.url = client, settings.REDIS_URL
    return client


# One round trip, atomic in Redis: a new window starts at the first attempt; the attempt that reaches the
# limit starts the lock (from now, not from the window's start); later ones change nothing but the count.
_REDIS_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if n == tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return n
"""


def _hit_redis(key: str, limit: Limit) -> int:
    return int(_redis().eval(_REDIS_HIT, 1, key, limit.window, limit.lock, limit.failures))


def _hit_database(key: str, limit: Limit) -> int:
    # One INSERT .. ON CONFLICT DO UPDATE .. RETURNING statement: atomic on PostgreSQL and SQLite (>= 3.35),
    # so two processes never read the same count. SET expressions see the row as it was before the update.

    q = connection.ops.quote_name
    table, k, count, expires = q(SignInCounter._meta.db_table), q("key"), q("count"), q("expires")
    now = time.time()
    sql = (f"INSERT INTO {table} ({k}, {count}, {expires}) VALUES (%s, 1, %s) "
           f"ON CONFLICT ({k}) DO UPDATE SET "
           f"{count} = CASE WHEN {table}.{expires} <= %s THEN 1 ELSE {table}.{count} + 1 END, "
           f"{expires} = CASE WHEN {table}.{expires} <= %s THEN %s "
           f"WHEN {table}.{count} + 1 = %s THEN %s ELSE {table}.{expires} END "
           f"RETURNING {count}")
    params = [key, now + limit.window, now, now, now + limit.window, limit.failures, now + limit.lock]
    # Outside a transaction this commits at once (autocommit), so other processes see the count immediately.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def _hit(key: str, limit: Limit) -> int:
    return _hit_redis(key, limit) if settings.REDIS_URL else _hit_database(key, limit)


def _clear(key: str) -> None:
    if settings.REDIS_URL:
        _redis().delete(key)
        return

    SignInCounter.objects.filter(key=key).delete()


def counters_clear() -> None:
    """Forget every sign-in count (Redis keys under SIGNIN_KEY_PREFIX, or the database table)."""
    if settings.REDIS_URL:
        client = _redis()
        for key in client.scan_iter(match=f"{settings.SIGNIN_KEY_PREFIX}:*", count=500):
            client.delete(key)
        return

    SignInCounter.objects.all().delete()


def counters_cleanup() -> int:
    """Delete the database counters whose window or lock is over (the worker runs it; Redis expires its own)."""

    return SignInCounter.objects.filter(expires__lt=time.time()).delete()[0]


# --- the one entry point of every sign-in surface ------------------------------------------------------------------


@contextmanager
def attempt(*, kind: str, login: str, ip: str):
    """Count a sign-in attempt, then let the caller check the password inside the block.

    Raises SignInLocked before the block when the attempt is beyond the limit. The block signals a wrong
    password by raising (anything); leaving it normally is a success, which clears the counter.
    """
    limit = limit_for(kind)
    key = _key(kind, login, ip)
    if _hit(key, limit) > limit.failures:
        raise SignInLocked
    yield
    _clear(key)


def locked(*, kind: str, login: str, ip: str) -> bool:
    """Whether the next attempt would be refused (for display only: `attempt` is what enforces it)."""
    limit = limit_for(kind)
    key = _key(kind, login, ip)
    if settings.REDIS_URL:
        value = _redis().get(key)
        return int(value or 0) >= limit.failures

    row = SignInCounter.objects.filter(key=key, expires__gt=time.time()).first()
    return bool(row and row.count >= limit.failures)
