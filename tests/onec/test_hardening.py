"""Security finding L6, the 1C endpoint: no server paths in answers, session tokens kept in their place,
the exchange password handed over without being stored, unauthenticated requests logged within a limit."""

from __future__ import annotations

import base64
import logging

import pytest
from django.test import Client
from django.urls import reverse

from raccordo.core.errors import exception_text, without_paths
from raccordo.exchange.onec import views
from raccordo.exchange.onec.models import OneCRequest
from raccordo.exchange.onec.services import ProtocolError
from tests.onec.cml import import_xml, offers_xml


def test_L6_exception_texts_lose_their_paths():
    try:
        open("/srv/raccordo/var/exchange/ut3/abc/x.xml", "rb")
    except OSError as exc:
        assert exception_text(exc) == "No such file or directory: x.xml"
    text = "[Errno 17] File exists: '/srv/raccordo/var/exchange/ut3/abc/x.xml' and C:\\1C\\base\\y.zip"
    assert without_paths(text) == "[Errno 17] File exists: 'x.xml' and y.zip"
    assert without_paths("Line 3: 10/20 of 01/02/2026") == "Line 3: 10/20 of 01/02/2026"


@pytest.mark.django_db
def test_L6_a_1c_failure_answer_never_holds_a_server_path(monkeypatch, settings):
    def failing(*args, **kwargs):
        raise ProtocolError(f"The archive cannot be unpacked: [Errno 17] File exists: '{settings.VAR_DIR}/exchange/"
                            "ut3/s1/x.xml'")

    monkeypatch.setattr(views, "_dispatch", failing)
    body = Client().get("/exchange/1c/", {"type": "catalog", "mode": "import"}).content.decode()
    assert body.startswith("failure") and "x.xml" in body
    assert str(settings.VAR_DIR) not in body and "/exchange/ut3" not in body


@pytest.mark.django_db
def test_L6_the_session_token_is_not_logged_when_a_request_fails(monkeypatch, caplog):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "_dispatch", crash)
    with caplog.at_level(logging.ERROR, logger=views.log.name):
        Client().get("/exchange/1c/", {"type": "catalog", "mode": "file", "sessid": "TOKEN-abcdef-123"})
    assert "1C exchange request failed" in caplog.text and "TOKEN-abcdef-123" not in caplog.text


def test_L6_a_catalog_token_does_not_read_orders(onec):
    onec.checkauth("catalog")
    onec.init("catalog")
    reply = onec.call("sale", "query")
    assert reply.first == "failure" and "another exchange type" in reply.text


def test_L6_a_complete_catalog_session_takes_no_more_files(onec):
    onec.checkauth()
    onec.init()
    onec.send("import.xml", import_xml(range(2)))
    onec.send("offers.xml", offers_xml(range(2)))
    onec.import_("import.xml")
    onec.import_("offers.xml")
    assert onec.call("catalog", "complete").first == "success"
    after = onec.call("catalog", "file", b"<?xml version='1.0'?>", filename="import.xml")
    assert after.first == "failure" and "over" in after.text
    assert onec.call("catalog", "import", filename="import.xml").first == "failure"


@pytest.mark.django_db
def test_L6_unauthenticated_requests_are_logged_up_to_a_limit():
    client = Client()
    wrong = "Basic " + base64.b64encode(b"nobody:wrong").decode()
    for _ in range(views.ANONYMOUS_LOG_PER_HOUR + 10):
        client.get("/exchange/1c/", {"type": "catalog", "mode": "checkauth"}, HTTP_AUTHORIZATION=wrong)
    assert OneCRequest.objects.filter(node__isnull=True).count() == views.ANONYMOUS_LOG_PER_HOUR


@pytest.mark.django_db
def test_L6_the_new_exchange_password_is_not_kept_in_the_session(client, admin_user, var_dir):
    from django.contrib.sessions.models import Session

    client.force_login(admin_user)
    response = client.post(reverse("onec:node_create"), {"kind": "onec-http", "name": "Trade 11", "code": "ut11"})
    assert response.status_code == 302, response.content[:500]
    # What the sessions table holds between the node's creation and the page that shows the password
    # (before the fix the password itself waited there, and the page popped it).
    stored = [str(session.get_decoded()) for session in Session.objects.all()]
    page = client.get(response["Location"]).content.decode()
    shown = page.split('data-testid="onec-password"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert len(shown) >= 20
    # Neither before the page nor after it did the stored session hold it in clear.
    assert stored and not [text for text in stored if shown in text]
    for session in Session.objects.all():
        assert shown not in str(session.get_decoded())
    # Shown once: both halves are gone.
    again = client.get(response["Location"]).content.decode()
    assert shown not in again and 'data-testid="onec-password-hidden"' in again
