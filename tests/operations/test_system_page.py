"""The administrator's system page: workers, queue, last backup, last exchange per node (issue #20)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from raccordo.exchange.models import Run, RunStatus
from raccordo.exchange.services import node_create
from raccordo.operations import services
from raccordo.operations.models import BackupStatus


@pytest.fixture
def installation(db):
    now = timezone.now()
    services.worker_heartbeat_beat(host="app-1", pid=101, started_at=now - dt.timedelta(hours=1))
    gone = services.worker_heartbeat_beat(host="app-2", pid=202, started_at=now - dt.timedelta(hours=2))
    type(gone).objects.filter(pk=gone.pk).update(seen_at=now - dt.timedelta(hours=1))
    services.backup_record(user=None, started_at=now - dt.timedelta(minutes=3), status=BackupStatus.SUCCEEDED,
                           path="/srv/backups/raccordo-20261207-020000", size=5 * 1024 * 1024, database="sqlite",
                           host="app-1", nightly=True)
    main = node_create(user=None, code="ut11", name="УТ 11", kind="onec-http", login="site", password="s3cret-pass")
    node_create(user=None, code="branch", name="Branch", kind="folder", path="/tmp")
    Run.objects.create(node=main, status=RunStatus.FAILED, message="old")
    Run.objects.create(node=main, status=RunStatus.SUCCEEDED, created=12, updated=3)


def test_an_administrator_sees_workers_queue_backups_and_nodes(client, admin_user, installation):
    client.force_login(admin_user)
    response = client.get("/settings/system/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "app-1" in html and "app-2" in html and html.count(">alive<") == 1 and ">gone<" in html
    assert "raccordo-20261207-020000" in html and "5.0" in html and "nightly" in html
    state = response.context["state"]
    [(ut11, last)] = [(n, r) for n, r in state.nodes if n.code == "ut11"]
    assert last.status == RunStatus.SUCCEEDED and last.created == 12
    assert [r for n, r in state.nodes if n.code == "branch"] == [None] and "never exchanged" in html
    assert state.queue_depth is not None


def test_the_settings_page_links_it(client, admin_user, db):
    client.force_login(admin_user)
    assert b'href="/settings/system/"' in client.get("/settings/").content


def test_nobody_else_finds_it(client, manager, installation):
    client.force_login(manager)
    assert client.get("/settings/system/").status_code == 404
    client.logout()
    assert client.get("/settings/system/").status_code == 302
