"""Structured logs: one JSON object per line, each with the request id of the web request that wrote it.

`RACCORDO_LOG_FORMAT=json` switches the console handler to `JsonFormatter`; `RequestIdFilter` runs on every
record either way, so a text format may use `%(request_id)s` too. The id is the one the response carries in
`X-Request-ID` and the change journal stores (core.middleware), so a line in the log, a client's report and
a journal entry lead to each other.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

# LogRecord attributes that are not "extra" fields a caller passed.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id`: the current request's (or exchange run's) id, empty outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Here, not at the top: logging is configured before the apps load, and context imports a model.
            from .context import current

            record.request_id = current().request_id
        return True


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, message, request_id, pid, plus any `extra=` fields and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
