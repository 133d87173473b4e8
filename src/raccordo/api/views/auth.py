"""POST /api/v1/auth/token/: exchange a username and password for a personal API token.

The token is an ordinary personal token (hashed, with scope and expiry, listed and revocable on
the user's token page), so there is no second, unscoped kind of token.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from raccordo.access import throttle
from raccordo.access.models import TokenScope
from raccordo.access.services import api_token_create
from raccordo.api.authentication import ThrottledAuthTokenSerializer as AuthTokenSerializer
from raccordo.api.serializers.auth import TokenSerializer

DEFAULT_EXPIRY_DAYS = 90


class TokenThrottle(AnonRateThrottle):
    """Password guessing is slowed down per client address."""

    scope = "auth_token"
    rate = "20/minute"

    def get_ident(self, request):
        # The same address as the sign-in limit: X-Forwarded-For only behind RACCORDO_TRUSTED_PROXIES.
        return throttle.client_ip(request) or super().get_ident(request)


class ObtainTokenView(APIView):
    """A new personal token for a valid username and password: read-write unless `scope=read`, 90 days."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]
    serializer_class = AuthTokenSerializer

    @extend_schema(request=AuthTokenSerializer, responses=TokenSerializer, auth=[])
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        scope = TokenScope.READ if request.data.get("scope") == TokenScope.READ else TokenScope.WRITE
        token, plain = api_token_create(user=serializer.validated_data["user"], name=str(_("Obtained with a password")),
                                        scope=scope, expires_in_days=DEFAULT_EXPIRY_DAYS)
        return Response({"token": plain, "scope": token.scope, "expires_at": token.expires_at})
