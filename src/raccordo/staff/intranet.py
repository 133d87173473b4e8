"""`/bitrix/admin/1c_intranet.php` (alias `/exchange/hr/company/`): the 1C site-exchange dialogue for "company.xml".

checkauth → init → file (chunks, appended) → import, as for CommerceML: the sessions, the upload directory,
the Basic authentication and the request log are the 1C endpoint's own (`exchange.onec`), with the session
type "company". The import is done in one request (a staff file is small) and reported as an exchange run.
Answers are text in windows-1251, as Bitrix writes them.
"""

from __future__ import annotations

import logging
import time

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from raccordo.access import throttle
from raccordo.access.policy import hr_node_may_send
from raccordo.core.errors import without_paths
from raccordo.exchange.onec import services as onec
from raccordo.exchange.onec.files import find_file
from raccordo.exchange.onec.models import FileKind, FileStatus, OneCRequest
from raccordo.exchange.onec.protocol import Answer, ProtocolError

from . import cml, intake
from .photos import photos_take
from .xmlread import XmlError, parse

log = logging.getLogger(__name__)
TYPE = "company"
MODES = {"checkauth", "init", "file", "import"}


def _session(request, mode: str, entry: OneCRequest):
    creds = onec.basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    if creds is None and request.GET.get("USER_LOGIN") and request.GET.get("AUTH_FORM"):
        creds = (request.GET["USER_LOGIN"], request.GET.get("USER_PASSWORD", ""))
    entry.login = creds[0][:150] if creds else ""
    node = None
    if creds is not None:
        node = onec.node_authenticate(login=creds[0], password=creds[1], remote_addr=entry.remote_addr)
        if not hr_node_may_send(node):
            raise ProtocolError(_("This exchange login is not set up for staff from 1C:ZUP."), auth_failed=True)
        entry.node = node
        if mode == "checkauth":
            session, answer = onec.session_checkauth(node=node, type_=TYPE, remote_addr=entry.remote_addr)
            entry.session = session
            return session, answer
    elif mode == "checkauth":
        raise ProtocolError(_("Send the exchange login and password (HTTP Basic authentication)."))
    token = request.COOKIES.get(onec.COOKIE_NAME) or request.GET.get("sessid") or ""
    session = onec.session_resolve(token=token if not node else "", node=node, type_=TYPE, mode=mode)
    if not hr_node_may_send(session.node):
        raise ProtocolError(_("This exchange login is not set up for staff from 1C:ZUP."), auth_failed=True)
    entry.node, entry.session = session.node, session
    return session, None


def _import(session, filename: str) -> Answer:
    """Read and store the uploaded company.xml (unpacking the archive it came in first)."""
    try:
        record = find_file(session, filename)
    except ProtocolError:
        archives = list(session.files.filter(kind=FileKind.ZIP, status=FileStatus.UPLOADED))
        if not archives:
            raise
        for archive in archives:
            onec.archive_unpack(archive=archive)
        record = find_file(session, filename)
    if record.status == FileStatus.IMPORTED:
        return onec.success(_("Import finished."))   # 1C asks again: the file is in already
    try:
        root = parse(record.path.read_bytes())
    except XmlError as exc:
        record.status, record.message = FileStatus.FAILED, str(exc)[:1000]
        record.save(update_fields=["status", "message"])
        raise ProtocolError(_("%(name)s is not an XML document: %(reason)s") % {"name": record.name,
                                                                               "reason": exc}) from None
    batch = cml.read(root)
    photos_take(batch, session.directory)
    outcome, run = intake.batch_apply(batch, node=session.node, label=record.name)
    record.status, record.run, record.message = FileStatus.IMPORTED, run, run.message[:1000]
    record.save(update_fields=["status", "run", "message"])
    return onec.success(_("Import finished."), *outcome.warnings[:20])


def _answer(request, params: dict, entry: OneCRequest) -> Answer:
    mode = params.get("mode", "").strip().lower()
    if mode not in MODES:
        raise ProtocolError(_("Unknown mode %(mode)s for the exchange type %(type)s.") % {"mode": mode or "-",
                                                                                         "type": TYPE})
    session, answer = _session(request, mode, entry)
    if answer is not None:
        return answer
    if mode == "init":
        return onec.session_init(session=session, type_=TYPE, version="")
    if mode == "file":
        return onec.file_upload(session=session, filename=params.get("filename", ""), stream=request,
                                length=int(request.META.get("CONTENT_LENGTH") or 0) or None)
    return _import(session, params.get("filename", "") or "company.xml")


@csrf_exempt
def company_endpoint(request):
    """One request of ZUP's site exchange for company.xml; logged like the 1C endpoint's requests."""
    started = time.monotonic()
    params = {k: v for k, v in request.GET.items()}
    entry = OneCRequest(remote_addr=throttle.client_ip(request) or None, type=TYPE,
                        mode=params.get("mode", "")[:16], filename=params.get("filename", "")[:500])
    try:
        answer = _answer(request, params, entry)
    except ProtocolError as exc:
        answer = Answer(["failure", exc.reason])
        entry.auth_failed = exc.auth_failed
    except Exception:   # 1C shows the reason; the traceback goes to the log
        log.exception("company.xml exchange request failed")
        answer = Answer(["failure", _("Raccordo could not process the request; its log has the details.")])
    lines = [without_paths(line) for line in answer.lines]
    entry.answer = lines[0][:16]
    entry.reason = (lines[1] if len(lines) > 1 else "")[:500]
    entry.duration_ms = int((time.monotonic() - started) * 1000)
    try:
        if entry.node_id is not None:
            entry.save()
    except Exception:   # the log must never cost 1C its answer
        log.exception("company.xml exchange request could not be logged")
    body = "\n".join(line.replace("\n", " ") for line in lines).encode("cp1251", errors="replace")
    response = HttpResponse(body, content_type="text/plain; charset=windows-1251")
    if answer.cookie:
        response.set_cookie(onec.COOKIE_NAME, answer.cookie, httponly=True)
    return response
