"""Marks every web request's writes with origin UI or API and a request id, and cleans query strings."""

import logging
import re
import uuid

from django.conf import settings

from .context import change_context
from .models import Origin

log = logging.getLogger(__name__)

# What a caller's correlation id may contain once it is logged: the characters request ids are made of.
_CLIENT_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")
CLIENT_ID_MAX = 64


def client_request_id(value: str | None) -> str:
    """A caller's `X-Request-ID`, reduced to a short token that cannot forge log lines or journal ids."""
    return _CLIENT_ID_UNSAFE.sub("", value or "")[:CLIENT_ID_MAX]


class ChangeContextMiddleware:
    """Every request gets an id of our own; the caller's `X-Request-ID` is only logged next to it.

    The journal's request id is what run reports and record histories group changes by ("run-<pk>" for an
    exchange run), so a value a caller chose must never reach it (security finding L4).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        origin = Origin.API if request.path.startswith("/api/") else Origin.UI
        request_id = uuid.uuid4().hex
        client_id = client_request_id(request.headers.get("X-Request-ID"))
        if client_id:
            # Lets an integrator find our id for theirs in the log; it is never stored with the data.
            log.info("request %s carries the client request id %s", request_id, client_id)
        with change_context(origin=origin, request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        if client_id:
            response["X-Client-Request-ID"] = client_id
        return response


class QueryStringMiddleware:
    """Takes NUL characters out of every query-string value before a view sees it.

    No filter, search term or cursor ever needs one, and PostgreSQL refuses them in any text parameter
    (a 500 on every list page with `?q=a%00b`, finding L5); one place covers the UI and the API alike.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", ""):
            cleaned = request.GET.copy()
            for key in list(cleaned.keys()):
                cleaned.setlist(key, [v.replace("\x00", "") for v in cleaned.getlist(key)])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Sends `Permissions-Policy` (settings.PERMISSIONS_POLICY): Django has no setting of its own for it."""

    def __init__(self, get_response):

        self.get_response = get_response
        self.policy = getattr(settings, "PERMISSIONS_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Permissions-Policy", self.policy)
        return response
