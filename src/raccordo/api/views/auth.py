"""POST /api/v1/auth/token/: exchange a username and password for an API token."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from raccordo.api.authentication import ThrottledAuthTokenSerializer as AuthTokenSerializer
from raccordo.api.serializers.auth import TokenSerializer


class TokenThrottle(AnonRateThrottle):
    """Password guessing is slowed down per client address."""

    scope = "auth_token"
    rate = "20/minute"


class ObtainTokenView(APIView):
    """Return the caller's API token (created on first use) for a valid username and password."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]
    serializer_class = AuthTokenSerializer

    @extend_schema(request=AuthTokenSerializer, responses=TokenSerializer, auth=[])
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
