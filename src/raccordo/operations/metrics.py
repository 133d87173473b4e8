"""Prometheus metrics: requests and their latency, exchange runs and their failures, the queue, workers, backups.

Request counters are kept by every web process (`RequestMetricsMiddleware`). Under gunicorn with several
workers each process has its own, so `raccordo serve` runs them in prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, one folder per server, web.gunicorn_conf): whichever worker answers /metrics adds
up all of them. Figures the whole installation shares — exchange runs by outcome, queue depth, live workers,
the last backup — are read from the database and the queue at scrape time (`InstallationCollector`), so any
app server gives the same numbers and no process needs to have seen the run happen.
Several app servers are scraped one by one, as Prometheus does with any replicated service.
"""

from __future__ import annotations

import logging
import os
import time

from django.conf import settings
from django.db.models import Count, Max
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import REGISTRY

from raccordo.exchange.models import Run, RunStatus

from . import health
from .models import Backup, BackupStatus

log = logging.getLogger("raccordo.request")

REQUESTS = Counter("raccordo_http_requests", "HTTP requests answered", ["method", "view", "status"])
LATENCY = Histogram("raccordo_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "view"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


class RequestMetricsMiddleware:
    """Counts every request by view (the URL pattern's name, not the path: ids would explode the series) and
    status, times it, and with RACCORDO_LOG_FORMAT=json logs it as one line with its request id."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.log_requests = settings.LOG_FORMAT == "json"

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - start
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or "unnamed") if match is not None else "unmatched"
        REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        LATENCY.labels(request.method, view).observe(elapsed)
        if self.log_requests:
            # The path only: query strings carry 1C's session token and people's search terms.
            log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "request_id": response.get("X-Request-ID", ""), "method": request.method, "path": request.path,
                "status": response.status_code, "duration_ms": round(elapsed * 1000, 1), "view": view})
        return response


class InstallationCollector:
    """What every app server reports alike, read at scrape time from the database and the queue."""

    def collect(self):
        runs = CounterMetricFamily("raccordo_exchange_runs", "Exchange runs by outcome (running: not ended yet)",
                                   labels=["status"])
        counts = dict(Run.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        for status in RunStatus.values:
            runs.add_metric([status], counts.get(status, 0))
        yield runs
        failures = CounterMetricFamily("raccordo_exchange_run_failures", "Exchange runs that failed")
        failures.add_metric([], counts.get(RunStatus.FAILED, 0))
        yield failures
        depth = health.queue_depth()
        queue = GaugeMetricFamily("raccordo_queue_depth", "Tasks waiting in the worker's queue (-1: unreachable)")
        queue.add_metric([], -1 if depth is None else depth)
        yield queue
        yield GaugeMetricFamily("raccordo_workers_alive", "Workers whose heartbeat is recent",
                                value=health.workers_alive())
        last = Backup.objects.filter(status=BackupStatus.SUCCEEDED).aggregate(at=Max("finished_at"))["at"]
        yield GaugeMetricFamily("raccordo_backup_last_success_timestamp_seconds",
                                "When the last successful backup ended (0: never)",
                                value=last.timestamp() if last else 0)
        yield GaugeMetricFamily("raccordo_var_free_bytes", "Free space on the disk that holds var/",
                                value=health.free_megabytes() * 1024 * 1024)


def exposition() -> bytes:
    """The metrics in Prometheus' text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Here, not at the top: the multiprocess module reads its folder at import, which only serve sets.
        from prometheus_client import multiprocess

        requests_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests_registry)
    else:
        requests_registry = REGISTRY
    installation = CollectorRegistry()
    installation.register(InstallationCollector())
    return generate_latest(requests_registry) + generate_latest(installation)
