"""The sessions of the 1C protocol: `checkauth` opens one, every request finds its own, `init` starts an exchange.

A node keeps few open exchanges (security finding M6): a new one closes the idle ones, and a closed
catalog exchange whose files were all imported ends (deactivation) rather than being lost.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access import policy
from raccordo.exchange.formats.commerceml.writer import SUPPORTED_VERSIONS as ORDER_VERSIONS
from raccordo.exchange.models import ExchangeNode

from .catalog import previous_exchanges_finish, session_finish_start
from .catalog_import import session_importing, xml_states
from .models import OneCSession, OneCSettings, SessionStatus
from .protocol import COOKIE_NAME, Answer, ProtocolError, onec_settings, success


def session_checkauth(*, node: ExchangeNode, type_: str, remote_addr: str | None) -> tuple[OneCSession, Answer]:
    """checkauth: a new session token, answered as a cookie and as sessid."""
    now = timezone.now()
    with transaction.atomic():
        _make_room(node=node)
        session = OneCSession.objects.create(node=node, token=secrets.token_urlsafe(32), type=type_,
                                             remote_addr=remote_addr, last_seen_at=now)
    answer = success(COOKIE_NAME, session.token, f"sessid={session.token}", f"timestamp={int(now.timestamp())}")
    answer.cookie = session.token
    return session, answer


def _expired(session: OneCSession, cfg: OneCSettings) -> bool:
    return session.last_seen_at < timezone.now() - dt.timedelta(seconds=cfg.session_timeout)


def session_resolve(*, token: str | None, node: ExchangeNode | None, type_: str, mode: str) -> OneCSession:
    """The session a request belongs to: by its token (cookie or sessid), else the node's open one (Basic)."""
    if token:
        session = OneCSession.objects.select_related("node").filter(token=token).first()
        if session is None:
            raise ProtocolError(_("Unknown session: authorise again (checkauth)."))
        if not policy.onec_token_usable(session, type_=type_):
            if not session.node.is_active:
                raise ProtocolError(_("This exchange node is switched off in Raccordo."))
            if session.ended_at is not None:
                raise ProtocolError(_("This exchange is over: authorise again (checkauth)."))
            raise ProtocolError(_("This session was opened for another exchange type: authorise again "
                                  "(checkauth) for this one."))
    elif node is not None:
        session = (OneCSession.objects.select_related("node").filter(
            node=node, type=type_, status__in=[SessionStatus.AUTHORISED, SessionStatus.OPEN], ended_at__isnull=True)
            .order_by("-last_seen_at").first())
        if session is None:
            if mode != "init":
                raise ProtocolError(_("No exchange session is open: send checkauth and init first."))
            with transaction.atomic():
                _make_room(node=node)
                session = OneCSession.objects.create(node=node, token=secrets.token_urlsafe(32), type=type_,
                                                     last_seen_at=timezone.now())
    else:
        raise ProtocolError(_("Not authorised: send checkauth with the exchange login and password first."))
    cfg = onec_settings(session.node)
    if session.status == SessionStatus.CLOSED:
        raise ProtocolError(_("This exchange session was replaced by a newer one: authorise again."))
    if session.status == SessionStatus.EXPIRED or _expired(session, cfg):
        if session.status != SessionStatus.EXPIRED:
            OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.EXPIRED)
        raise ProtocolError(_("The exchange session has expired: authorise again (checkauth)."))
    session.last_seen_at = timezone.now()
    OneCSession.objects.filter(pk=session.pk).update(last_seen_at=session.last_seen_at)
    return session



def _session_close(session: OneCSession, *, message: str, drop_files: bool) -> None:
    """Close a session that will never be continued; drop its upload directory if nothing of it was imported.

    A catalog exchange whose files were all imported is over, not lost: its end (deactivation) is started.
    """
    if session.type == "catalog" and session.status == SessionStatus.OPEN and not session.finish_run_id:
        states = xml_states(session)
        if states and states <= {"imported", "failed"}:
            session_finish_start(session=session, explicit=False)
            return
    OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.CLOSED, message=message)
    if drop_files and not session.files.filter(run__isnull=False).exists():
        # Only uploads that were never imported: nothing a later look at the exchange (or its end) needs.
        shutil.rmtree(session.directory, ignore_errors=True)
        OneCSession.objects.filter(pk=session.pk).update(files_removed=True)


def _make_room(*, node: ExchangeNode) -> None:
    """Keep a node's open exchanges within its cap before a new one starts (security finding M6).

    The least recently active ones that import nothing right now are closed; if every open one is
    importing, the new exchange is refused. Runs inside the caller's transaction, with the node locked.
    """
    cfg = onec_settings(node)
    ExchangeNode.objects.select_for_update().filter(pk=node.pk).first()
    open_ = list(OneCSession.objects.filter(node=node, status__in=[SessionStatus.AUTHORISED, SessionStatus.OPEN])
                 .order_by("last_seen_at", "created_at"))
    excess = len(open_) - max(cfg.max_open_sessions, 1) + 1
    if excess <= 0:
        return
    idle = [s for s in open_ if not session_importing(s)]
    if len(idle) < excess:
        raise ProtocolError(_("This node already has %(n)s open exchanges that are importing right now (at most "
                              "%(limit)s): try again when one of them has finished.")
                            % {"n": len(open_), "limit": cfg.max_open_sessions})
    for old in idle[:excess]:
        _session_close(old, message=_("Closed: the node reached its limit of open exchanges when a new one "
                                      "started."), drop_files=True)


def _close_previous_sessions(*, session: OneCSession, type_: str) -> None:
    """init starts over (as Bitrix does): close the node's other open exchanges of this type.

    Refused only while another catalog exchange is importing right now; an idle or interrupted one
    is closed with a message. Orders are small and idempotent both ways: they never hold the node.
    Runs inside session_init's transaction, with the node locked.
    """
    others = list(OneCSession.objects.filter(node=session.node, type=type_, status=SessionStatus.OPEN)
                  .exclude(pk=session.pk))
    if type_ == "catalog":
        for other in others:
            if session_importing(other):
                raise ProtocolError(_("Another exchange of this node (started %(since)s) is importing right now; "
                                      "try again when it has finished.")
                                    % {"since": timezone.localtime(other.created_at).strftime("%Y-%m-%d %H:%M:%S")})
    for other in others:
        _session_close(other, message=_("Replaced by a newer session: 1C started the exchange over."),
                       drop_files=True)



def session_init(*, session: OneCSession, type_: str, version: str) -> Answer:
    """init: start a fresh exchange (its own upload directory); answer zip and file_limit."""
    node = session.node
    cfg = onec_settings(node)
    if type_ == "catalog":
        previous_exchanges_finish(session)
    with transaction.atomic():
        ExchangeNode.objects.select_for_update().filter(pk=node.pk).first()   # one init of a node at a time
        _close_previous_sessions(session=session, type_=type_)
        if session.initialised_at is not None:
            # 1C starts over within the same session: forget what it had uploaded.
            session.files.all().delete()
            shutil.rmtree(session.directory, ignore_errors=True)
            session.finish_run = None
        session.type = type_
        session.version = (version or "")[:16]
        session.status = SessionStatus.OPEN
        session.initialised_at = timezone.now()
        session.save(update_fields=["type", "version", "status", "initialised_at", "finish_run"])
    session.directory.mkdir(parents=True, exist_ok=True)
    lines = [f"zip={'yes' if cfg.zip_allowed else 'no'}", f"file_limit={cfg.file_limit}"]
    if version:
        # Bitrix answers the version it will write orders in (sale.export.1c: `version=2.09`), not an echo.
        lines += [f"sessid={session.token}", f"version={session_orders_version(session=session)}"]
    return Answer(lines)


def session_orders_version(*, session: OneCSession) -> str:
    """The CommerceML version orders are written in for this session.

    The version 1C announced at init (kept on the session) when the orders writer can write it,
    else the node's own version.
    """
    if session.version in ORDER_VERSIONS:
        return session.version
    return session.node.cml_version

