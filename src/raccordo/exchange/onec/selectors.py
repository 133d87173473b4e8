"""Read queries of the 1C endpoint's log, through the access policy (administrators only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from raccordo.access.policy import visible
from raccordo.exchange.models import ExchangeNode

from .models import OneCRequest, OneCSettings


def settings_shown(node: ExchangeNode) -> OneCSettings:
    """The node's 1C settings for a page: the saved ones, else the defaults unsaved (a page that only shows
    them writes nothing; the exchange itself saves them the first time it needs them)."""
    return OneCSettings.objects.filter(node=node).first() or OneCSettings(node=node)


@dataclass
class CheckauthStatus:
    """Has 1C authorised as this node yet? The first successful checkauth, else the last refused one."""

    connected: OneCRequest | None
    failed: OneCRequest | None
    stray: OneCRequest | None   # refused with a login no node has: most likely a typo in 1C

    @property
    def state(self) -> str:
        return "connected" if self.connected else "failed" if (self.failed or self.stray) else "waiting"


def checkauth_status(*, user, node: ExchangeNode, since: dt.datetime | None = None) -> CheckauthStatus:
    """1C's checkauth requests for `node` (at or after `since`, e.g. when its password was issued)."""
    qs = visible(OneCRequest.objects.filter(mode="checkauth"), user)
    if since is not None:
        qs = qs.filter(at__gte=since)
    connected = qs.filter(node=node, answer="success").order_by("at", "id").first()
    failed = stray = None
    if connected is None:
        # A refused checkauth names no node (the password did not match): it is told by its login.
        mine = Q(node=node) | (Q(login=node.login) if node.login else Q(pk__in=[]))
        failed = qs.filter(mine, answer="failure").order_by("-at", "-id").first()
        stray = (qs.filter(answer="failure", node__isnull=True).exclude(login="")
                 .exclude(login__in=ExchangeNode.objects.exclude(login="").values("login"))
                 .order_by("-at", "-id").first())
    return CheckauthStatus(connected=connected, failed=failed, stray=stray)
