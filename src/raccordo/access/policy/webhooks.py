"""The access policy on webhooks: who subscribes other systems to Raccordo's changes."""

from __future__ import annotations

from django.utils.translation import gettext as _

from raccordo.core.errors import PermissionDenied

from .rows import is_admin


def may_manage_webhooks(user) -> bool:
    """Administrators only: a subscription sends records out of Raccordo on behalf of whoever it names."""
    return user is None or is_admin(user)


def require_webhooks(user) -> None:
    """Raise unless `user` may manage webhooks (`user=None` is the system)."""
    if not may_manage_webhooks(user):
        raise PermissionDenied(_("Only administrators manage webhooks."), code="webhooks.denied")
