"""Logging filters: secrets that travel in URLs never reach a log line."""

from __future__ import annotations

import logging
import re

# 1C session tokens (`sessid=...` in the query string, the `raccordo_1c` cookie) and password-reset links.
_SECRETS = re.compile(r"((?:sessid|raccordo_1c)(?:=|['\"]?\s*:\s*['\"]?))[^&\s'\"]+", re.IGNORECASE)
_RESET_LINK = re.compile(r"(/password/reset/[^/\s]+/)[^/\s]+")


def redact(text: str) -> str:
    """The text with every 1C session token and password-reset token replaced by `***`."""
    return _RESET_LINK.sub(r"\1***", _SECRETS.sub(r"\1***", text))


class RedactSecrets(logging.Filter):
    """Rewrites a record's message (after formatting its arguments) with `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:   # a broken record is the logging module's to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
