"""Issue #20 in a real browser: the administrator opens Settings → System and sees the workers, the queue, the
last backups and each exchange node's last run, in English and in Russian.

Screenshots: tests/e2e/screenshots/170-system.png, 171-system-ru.png.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.exchange.models import Run, RunStatus
from raccordo.exchange.services import node_create
from raccordo.operations import services
from raccordo.operations.models import BackupStatus, WorkerHeartbeat
from tests.e2e.conftest import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _installation() -> None:
    now = timezone.now()
    for host, pid, hours in (("app1.internal", 4121, 5), ("app2.internal", 3077, 5), ("app2.internal", 2210, 30)):
        services.worker_heartbeat_beat(host=host, pid=pid, started_at=now - dt.timedelta(hours=hours),
                                       tasks_done=1200 + pid // 10)
    WorkerHeartbeat.objects.filter(pid=2210).update(seen_at=now - dt.timedelta(hours=25))
    for days, status, message in ((2, BackupStatus.SUCCEEDED, ""), (1, BackupStatus.FAILED, "pg_dump failed: disk full"),
                                  (0, BackupStatus.SUCCEEDED, "1 older backup(s) removed")):
        started = (now - dt.timedelta(days=days)).replace(hour=2, minute=0, second=0)
        services.backup_record(user=None, started_at=started, status=status, nightly=True, database="postgresql",
                               path=f"/srv/backups/raccordo/raccordo-{started:%Y%m%d-%H%M%S}-000000",
                               size=(180 + days) * 1024 * 1024 if status == BackupStatus.SUCCEEDED else 0,
                               host="app1.internal", message=message)
    main = node_create(user=None, code="ut11", name="УТ 11 (Москва)", kind="onec-http", login="site",
                       password="s3cret-pass")
    branch = node_create(user=None, code="unf-spb", name="УНФ (Санкт-Петербург)", kind="onec-http", login="spb",
                         password="s3cret-pass")
    node_create(user=None, code="price-drop", name="Price lists folder", kind="folder", path="/srv/drop")
    Run.objects.create(node=main, status=RunStatus.SUCCEEDED, created=14, updated=327, unchanged=9120,
                       finished_at=now)
    Run.objects.create(node=branch, status=RunStatus.PARTIAL, created=0, updated=41, failed=2, finished_at=now)


def test_the_administrator_sees_workers_queue_backups_and_exchanges(page, shot):
    _installation()
    UserFactory(username="root", first_name="Root", last_name="Admin", role="admin", is_staff=True)
    login(page, "root", "pass-12345")
    page.locator("nav.rc-sidebar").get_by_role("link", name="Settings").click()
    page.get_by_test_id("settings-system").click()
    expect(page.locator("h1")).to_have_text("System")
    workers = page.get_by_test_id("system-workers")
    expect(workers).to_contain_text("app1.internal")
    expect(workers.locator("tbody tr")).to_have_count(3)
    expect(workers.get_by_text("alive")).to_have_count(2)
    expect(workers.get_by_text("gone")).to_have_count(1)
    expect(page.get_by_test_id("system-backups").locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("system-backups")).to_contain_text("Failed")
    nodes = page.get_by_test_id("system-nodes")
    expect(nodes).to_contain_text("ut11")
    expect(nodes).to_contain_text("Finished with errors")
    expect(nodes).to_contain_text("never exchanged")
    expect(page.get_by_test_id("system-checks")).to_contain_text("Database: ok")
    shot(page, "170-system", full_page=True)

    get_user_model().objects.filter(username="root").update(language="ru")   # her profile's language
    page.goto(page.base_url + "/settings/system/")
    expect(page.locator("h1")).to_have_text("Система")
    expect(page.get_by_test_id("system-workers")).to_contain_text("работает")
    shot(page, "171-system-ru", full_page=True)
