"""One error hierarchy for the whole application, with stable codes.

The UI shows `message`, the API returns `{code, message, extra}`, the exchange run log
stores all three together with the source position.
"""

from __future__ import annotations

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
