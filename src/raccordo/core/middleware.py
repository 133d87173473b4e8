"""Marks every web request's writes with origin UI or API and a request id."""

import uuid

from .context import change_context
from .models import Origin


class ChangeContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        origin = Origin.API if request.path.startswith("/api/") else Origin.UI
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        with change_context(origin=origin, request_id=request_id[:64]):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id[:64]
        return response
