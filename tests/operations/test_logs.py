"""Structured JSON logs carry the request id the response and the journal carry (core.logformat)."""

from __future__ import annotations

import json
import logging

from raccordo.core.context import change_context
from raccordo.core.logformat import JsonFormatter, RequestIdFilter


def _format(record: logging.LogRecord) -> dict:
    RequestIdFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def _record(message: str, *args, **extra) -> logging.LogRecord:
    record = logging.LogRecord("raccordo.test", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_line_is_one_json_object_with_the_request_id():
    with change_context(request_id="abc123"):
        entry = _format(_record("imported %s rows", 5, node="ut11"))
    assert entry["message"] == "imported 5 rows" and entry["request_id"] == "abc123"
    assert entry["level"] == "WARNING" and entry["logger"] == "raccordo.test" and entry["node"] == "ut11"
    assert entry["time"].endswith("+00:00") and isinstance(entry["pid"], int)


def test_outside_a_request_the_id_is_empty_and_tracebacks_are_kept():
    try:
        raise ValueError("broken \"quote\"\nnew line")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = _format(record)
    assert entry["request_id"] == "" and "ValueError: broken" in entry["exception"]


def test_every_request_is_logged_with_its_id_in_json_mode(client, db, settings, caplog):
    from raccordo.operations.metrics import RequestMetricsMiddleware

    settings.LOG_FORMAT = "json"
    middleware = RequestMetricsMiddleware(lambda request: client.get("/health/live"))
    from django.test import RequestFactory

    with caplog.at_level(logging.INFO, logger="raccordo.request"):
        response = middleware(RequestFactory().get("/health/live?sessid=secret"))
    record = next(r for r in caplog.records if r.name == "raccordo.request")
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == response["X-Request-ID"] and len(entry["request_id"]) == 32
    assert entry["path"] == "/health/live" and "secret" not in json.dumps(entry)
    assert entry["status"] == 200
