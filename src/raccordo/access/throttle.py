"""Login throttling: after 5 failed sign-ins for one username from one address in 15 minutes, that pair is
refused for 15 minutes. Counted in Django's cache (Redis when REDIS_URL is set), for the UI and the API alike."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
LOCKED_MESSAGE = _("Too many failed sign-in attempts. Try again in 15 minutes.")


def _key(kind: str, username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{(username or '').strip().lower()}|{ip or ''}".encode()).hexdigest()[:32]
    return f"raccordo:login:{kind}:{digest}"


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def login_locked(username: str, ip: str) -> bool:
    return bool(cache.get(_key("lock", username, ip)))


def login_failed(username: str, ip: str) -> None:
    key = _key("fail", username, ip)
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        failures = 1
    if failures >= MAX_FAILURES:
        cache.set(_key("lock", username, ip), 1, LOCK_SECONDS)
        cache.delete(key)


def login_succeeded(username: str, ip: str) -> None:
    cache.delete(_key("fail", username, ip))
