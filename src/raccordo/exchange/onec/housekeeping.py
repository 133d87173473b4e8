"""Housekeeping of the 1C endpoint: old session directories and request logs go after each node's retention."""

from __future__ import annotations

import datetime as dt
import shutil

from django.db.models import Q
from django.utils import timezone

from .catalog_import import session_importing
from .models import OneCRequest, OneCSession, OneCSettings, SessionStatus


def _busy(session: OneCSession, cfg: OneCSettings) -> bool:
    """A session that imports right now, or was active moments ago, holds the node."""
    if session_importing(session):
        return True
    recent = timezone.now() - dt.timedelta(seconds=cfg.lock_seconds)
    if session.status != SessionStatus.OPEN or session.last_seen_at < recent:
        return False
    # 1C ends an exchange at the first failure: such a session holds nothing any more.
    return session.requests.order_by("-at", "-id").values_list("answer", flat=True).first() != "failure"


def sessions_cleanup(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remove the upload directories of sessions older than their node's retention, and old request logs."""
    now = now or timezone.now()
    removed = logs = 0
    for cfg in OneCSettings.objects.select_related("node"):
        old = now - dt.timedelta(days=cfg.keep_days)
        for session in OneCSession.objects.filter(node=cfg.node, files_removed=False, last_seen_at__lt=old):
            if _busy(session, cfg) and session.last_seen_at >= now - dt.timedelta(days=1):
                continue
            shutil.rmtree(session.directory, ignore_errors=True)
            OneCSession.objects.filter(pk=session.pk).update(files_removed=True)
            if session.status in (SessionStatus.OPEN, SessionStatus.AUTHORISED):
                OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.EXPIRED)
            removed += 1
        logs += OneCRequest.objects.filter(node=cfg.node, at__lt=now - dt.timedelta(days=cfg.log_keep_days)).delete()[0]
    # Nodes never configured use the defaults; failed logins of unknown logins are kept a day.
    default = OneCSettings()
    for session in OneCSession.objects.filter(files_removed=False,
                                              last_seen_at__lt=now - dt.timedelta(days=default.keep_days)).exclude(
            node__onec_settings__isnull=False):
        shutil.rmtree(session.directory, ignore_errors=True)
        OneCSession.objects.filter(pk=session.pk).update(files_removed=True)
        removed += 1
    logs += OneCRequest.objects.filter(Q(node__isnull=True), at__lt=now - dt.timedelta(days=1)).delete()[0]
    return {"sessions": removed, "requests": logs}
