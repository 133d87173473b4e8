"""POST /api/v1/hand-over/counterparties/ and /hand-over/deals/: give records to another person of the team.

The same services as the lists' "Give to…" (`access.reassign`): each record is checked and journaled, one
refused record leaves all as they were. An id the caller does not see answers 404, like a record's own URL.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from raccordo.access.reassign import counterparties_reassign, deals_reassign
from raccordo.core.errors import NotFound
from raccordo.parties.selectors import counterparty_list
from raccordo.sales.selectors import deal_list

# As many records as the web lists' selection carries (one page of a list).
HAND_OVER_LIMIT = 200


class HandOverSerializer(serializers.Serializer):
    """Which records, to whom, and (for counterparties) whether their open deals and tasks follow."""

    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=HAND_OVER_LIMIT)
    to_user = serializers.UUIDField(help_text="The colleague who takes them over (an active user in your reach).")
    with_open_work = serializers.BooleanField(
        default=False, help_text="Counterparties only: their previous responsible's open deals and tasks follow.")


class HandOverResultSerializer(serializers.Serializer):
    """How many records changed hands."""

    counterparties = serializers.IntegerField()
    deals = serializers.IntegerField()
    tasks = serializers.IntegerField()


class _HandOverView(APIView):
    clients = True

    def post(self, request):
        payload = HandOverSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        ids = set(data["ids"])
        base = counterparty_list(user=request.user) if self.clients else deal_list(user=request.user)
        records = list(base.filter(pk__in=ids))
        if len(records) != len(ids):
            raise NotFound("Not found.")
        # Names of colleagues are not client data; whether this one is in reach is the service's to say.
        to_user = get_user_model().objects.filter(pk=data["to_user"]).first()
        if self.clients:
            counts = counterparties_reassign(user=request.user, counterparties=records, to_user=to_user,
                                             with_open_work=data["with_open_work"])
        else:
            counts = {"counterparties": 0, "tasks": 0,
                      "deals": deals_reassign(user=request.user, deals=records, to_user=to_user)}
        return Response(HandOverResultSerializer(counts).data)


class CounterpartyHandOverView(_HandOverView):
    """Make another person of the team responsible for these counterparties (heads, administrators)."""

    @extend_schema(request=HandOverSerializer, responses=HandOverResultSerializer)
    def post(self, request):
        return super().post(request)


class DealHandOverView(_HandOverView):
    """Make another person of the team the manager of these deals (heads, administrators)."""

    clients = False

    @extend_schema(request=HandOverSerializer, responses=HandOverResultSerializer)
    def post(self, request):
        return super().post(request)
