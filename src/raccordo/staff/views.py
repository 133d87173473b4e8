"""`/bitrix/admin/1c_intranet_hr.php` (alias `/exchange/hr/hrxml/`): one HR-XML document per POST, answered
with a ConfirmBOD; each request is logged in the 1C request log and each document reported as an exchange run.

Authentication as Bitrix accepts it from 1C: HTTP Basic on the request, or a login carried in the query string
(`AUTH_FORM`, `TYPE=AUTH`, `USER_LOGIN`, `USER_PASSWORD`), which also sets a cookie for the posts that follow.
A failed authentication keeps Bitrix's plain-text `failure` answer.
"""

from __future__ import annotations

import logging
import time

from django.core import signing
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from raccordo.access import throttle
from raccordo.access.policy import hr_node_may_send
from raccordo.core.logfilters import redact
from raccordo.exchange.models import ExchangeNode
from raccordo.exchange.onec.auth import basic_credentials, node_authenticate
from raccordo.exchange.onec.models import OneCRequest
from raccordo.exchange.onec.protocol import ProtocolError

from . import hrxml, intake
from .confirm import confirm_bod
from .xmlread import XmlError, parse

log = logging.getLogger(__name__)
COOKIE = "raccordo_hr"
COOKIE_AGE = 3600
MAX_BODY = 64 * 1024 * 1024


def _credentials(request) -> tuple[str, str] | None:
    creds = basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    if creds is None and request.GET.get("USER_LOGIN") and request.GET.get("AUTH_FORM"):
        creds = (request.GET["USER_LOGIN"], request.GET.get("USER_PASSWORD", ""))
    return creds


def hr_node(request, entry: OneCRequest) -> tuple[ExchangeNode, bool]:
    """The HR node this request comes from, and whether it logged in now (then it gets the cookie)."""
    creds = _credentials(request)
    if creds is not None:
        entry.login = creds[0][:150]
        node = node_authenticate(login=creds[0], password=creds[1], remote_addr=entry.remote_addr)
        fresh = True
    else:
        try:
            pk = signing.loads(request.COOKIES.get(COOKIE, ""), salt=COOKIE, max_age=COOKIE_AGE)
        except signing.BadSignature:
            raise ProtocolError(_("Wrong login or password."), auth_failed=True) from None
        node = ExchangeNode.objects.filter(pk=pk).first()
        fresh = False
    if not hr_node_may_send(node):
        raise ProtocolError(_("This exchange login is not set up for staff from 1C:ZUP."), auth_failed=True)
    return node, fresh


def _read_body(request) -> bytes:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        raise ValueError(_("The document is larger than %(size)s MB.") % {"size": MAX_BODY // (1024 * 1024)})
    return request.read(MAX_BODY) if length else b""


def _import(node: ExchangeNode, data: bytes, entry: OneCRequest) -> bytes:
    """Parse and store one document; the ConfirmBOD says what happened."""
    try:
        root = parse(data)
    except XmlError as exc:
        entry.answer, entry.reason = "failure", str(exc)[:500]
        return confirm_bod(None, errors=[_("Wrong or empty import file: %(reason)s") % {"reason": exc}], warnings=[])
    env, batch = hrxml.read(root)
    entry.mode = (batch.nouns[0] if batch.nouns else "-")[:16]
    # The log's "file" column: every noun the document held.
    entry.filename = ", ".join(dict.fromkeys(batch.nouns))[:500]
    if not batch.nouns:
        entry.answer, entry.reason = "failure", "no noun"
        return confirm_bod(env, errors=[_("The document holds none of: %(nouns)s.")
                                        % {"nouns": ", ".join(hrxml.NOUNS)}], warnings=batch.unknown)
    outcome, run = intake.batch_apply(batch, node=node, label=", ".join(dict.fromkeys(batch.nouns)))
    entry.answer = "success"
    entry.reason = redact(f"run {run.pk}: " + ", ".join(f"{k} {v}" for k, v in outcome.counters().items()))[:500]
    warnings = outcome.warnings + [_("Unknown value: %(value)s") % {"value": u} for u in outcome.unknown]
    return confirm_bod(env, errors=[], warnings=warnings)


@csrf_exempt
def hrxml_endpoint(request):
    """One HR-XML business object document from 1C:ZUP."""
    started = time.monotonic()
    entry = OneCRequest(remote_addr=throttle.client_ip(request) or None, type="hrxml", mode="")
    cookie = None
    try:
        node, fresh = hr_node(request, entry)
        entry.node = node
        if fresh:
            cookie = signing.dumps(str(node.pk), salt=COOKIE)
        data = _read_body(request)
        entry.bytes = len(data)
        body, content_type = _import(node, data, entry), "text/xml; charset=UTF-8"
    except ProtocolError as exc:
        entry.answer, entry.reason, entry.auth_failed = "failure", exc.reason[:500], exc.auth_failed
        body, content_type = f"failure\n{exc.reason}".encode(), "text/plain; charset=UTF-8"
    except ValueError as exc:
        entry.answer, entry.reason = "failure", str(exc)[:500]
        body, content_type = confirm_bod(None, errors=[str(exc)], warnings=[]), "text/xml; charset=UTF-8"
    except Exception:   # 1C sees a failure; the traceback goes to the log
        log.exception("HR-XML request failed")
        entry.answer = "failure"
        body = confirm_bod(None, errors=[_("Raccordo could not process the document; its log has the details.")],
                           warnings=[])
        content_type = "text/xml; charset=UTF-8"
    entry.duration_ms = int((time.monotonic() - started) * 1000)
    try:
        if entry.node_id is not None or not entry.auth_failed:
            entry.save()
    except Exception:   # the log must never cost 1C its answer
        log.exception("HR-XML request could not be logged")
    response = HttpResponse(body, content_type=content_type, status=200)
    if cookie:
        response.set_cookie(COOKIE, cookie, max_age=COOKIE_AGE, httponly=True)
    return response
