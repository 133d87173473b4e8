"""/metrics for Prometheus: behind a token; requests, latency, exchange runs and failures, queue, workers."""

from __future__ import annotations

import re

import pytest

from raccordo.exchange.models import Run, RunStatus

TOKEN = "metrics-token-for-tests"


def sample(text: str, name: str, **labels) -> float | None:
    """The value of one sample of the exposition, None when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if m and m.group(1) == name and ",".join(sorted((m.group(2) or "").split(","))) == wanted:
            return float(m.group(3))
    return None


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def test_without_a_configured_token_there_are_no_metrics(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("header", ["", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_a_wrong_token_gets_401(client, db, token, header):
    response = client.get("/metrics", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and b"raccordo_" not in response.content


def test_requests_exchange_runs_and_queue(client, db, token):
    client.get("/health/live")
    Run.objects.create(status=RunStatus.FAILED)
    Run.objects.create(status=RunStatus.SUCCEEDED)
    Run.objects.create(status=RunStatus.SUCCEEDED)
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert sample(text, "raccordo_http_requests_total", method="GET", view="operations:health_live",
                  status="200") >= 1
    assert sample(text, "raccordo_http_request_duration_seconds_count", method="GET",
                  view="operations:health_live") >= 1
    assert sample(text, "raccordo_exchange_runs_total", status="succeeded") == 2
    assert sample(text, "raccordo_exchange_runs_total", status="failed") == 1
    assert sample(text, "raccordo_exchange_run_failures_total") == 1
    assert sample(text, "raccordo_queue_depth") is not None
    assert sample(text, "raccordo_workers_alive") == 0
    assert sample(text, "raccordo_backup_last_success_timestamp_seconds") == 0
