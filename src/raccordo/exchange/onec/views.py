"""The 1C site-exchange endpoint (`/exchange/1c/`, alias `/bitrix/admin/1c_exchange.php`) and the node pages.

The endpoint answers 1C in its own protocol: always HTTP 200, text lines whose first is `success`,
`progress` or `failure` (the reason on the next line). Node pages are for administrators only.
"""

from __future__ import annotations

import json
import logging
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from raccordo.access import throttle
from raccordo.access.policy import is_admin, visible
from raccordo.core.downloads import set_download_name
from raccordo.core.errors import without_paths
from raccordo.core.logfilters import redact
from raccordo.exchange import mappings, settings_file
from raccordo.exchange import selectors as exchange_selectors
from raccordo.exchange.models import ExchangeNode

from . import mapping_form, services, setup_views
from . import selectors as onec_selectors
from .models import OneCRequest, OneCSession
from .services import COOKIE_NAME, Answer, ProtocolError

log = logging.getLogger(__name__)

MODES = {
    "catalog": {"checkauth", "init", "file", "import", "deactivate", "complete"},
    "sale": {"checkauth", "init", "query", "success", "file", "import", "complete", "info"},
}


class _Counting:
    """The request body as 1C sends it, counted for the log."""

    def __init__(self, source):
        self.source = source
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.count += len(data)
        return data


def _body(request) -> tuple[_Counting, int | None, bool]:
    """The request body, its declared length, and whether it can be read at all.

    Django reads exactly Content-Length bytes (none when the header is missing). A body sent with
    chunked transfer encoding is readable only when the server decoded it and says where it ends
    (WSGI's `wsgi.input_terminated`, e.g. gunicorn); otherwise the data is not there to be stored.
    """
    raw = request.META.get("CONTENT_LENGTH")
    if raw not in (None, ""):
        try:
            length = int(raw)
        except ValueError:
            return _Counting(request), None, False
        return _Counting(request), length, length >= 0
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and request.META.get("wsgi.input_terminated"):
        return _Counting(request.META["wsgi.input"]), None, True
    return _Counting(request), None, False


# Requests that no node's credentials vouch for are logged up to this many per address and hour: enough to
# see a misconfigured 1C base, not enough for anyone on the network to fill the table (security finding L6).
ANONYMOUS_LOG_PER_HOUR = 30


def _may_log_anonymous(remote_addr: str | None) -> bool:
    key = f"onec-anonymous-log:{remote_addr or '-'}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= ANONYMOUS_LOG_PER_HOUR
    except ValueError:   # expired between add and incr
        return True


def _loggable(params: dict[str, str]) -> dict[str, str]:
    """The request's parameters for the log: the session token is a credential and is left out."""
    return {k: ("…" if k.lower() == "sessid" else v) for k, v in params.items()}


def _params(request) -> dict[str, str]:
    params = {k: v for k, v in request.GET.items()}
    # Parameters come in the query string; a form body is read only when there is no file to receive.
    if "mode" not in params and request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        params.update({k: v for k, v in request.POST.items()})
    return params


def _dispatch(request, params: dict[str, str], entry: OneCRequest, body: _Counting, length: int | None,
              readable: bool) -> Answer:
    # Bitrix's component URL implies the catalog when no type is given.
    type_ = params.get("type", "").strip().lower() or "catalog"
    mode = params.get("mode", "").strip().lower()
    filename = params.get("filename", "")
    if type_ not in MODES:
        raise ProtocolError(_("Unknown exchange type: %(type)s") % {"type": type_ or "-"})
    if mode not in MODES[type_]:
        raise ProtocolError(_("Unknown mode %(mode)s for the exchange type %(type)s.") % {"mode": mode or "-",
                                                                                         "type": type_})
    remote = entry.remote_addr
    creds = services.basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    entry.login = creds[0][:150] if creds else ""
    if mode == "checkauth":
        if creds is None:
            raise ProtocolError(_("Send the exchange login and password (HTTP Basic authentication)."))
        node = services.node_authenticate(login=creds[0], password=creds[1], remote_addr=remote)
        entry.node = node
        session, answer = services.session_checkauth(node=node, type_=type_, remote_addr=remote)
        entry.session = session
        return answer

    token = request.COOKIES.get(COOKIE_NAME) or params.get("sessid") or ""
    node = None  # type: ignore[assignment]  # no node until one is authenticated
    if not token and creds is not None:
        node = services.node_authenticate(login=creds[0], password=creds[1], remote_addr=remote)
        entry.node = node
    session = services.session_resolve(token=token, node=node, type_=type_, mode=mode)
    entry.node, entry.session = session.node, session
    if mode == "file" and not readable:
        # Answering success here would tell 1C that a chunk is stored which never arrived.
        raise ProtocolError(_("The file was sent without a Content-Length header (or with chunked transfer "
                              "encoding the server does not decode): nothing was stored. Send it with its "
                              "length."))

    if mode == "init":
        return services.session_init(session=session, type_=type_, version=params.get("version", ""))
    if type_ == "catalog":
        if mode == "file":
            return services.file_upload(session=session, filename=filename, stream=body, length=length)
        if mode == "import":
            return services.import_step(session=session, filename=filename)
        return services.session_complete(session=session, deactivate=mode == "deactivate",
                                         timestamp=params.get("timestamp"))
    if mode == "query":
        return services.sale_query(session=session)
    if mode == "success":
        return services.sale_success(session=session)
    if mode == "info":
        return services.sale_info(session=session)
    if mode == "file":
        return services.sale_file(session=session, filename=filename, stream=body, length=length)
    if mode == "import":
        return services.sale_import(session=session, filename=filename)
    return services.sale_complete(session=session)


@csrf_exempt
def endpoint(request):
    """One request of 1C's exchange with a website; logged with the first line of the answer."""
    started = time.monotonic()
    params = _params(request)
    entry = OneCRequest(remote_addr=throttle.client_ip(request) or None,
                        type=(params.get("type", "") or "catalog")[:16],
                        mode=params.get("mode", "")[:16], filename=params.get("filename", "")[:500])
    body, length, readable = _body(request)
    try:
        answer = _dispatch(request, params, entry, body, length, readable)
    except ProtocolError as exc:
        answer = Answer(["failure", exc.reason])
        entry.auth_failed = exc.auth_failed
    except Exception:   # 1C shows the reason; the traceback goes to the log
        log.exception("1C exchange request failed: %s", _loggable(params))
        answer = Answer(["failure", _("Raccordo could not process the request; its log has the details.")])
    if answer.body is None:
        # A reason can quote an exception (an OSError's holds the file's full path): 1C and whoever holds its
        # credentials are told the file's name only, never where Raccordo keeps it.
        answer.lines = [without_paths(line) for line in answer.lines]
    entry.answer = answer.first[:16]
    reason = answer.lines[1] if len(answer.lines) > 1 else ""
    if entry.session is not None and entry.session.token:
        reason = reason.replace(entry.session.token, "***")   # the log never holds a usable token
    entry.reason = redact(reason)[:500]
    entry.bytes = body.count or (len(answer.body) if answer.body is not None else 0)
    entry.duration_ms = int((time.monotonic() - started) * 1000)
    try:
        if entry.node_id is not None or _may_log_anonymous(entry.remote_addr):
            entry.save()
    except Exception:   # the log must never cost 1C its answer
        log.exception("1C exchange request could not be logged")
    response = HttpResponse(answer.content(), content_type=answer.content_type, status=200)
    if answer.cookie:
        response.set_cookie(COOKIE_NAME, answer.cookie, httponly=True)
    return response


# --- node pages -----------------------------------------------------------------------------------------------------


def _admin_only(request) -> None:
    if not is_admin(request.user):
        raise Http404


@login_required
def node_list(request):
    _admin_only(request)
    nodes = list(exchange_selectors.node_list(user=request.user).order_by("code"))
    last = {}
    for node in nodes:
        last[node.pk] = OneCRequest.objects.filter(node=node).first()
    rows = [{"node": n, "last": last[n.pk], "settings": onec_selectors.settings_shown(n)} for n in nodes]
    endpoint_url = request.build_absolute_uri(reverse("onec:endpoint"))
    return render(request, "onec/node_list.html", {"rows": rows, "endpoint_url": endpoint_url})


def _node_page(request, node, *, posted=None, settings_errors=None, status=200):
    sessions = list(visible(OneCSession.objects.filter(node=node), request.user).prefetch_related("files")[:30])
    requests = list(visible(OneCRequest.objects.filter(node=node), request.user).select_related("session")[:300])
    context = {"node": node, "settings": onec_selectors.settings_shown(node), "sessions": sessions,
               "requests": requests,
               "endpoint_url": request.build_absolute_uri(reverse("onec:endpoint")),
               "mapping_forms": mapping_form.mapping_forms(node, posted), "settings_errors": settings_errors or [],
               "tasks": list(node.tasks.all()), **setup_views.node_page_context(request, node),
               "refused": exchange_selectors.node_refused_documents(user=request.user, node=node)}
    return render(request, "onec/node_detail.html", context, status=status)


@login_required
def node_detail(request, pk):
    _admin_only(request)
    node = get_object_or_404(visible(ExchangeNode.objects.all(), request.user), pk=pk)
    return _node_page(request, node)


@login_required
@require_POST
def node_mapping(request, pk, object_type):
    """Save one object type's mapping of the node; its problems are shown on the form, nothing is saved."""
    _admin_only(request)
    node = get_object_or_404(visible(ExchangeNode.objects.all(), request.user), pk=pk)
    if object_type not in mappings.OBJECT_TYPES:
        raise Http404
    data = mapping_form.mapping_from_post(object_type, request.POST)
    try:
        mappings.mapping_save(user=request.user, node=node, data=data)
    except mappings.MappingInvalid as exc:
        return _node_page(request, node, posted=(object_type, data, exc.errors), status=422)
    messages.success(request, _("The mapping is saved."))
    return redirect("onec:node_detail", pk=node.pk)


@login_required
def node_settings_export(request, pk):
    """The node's settings as a JSON file (never its password)."""
    _admin_only(request)
    node = get_object_or_404(visible(ExchangeNode.objects.all(), request.user), pk=pk)
    body = json.dumps(settings_file.settings_export(node), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    set_download_name(response, f"raccordo-exchange-{node.code}.json")
    return response


@login_required
@require_POST
def node_settings_import(request, pk):
    """Load a settings file into this node's Raccordo: it creates or updates the node the file names."""
    _admin_only(request)
    node = get_object_or_404(visible(ExchangeNode.objects.all(), request.user), pk=pk)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValueError(_("Choose a settings file."))
        if upload.size > 5 * 1024 * 1024:
            raise ValueError(_("A settings file is at most 5 MB."))
        data = json.loads(upload.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return _node_page(request, node, settings_errors=[_("The file cannot be read as JSON: %(error)s") % {
            "error": exc}], status=422)
    try:
        imported = settings_file.settings_import(user=request.user, data=data,
                                                 password=request.POST.get("password") or None)
    except settings_file.SettingsInvalid as exc:
        return _node_page(request, node, settings_errors=settings_file.settings_problem_lines(exc), status=422)
    messages.success(request, _("The settings of %(node)s are imported.") % {"node": imported.code})
    return redirect("onec:node_detail", pk=imported.pk)


@login_required
def session_detail(request, pk):
    _admin_only(request)
    session = get_object_or_404(visible(OneCSession.objects.select_related("node", "finish_run"), request.user),
                                pk=pk)
    files = list(session.files.select_related("run", "archive").order_by("created_at"))
    requests = list(session.requests.order_by("at", "id")[:1000])
    return render(request, "onec/session_detail.html", {"session": session, "files": files, "requests": requests,
                                                        "node": session.node})
