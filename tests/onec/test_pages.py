"""Node pages (administrators only), the session page, and the cleanup of old session directories."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from raccordo.exchange.onec.models import OneCFile, OneCRequest, OneCSession
from tests.onec.cml import import_xml

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session(client, node, var_dir, huey_immediate):
    """One short exchange made through the endpoint with Django's test client."""
    auth = {"HTTP_AUTHORIZATION": "Basic c2l0ZTpzM2NyZXQtcGFzcw=="}   # site:s3cret-pass
    reply = client.get("/exchange/1c/", {"type": "catalog", "mode": "checkauth"}, **auth)
    token = reply.content.decode().split("\n")[2]
    client.cookies["raccordo_1c"] = token
    client.get("/exchange/1c/", {"type": "catalog", "mode": "init"})
    client.generic("POST", "/exchange/1c/?type=catalog&mode=file&filename=import.xml", import_xml(range(3)),
                   content_type="application/octet-stream")
    assert client.get("/exchange/1c/", {"type": "catalog", "mode": "import",
                                        "filename": "import.xml"}).content.startswith(b"success")
    client.cookies.pop("raccordo_1c")
    return OneCSession.objects.get()


def test_admin_sees_nodes_requests_sessions_and_runs(client, admin_user, session, node):
    client.force_login(admin_user)
    listing = client.get(reverse("onec:node_list")).content.decode()
    assert "ut11" in listing and reverse("onec:node_detail", args=[node.pk]) in listing
    page = client.get(reverse("onec:node_detail", args=[node.pk])).content.decode()
    assert "checkauth" in page and "import.xml" in page
    assert reverse("onec:session_detail", args=[session.pk]) in page
    detail = client.get(reverse("onec:session_detail", args=[session.pk])).content.decode()
    run = OneCFile.objects.get(name="import.xml").run
    assert reverse("exchange:run_detail", args=[run.pk]) in detail and "import.xml" in detail


def test_others_do_not_see_the_nodes(client, manager, session, node):
    client.force_login(manager)
    assert client.get(reverse("onec:node_list")).status_code == 404
    assert client.get(reverse("onec:node_detail", args=[node.pk])).status_code == 404
    assert client.get(reverse("onec:session_detail", args=[session.pk])).status_code == 404


def test_old_session_directories_are_removed(session, node):
    assert session.directory.is_dir()
    call_command("onec_cleanup")
    assert session.directory.is_dir()                    # young: kept
    OneCSession.objects.update(last_seen_at=timezone.now() - dt.timedelta(days=8))
    OneCRequest.objects.update(at=timezone.now() - dt.timedelta(days=100))
    call_command("onec_cleanup")
    assert not session.directory.exists()
    assert OneCSession.objects.get().files_removed and OneCRequest.objects.count() == 0


def test_the_endpoint_needs_no_csrf_token_and_answers_get_and_post(client, node, var_dir):
    csrf_client = type(client)(enforce_csrf_checks=True)
    reply = csrf_client.post("/exchange/1c/?type=catalog&mode=checkauth",
                             HTTP_AUTHORIZATION="Basic c2l0ZTpzM2NyZXQtcGFzcw==")
    assert reply.status_code == 200 and reply.content.startswith(b"success\nraccordo_1c\n")
