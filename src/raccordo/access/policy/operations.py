"""The access policy on running the installation: who sees the system page, who may read the metrics."""

from __future__ import annotations

import hmac

from django.conf import settings

from .people import may_configure


def may_view_system(user) -> bool:
    """The system page (workers, queue, backups, exchanges per node): administrators, as every settings page."""
    return may_configure(user)


def metrics_enabled() -> bool:
    """/metrics exists only when RACCORDO_METRICS_TOKEN is set; without it the endpoint is a 404."""
    return bool(settings.METRICS_TOKEN)


def metrics_token_allows(authorization: str) -> bool:
    """Whether an `Authorization` header carries the metrics token (`Bearer <token>`), compared in constant time."""
    if not metrics_enabled():
        return False
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode())
