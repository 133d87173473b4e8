"""The HTTP doors of the PBXes: the generic signed call-event endpoint and Mango Office's webhooks.

Both refuse a request whose signature does not check with 403 and log it (the log and the settings page's
"last error" say why, never with the secret); a good request's events go to services.record_event.
"""

from __future__ import annotations

import json
import logging
import time

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .contract import ContractError, from_payload, signature_problem
from .mango import mango_events, mango_problem
from .services import pbx_state_report, record_event, telephony_settings

log = logging.getLogger("raccordo.telephony")
MAX_BODY = 256 * 1024


def _refused(provider: str, request, problem: str) -> JsonResponse:
    where = request.META.get("REMOTE_ADDR", "?")
    log.warning("telephony webhook refused (%s, from %s): %s", provider, where, problem)
    pbx_state_report(provider=provider, error=f"refused a request from {where}: {problem}")
    return JsonResponse({"code": "telephony.signature", "message": problem}, status=403)


def _bad(provider: str, exc: ContractError) -> JsonResponse:
    pbx_state_report(provider=provider, error=f"bad event: {exc.message}")
    return JsonResponse({"code": "telephony.event.invalid", "message": exc.message, "extra": {"field": exc.field}},
                        status=400)


@csrf_exempt
@require_POST
def events_view(request):
    """POST /telephony/events/: one event of the generic contract, signed with the webhook secret."""
    body = request.body[: MAX_BODY + 1]
    if len(body) > MAX_BODY:
        return JsonResponse({"code": "telephony.event.too_large", "message": "The body is over 256 KiB."}, status=413)
    problem = signature_problem(telephony_settings().webhook_secret, request.headers.get("X-Raccordo-Timestamp", ""),
                                body, request.headers.get("X-Raccordo-Signature", ""), time.time())
    if problem:
        return _refused("generic", request, problem)
    try:
        event = from_payload(json.loads(body))
    except ValueError as exc:
        error = exc if isinstance(exc, ContractError) else ContractError(f"The body is not JSON: {exc}")
        return _bad("generic", error)
    call = record_event(event=event)
    return JsonResponse({"call": str(call.pk), "status": call.status})


@csrf_exempt
@require_POST
def mango_view(request, kind: str):
    """POST /telephony/mango/events/<kind>: Mango Office's webhook (form fields vpbx_api_key, sign, json)."""
    config = telephony_settings()
    payload = request.POST.get("json", "")
    problem = mango_problem(api_key=config.mango_secret_key, salt=config.mango_secret_salt,
                            given_key=request.POST.get("vpbx_api_key", ""), given_sign=request.POST.get("sign", ""),
                            payload=payload)
    if problem:
        return _refused("mango", request, problem)
    try:
        events = mango_events(kind, payload)
    except ContractError as exc:
        return _bad("mango", exc)
    for event in events:
        record_event(event=event)
    if not events:
        pbx_state_report(provider="mango", event_at=timezone.now())
    return HttpResponse(status=200)
