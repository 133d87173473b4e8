"""1C session tokens (security finding M6): dead after the exchange ends, bound to their exchange type,
never written to a log."""

from __future__ import annotations

import logging

import pytest

from raccordo.core.logfilters import RedactSecrets, redact
from raccordo.exchange.onec import services
from raccordo.exchange.onec.models import OneCRequest, OneCSession
from tests.onec.cml import import_xml

pytestmark = pytest.mark.django_db(transaction=True)


def test_M6_a_catalog_token_stops_working_at_complete(onec):
    assert onec.checkauth().first == "success"
    onec.init()
    onec.send("import.xml", import_xml(range(2)))
    assert onec.import_("import.xml")[-1].first == "success"
    assert onec.call("catalog", "complete").first == "success"
    for mode in ("init", "file", "import", "complete"):
        params = {"filename": "import.xml"} if mode in ("file", "import") else {}
        data = import_xml(range(1)) if mode == "file" else None
        reply = onec.call("catalog", mode, data, **params)
        assert reply.first == "failure" and "over" in reply.lines[1], (mode, reply.text)
    # By sessid in the address as well as by cookie.
    onec.cookie = None
    reply = onec.call("catalog", "init", sessid=onec.sessid)
    assert reply.first == "failure" and "over" in reply.lines[1]
    assert OneCSession.objects.get(token=onec.sessid).ended_at is not None


def test_M6_deactivate_keeps_the_token_for_the_complete_that_follows(onec):
    assert onec.checkauth().first == "success"
    onec.init()
    onec.send("import.xml", import_xml(range(2)))
    assert onec.import_("import.xml")[-1].first == "success"
    assert onec.call("catalog", "deactivate").first == "success"
    assert onec.call("catalog", "complete").first == "success"
    assert onec.call("catalog", "complete").first == "failure"


def test_M6_a_sale_token_stops_working_after_success_and_complete(onec):
    assert onec.checkauth("sale").first == "success"
    onec.init("sale")
    assert onec.call("sale", "query").status == 200
    assert onec.call("sale", "success").first == "success"
    # Between success and complete 1C may still ask and send its documents.
    assert onec.call("sale", "query").status == 200
    assert onec.call("sale", "complete").first == "success"
    for mode in ("query", "success", "info", "init", "complete"):
        reply = onec.call("sale", mode)
        assert reply.first == "failure" and "over" in reply.lines[1], (mode, reply.text)


def test_M6_a_token_serves_only_the_exchange_type_it_was_issued_for(onec):
    assert onec.checkauth("catalog").first == "success"
    for mode in ("init", "query", "success", "info"):
        reply = onec.call("sale", mode)
        assert reply.first == "failure" and "another exchange type" in reply.lines[1], (mode, reply.text)
    assert "zip" in onec.call("catalog", "init").lines[0]      # still good for what it was issued for

    sale = type(onec)(onec.base.removesuffix("/exchange/1c/"))
    assert sale.checkauth("sale").first == "success"
    for mode in ("init", "file", "import", "complete"):
        reply = sale.call("catalog", mode, filename="import.xml")
        assert reply.first == "failure" and "another exchange type" in reply.lines[1], (mode, reply.text)
    sale.init("sale")
    assert sale.call("sale", "query").status == 200


def test_M6_the_token_never_reaches_the_logs(onec, monkeypatch, caplog):
    assert onec.checkauth().first == "success"
    onec.init(version="3.1")     # the answer to init carries sessid=

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "import_step", broken)
    onec.cookie = None
    with caplog.at_level(logging.INFO):
        reply = onec.call("catalog", "import", filename="import.xml", sessid=onec.sessid)
    assert reply.first == "failure"
    assert any("disk on fire" in (r.exc_text or "") or r.exc_info for r in caplog.records)
    assert all(onec.sessid not in r.getMessage() for r in caplog.records)
    logged = OneCRequest.objects.values_list("login", "type", "mode", "filename", "answer", "reason")
    assert logged and all(onec.sessid not in value for row in logged for value in row)


def test_M6_the_access_log_filter_cuts_tokens_out():
    token = "AbC-123_xyz"
    line = f'"GET /exchange/1c/?type=catalog&mode=file&sessid={token}&filename=a.xml HTTP/1.1" 200 7'
    assert token not in redact(line) and "filename=a.xml" in redact(line)
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s',
                               (f"GET /?sessid={token} HTTP/1.1", "200", "7"), None)
    assert RedactSecrets().filter(record) and token not in record.getMessage()
    assert token not in redact(f"Cookie: raccordo_1c={token}")
    assert "tok-123" not in redact("GET /password/reset/MQ/tok-123/ HTTP/1.1")
