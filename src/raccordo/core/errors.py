"""One error hierarchy for the whole application, with stable codes.

The UI shows `message`, the API returns `{code, message, extra}`, the exchange run log
stores all three together with the source position.
"""

from __future__ import annotations

import re
from typing import Any


class ApplicationError(Exception):
    """A business rule refused an action; `code` is a stable dotted string."""

    code = "application.error"

    def __init__(self, message: str, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "extra": self.extra}


class NotFound(ApplicationError):
    """The record does not exist or is not visible to the user (the two are not told apart)."""

    code = "not_found"


class PermissionDenied(ApplicationError):
    """The user may see the record but not do this to it."""

    code = "permission_denied"


class Conflict(ApplicationError):
    """The record's state forbids the action now (an invoice with payments, a payment already reversed); the API
    answers 409: the request was fine, the record must change first."""

    code = "conflict"


# An absolute path of at least two parts (POSIX or Windows), as OSError and friends put it in their text.
_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?[\\/](?:[^\s'\"\\/:,;]+[\\/])+([^\s'\"\\/:,;]*)")


def without_paths(text: str) -> str:
    """The text with every absolute path shortened to its last part (the file name).

    Messages that leave the server (1C's answers, API errors) often carry an exception's text, and an
    OSError's text holds the full path of the file: it tells an outsider where Raccordo is installed.
    """
    return _PATH.sub(lambda m: m.group(1) or "…", text or "")


def exception_text(exc: BaseException) -> str:
    """What went wrong, in the exception's own words but without the server's paths."""
    if isinstance(exc, OSError) and exc.strerror:
        name = exc.filename if isinstance(exc.filename, str) else ""
        return f"{exc.strerror}: {without_paths(name) or name.rsplit('/', 1)[-1]}" if name else exc.strerror
    return without_paths(str(exc))
