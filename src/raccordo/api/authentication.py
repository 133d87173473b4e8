"""API authentication by personal tokens (access.ApiToken) and the scope check that goes with them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import SAFE_METHODS, BasePermission

from raccordo.access import throttle
from raccordo.access.models import ApiToken, TokenScope
from raccordo.access.services import TOKEN_PREFIX, api_token_authenticate


class PersonalTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer rcd_...` (or `Token rcd_...`): a personal token, hashed in the database.

    A value that is not a personal token is refused: there is no other kind of token.
    """

    keywords = (b"bearer", b"token")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in self.keywords:
            return None
        try:
            plain = parts[1].decode()
        except UnicodeError:
            return None
        if not plain.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = api_token_authenticate(plain)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token

    def authenticate_header(self, request):
        return "Bearer"


class TokenScopePermission(BasePermission):
    """A read-only token may only read: every unsafe method is refused with 403."""

    message = _("This API token is read-only.")

    def has_permission(self, request, view):
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken) and token.scope != TokenScope.WRITE:
            return request.method in SAFE_METHODS
        return True


class ThrottledAuthTokenSerializer(AuthTokenSerializer):
    """Username and password for a token, with the same lock-out as the sign-in page."""

    def validate(self, attrs):
        username = attrs.get("username") or ""
        if not username or not attrs.get("password"):
            return super().validate(attrs)
        try:
            with throttle.attempt(kind=throttle.USER, login=username,
                                  ip=throttle.client_ip(self.context.get("request"))):
                return super().validate(attrs)
        except throttle.SignInLocked:
            raise exceptions.Throttled(detail=str(throttle.LOCKED_MESSAGE)) from None
