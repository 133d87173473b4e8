"""Security finding L4: a caller's X-Request-ID never reaches the change journal, so run reports cannot be forged."""

from __future__ import annotations

import logging
import re

import pytest
from rest_framework.test import APIClient

from raccordo.core.middleware import client_request_id
from raccordo.core.models import ChangeJournal
from tests import factories

pytestmark = pytest.mark.django_db


def test_L4_a_client_request_id_does_not_go_into_the_journal(manager, caplog):
    counterparty = factories.CounterpartyFactory(responsible=manager)
    api = APIClient()
    api.force_authenticate(manager)
    with caplog.at_level(logging.INFO, logger="raccordo.core.middleware"):
        response = api.patch(f"/api/v1/counterparties/{counterparty.pk}/", {"notes": "edited"}, format="json",
                             HTTP_X_REQUEST_ID="run-42")
    assert response.status_code == 200, response.content
    entry = ChangeJournal.objects.filter(object_id=str(counterparty.pk)).latest("at")
    # Our own id: what the response announces, never what the caller sent.
    assert re.fullmatch(r"[0-9a-f]{32}", entry.request_id)
    assert response["X-Request-ID"] == entry.request_id
    assert not ChangeJournal.objects.filter(request_id="run-42").exists()
    # The caller's id is kept only for correlation: echoed back and logged next to ours.
    assert response["X-Client-Request-ID"] == "run-42"
    assert f"request {entry.request_id} carries the client request id run-42" in caplog.text


def test_L4_a_client_request_id_is_sanitized_before_it_is_logged():
    assert client_request_id("abc\r\nFAKE log line <script>") == "abcFAKEloglinescript"
    assert client_request_id("x" * 500) == "x" * 64
    assert client_request_id(None) == ""
