"""API of telephony: the calls the caller may see, and click-to-call from the caller's own phone."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from raccordo.api.serializers.telephony import (
    CallSerializer,
    ClickToCallResultSerializer,
    ClickToCallSerializer,
)
from raccordo.telephony import selectors, services
from raccordo.telephony.filters import CallFilter
from raccordo.telephony.matching import match_number

from .base import ReadOnlyViewSet


class CallViewSet(ReadOnlyViewSet):
    """Calls with the counterparties the caller may see (a VIP client's only to those who see it), or theirs."""

    serializer_class = CallSerializer
    filterset_class = CallFilter
    ordering_fields = ["started_at", "created_at"]
    search_fields = ["number", "from_number", "to_number"]

    def get_base_queryset(self):
        return selectors.call_list(user=self.request.user)


class ClickToCallView(APIView):
    """POST {"number": ...}: Asterisk rings the caller's own extension, then dials the number."""

    @extend_schema(request=ClickToCallSerializer, responses=ClickToCallResultSerializer)
    def post(self, request):
        data = ClickToCallSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        number = data.validated_data["number"]
        action_id = services.call_originate(user=request.user, number=number,
                                            counterparty=match_number(number).counterparty)
        return Response({"action_id": action_id})
