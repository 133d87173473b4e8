"""API errors as `{code, message, extra}`; Django validation errors become 400 with field details."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from raccordo.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied


def _code_of(exc) -> str:
    if isinstance(exc, Http404):
        return "not_found"
    if isinstance(exc, DjangoPermissionDenied):
        return "permission_denied"
    code = getattr(exc, "default_code", None)
    return str(code) if code else "error"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response({"code": "validation.failed", "message": "Invalid input.", "extra": detail},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ApplicationError):
        code = (status.HTTP_404_NOT_FOUND if isinstance(exc, NotFound)
                else status.HTTP_403_FORBIDDEN if isinstance(exc, PermissionDenied)
                else status.HTTP_409_CONFLICT if isinstance(exc, Conflict)
                else status.HTTP_400_BAD_REQUEST)
        return Response(exc.as_dict(), status=code)
    if isinstance(exc, ProtectedError | RestrictedError):
        # The blocking records are not listed: some of them may be invisible to the caller.
        return Response({"code": "record.protected",
                         "message": "Other records refer to this one, so it cannot be deleted.", "extra": {}},
                        status=status.HTTP_409_CONFLICT)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, list):
        data = {"non_field_errors": data}
    if isinstance(data, dict) and "code" not in data:
        message = data.get("detail", "Invalid input.")
        extra = {k: v for k, v in data.items() if k != "detail"}
        response.data = {"code": f"api.{_code_of(exc)}", "message": str(message), "extra": extra}
    return response
