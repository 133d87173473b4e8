"""The system page (administrators), the health endpoints (load balancers, monitoring) and /metrics (Prometheus)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from raccordo.access.policy import may_view_system, metrics_enabled, metrics_token_allows

from . import health, metrics, selectors


@login_required
def system_view(request):
    """Workers and their heartbeats, the queue, the last backups, each node's last exchange, the health checks."""
    if not may_view_system(request.user):
        raise Http404
    return render(request, "operations/system.html", {"state": selectors.system_state(user=request.user)})


@never_cache
@require_GET
def health_live(request):
    """The process answers: for a supervisor's liveness probe (no database or queue involved)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def health_ready(request):
    """Ready to serve: the database, the queue, a live worker and free disk; 503 naming what failed."""
    checks = health.readiness()
    ok = all(c.ok for c in checks)
    return JsonResponse({"status": "ok" if ok else "fail",
                         "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}},
                        status=200 if ok else 503)


@never_cache
@require_GET
def metrics_view(request):
    """Prometheus' scrape, with `Authorization: Bearer <RACCORDO_METRICS_TOKEN>`; 404 while no token is set."""
    if not metrics_enabled():
        raise Http404
    if not metrics_token_allows(request.headers.get("Authorization", "")):
        response = HttpResponse("metrics token required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
