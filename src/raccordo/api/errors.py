"""API errors as `{code, message, extra}`; Django validation errors become 400 with field details."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from raccordo.core.errors import ApplicationError, NotFound, PermissionDenied


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response({"code": "validation.failed", "message": "Invalid input.", "extra": detail},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ApplicationError):
        code = (status.HTTP_404_NOT_FOUND if isinstance(exc, NotFound)
                else status.HTTP_403_FORBIDDEN if isinstance(exc, PermissionDenied)
                else status.HTTP_400_BAD_REQUEST)
        return Response(exc.as_dict(), status=code)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "code" not in response.data:
        message = response.data.get("detail", "Invalid input.")
        extra = {k: v for k, v in response.data.items() if k != "detail"}
        code = getattr(getattr(exc, "default_code", None), "__str__", lambda: "error")()
        response.data = {"code": f"api.{code}", "message": str(message), "extra": extra}
    return response
