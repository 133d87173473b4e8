"""Setting up and running the exchange in a real browser, as an administrator (issue #7, "Done when"):

1. a 1C node made with the wizard; a test 1C client authenticates over HTTP (first with a wrong password, then
   with the one shown) and the wizard's status panel turns red, then green, by itself (htmx polling);
2. a mapping whose matching key is not unique in the data is refused with the reason on the form, nothing saved;
3. a dry run of a tabular import lists what it would create, with the values, and writes nothing;
4. the same import for real, in the background worker: the run page shows the progress bar and counters moving
   while the worker is half-way, then reloads itself with the report (records linked, report export);
5. a task made with the task form on a folder node starts at its time (02:00, injected into the dispatcher) in
   the worker, succeeds and appears on the runs list.

The background worker is a real Huey consumer (one worker thread) on an in-memory queue of the test's own, so
runs are queued, picked up and done while the browser polls, as with `raccordo serve`. On PostgreSQL the worker,
the live server and the test use the database at the same time; on the in-memory SQLite test database they take
turns (see Turns). To see the progress bar half-way without depending on timing, the worker is held after the
first batch of rows (500) until the page has shown it (a gate in the run's progress callback).

Screenshots: 40-node-wizard-connected, 41-mapping-not-unique, 42-dry-run, 43-run-progress, 44-run-report,
45-task-form, 46-scheduled-run-list.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import re
import signal
import threading
import time
import urllib.parse
import urllib.request

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.catalog.models import Product
from raccordo.exchange import run_execution, scheduling
from raccordo.exchange.models import ExchangeNode, ExchangeTask, Mapping, Run
from raccordo.exchange.services import node_create
from tests.e2e.conftest import login
from tests.factories import ProductFactory, UserFactory, reference_data
from tests.onec.cml import import_xml, offers_xml

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = 600            # more than one batch of the tabular import (500 rows), so the progress is seen half-way
DUPLICATE_LINE = 8    # the CSV line (header = line 1) whose article an existing product has
POLL_TIMEOUT = 30_000


# --- the background worker --------------------------------------------------------------------------------------


class Turns:
    """Who uses the database now, on the in-memory SQLite test database: the live server's requests, the worker's
    jobs and the test's own queries take turns, since its connections lock whole tables and fail at once
    ("database table is locked") instead of waiting. On PostgreSQL nothing waits: all of it runs at once."""

    def __init__(self, enabled: bool):
        self.lock = threading.Lock() if enabled else None

    def __enter__(self):
        if self.lock is not None:
            self.lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        if self.lock is not None:
            self.lock.release()


@pytest.fixture
def huey_worker(live_server):
    """A Huey consumer with one worker thread, on an in-memory queue of this test (not the checkout's var/)."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    turns = Turns(enabled=connections["default"].vendor == "sqlite")
    saved_storage, saved_immediate = HUEY.storage, HUEY.immediate
    HUEY.immediate = False
    HUEY.storage = MemoryStorage("raccordo-e2e")

    def e2e_turn_take(task):
        turns.__enter__()

    def e2e_turn_give(task, value, exc):
        turns.__exit__()

    def e2e_close_db():
        connections.close_all()   # the worker thread's own connection (a no-op for in-memory SQLite)

    HUEY.pre_execute("e2e_turn_take")(e2e_turn_take)
    HUEY.post_execute("e2e_turn_give")(e2e_turn_give)
    HUEY.on_shutdown("e2e_close_db")(e2e_close_db)
    httpd = live_server.thread.httpd
    app = httpd.get_app()

    def app_in_turn(environ, start_response):
        with turns:   # the whole response, streamed ones (report exports) included
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()

    httpd.set_app(app_in_turn)
    consumer = HUEY.create_consumer(workers=1, worker_type="thread", periodic=False, initial_delay=0.05,
                                    backoff=1.2, max_delay=0.25, check_worker_health=False)
    # Consumer.start() installs its signal handlers for a process of its own; pytest keeps its own.
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer.start()
    for signum, handler in handlers.items():
        signal.signal(signum, handler)
    consumer.turns = turns
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        httpd.set_app(app)
        HUEY.unregister_pre_execute("e2e_turn_take")
        HUEY.unregister_post_execute("e2e_turn_give")
        HUEY.unregister_on_shutdown("e2e_close_db")
        HUEY.storage = saved_storage
        HUEY.immediate = saved_immediate


class Gate:
    """Holds the worker in a run's progress callback (after a batch is committed) until the test lets it go;
    while it waits, the pages have their turn at the database."""

    def __init__(self, turns: Turns):
        self.turns = turns
        self.armed = False
        self.reached = threading.Event()
        self.go = threading.Event()

    def __call__(self, run) -> None:
        if self.armed and not self.reached.is_set():
            self.turns.__exit__()
            try:
                self.reached.set()
                self.go.wait(timeout=120)
            finally:
                self.turns.__enter__()


@pytest.fixture
def gate(huey_worker, monkeypatch):
    """Runs done by the worker report their progress to a Gate (released at the end whatever happens)."""
    held = Gate(huey_worker.turns)
    real_execute = run_execution.run_execute

    def run_execute(run_id, progress=None):
        return real_execute(run_id, progress=held)

    monkeypatch.setattr(run_execution, "run_execute", run_execute)
    yield held
    held.go.set()


# --- people and data --------------------------------------------------------------------------------------------


@pytest.fixture
def admin(transactional_db, settings, tmp_path):
    # Uploads and the files runs keep go to the test's own directory, not the checkout's var/.
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    reference_data()
    return UserFactory(username="root", first_name="Root", last_name="Admin", role="admin", is_staff=True)


@pytest.fixture
def admin_page(page, admin):
    login(page, "root", "pass-12345")
    return page


def _checkauth(url: str, login_: str, password: str) -> list[str]:
    """What 1C sends when "Test connection" is pressed: GET ?type=catalog&mode=checkauth with HTTP Basic auth."""
    token = base64.b64encode(f"{login_}:{password}".encode()).decode()
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode({'type': 'catalog', 'mode': 'checkauth'})}",
                                     headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return response.read().decode("utf-8").split("\n")


def _products_csv(path, existing_article: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Article", "Name", "Barcode", "VAT rate"])
        for i in range(1, ROWS + 1):
            line = i + 1
            article = existing_article if line == DUPLICATE_LINE else f"E2E-{i:04d}"
            writer.writerow([article, f"Ball valve DN{i:04d}", f"46{i:011d}", "20"])


def _upload(page, path, *, dry_run: bool) -> None:
    page.goto(f"{page.base_url}/exchange/import/?kind=products")
    page.select_option("#id_kind", "products")
    page.set_input_files("#id_file", str(path))
    page.click("form.rc-form button[type=submit]")
    page.wait_for_selector("[data-testid=preview]")
    if dry_run:
        page.check("#id_dry_run")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_url(re.compile(r"/exchange/runs/[0-9a-f-]{36}/$"))


# --- 1. the wizard ----------------------------------------------------------------------------------------------


def test_wizard_makes_a_1c_node_and_turns_green_when_1c_authenticates(admin_page, shot):
    page = admin_page
    page.goto(f"{page.base_url}/exchange/nodes/")
    page.click("[data-testid=node-new]")
    page.click("[data-testid=node-kind-onec-http]")
    page.wait_for_load_state()   # its script (the code suggested from the name) listens from now on
    page.fill("[data-testid=node-name]", "УТ 11 Москва")
    code = page.locator("[data-testid=node-code]")
    expect(code).to_have_value(re.compile(r"^[a-z0-9][a-z0-9-]+$"))   # suggested from the name as it is typed
    suggested = code.input_value()
    page.click("[data-testid=node-create]")
    page.wait_for_url(re.compile(r"/exchange/nodes/[0-9a-f-]{36}/connect/$"))

    node = ExchangeNode.objects.get()
    assert (node.code, node.name, node.kind) == (suggested, "УТ 11 Москва", "onec-http")
    url = page.input_value("[data-testid=onec-url]")
    login_ = page.input_value("[data-testid=onec-login]")
    password = page.input_value("[data-testid=onec-password]")
    assert url == f"{page.base_url}/exchange/1c/" and login_ == node.login and len(password) >= 16
    assert node.password_hash and password not in node.password_hash   # only a fingerprint is kept
    status = page.locator("[data-testid=checkauth-status]")
    expect(status).to_have_attribute("data-state", "waiting")

    # A mistyped password: 1C is refused, and the panel says why by itself.
    assert _checkauth(url, login_, password + "x")[0] == "failure"
    expect(status).to_have_attribute("data-state", "failed", timeout=POLL_TIMEOUT)
    expect(page.locator("[data-testid=checkauth-failed]")).to_contain_text(login_)

    # The password as shown: 1C is let in (a session cookie), and the panel turns green by itself.
    answer = _checkauth(url, login_, password)
    assert answer[0] == "success" and answer[2], answer
    expect(status).to_have_attribute("data-state", "connected", timeout=POLL_TIMEOUT)
    expect(status).to_have_class(re.compile(r"\balert-success\b"))
    expect(status).to_contain_text("1C is connected")
    assert status.get_attribute("hx-get") is None   # connected: the panel stops polling
    shot(page, "40-node-wizard-connected")

    # The node list shows the node with 1C's last request.
    page.goto(f"{page.base_url}/exchange/nodes/")
    row = page.locator("table tbody tr", has_text=suggested)
    expect(row).to_contain_text(login_)
    expect(row).to_contain_text("checkauth")


# --- 2. a mapping refused on the form ---------------------------------------------------------------------------


def test_a_mapping_with_a_non_unique_matching_key_is_refused_on_the_form(admin_page, shot):
    page = admin_page
    node = node_create(user=None, code="ut11", name="Trade 11", kind="onec-http")
    ProductFactory(name="Pump PC-40", barcode="4600000000017")
    ProductFactory(name="Pump PC-40 (old card)", barcode="4600000000017")
    ProductFactory(name="Valve VS-50", barcode="4600000000024")

    page.goto(f"{page.base_url}/exchange/nodes/{node.pk}/")
    form = page.locator("form[action*='/mappings/catalog.product/']")
    form.locator("select[name=match_keys]").select_option(["barcode"])
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    form = page.locator("form[action*='/mappings/catalog.product/']")
    expect(form.locator(".alert-danger")).to_contain_text("not saved")
    reason = form.locator(".invalid-feedback", has_text="not unique")
    expect(reason).to_contain_text("barcode is not unique: 2 products have 4600000000017")
    expect(form.locator("select[name=match_keys]")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(form.locator("select[name=match_keys]")).to_have_values(["barcode"])   # what was chosen stays
    assert not Mapping.objects.filter(node=node).exists()
    form.evaluate("el => window.scrollBy(0, el.getBoundingClientRect().top - 70)")   # its heading under the bar
    shot(page, "41-mapping-not-unique")

    # The article is unique here: the same form saves with it.
    form.locator("select[name=match_keys]").select_option(["article"])
    form.locator("button[type=submit]").click()
    expect(page.get_by_text("The mapping is saved.")).to_be_visible()
    assert Mapping.objects.get(node=node, object_type="catalog.product").match_keys == ["article"]


# --- 3 and 4. a dry run, then the real run with live progress and a report -------------------------------------


def test_dry_run_shows_the_plan_then_the_real_run_shows_progress_and_a_report(admin_page, gate, shot, tmp_path):
    page = admin_page
    existing = ProductFactory(name="Ball valve (from 1C)", article="E2E-EXIST", barcode="")
    source = tmp_path / "products.csv"
    _products_csv(source, existing.article)

    # --- the dry run: what would be created, with its values; nothing is written.
    _upload(page, source, dry_run=True)
    expect(page.locator("h1")).to_contain_text("Dry run")
    expect(page.locator("[data-testid=created]")).to_have_text(str(ROWS - 1), timeout=POLL_TIMEOUT)
    expect(page.locator("[data-testid=skipped]")).to_have_text("1")
    expect(page.locator("[data-testid=failed]")).to_have_text("0")
    expect(page.locator("[data-testid=tab-created]")).to_have_class(re.compile(r"\bactive\b"))
    records = page.locator("[data-testid=records]")
    first = records.locator("tbody tr").first
    expect(first).to_contain_text("Ball valve DN0001")
    expect(first).to_contain_text("E2E-0001")   # the planned values, in the changes column
    assert records.locator("tbody a").count() == 0   # nothing created: nothing to open
    with gate.turns:
        assert Product.objects.count() == 1
        dry = Run.objects.get(kind="dry-run")
        assert (dry.status, dry.created, dry.skipped) == ("succeeded", ROWS - 1, 1)
    shot(page, "42-dry-run")
    page.click("[data-testid=tab-skipped]")
    expect(records.locator("tbody tr").first).to_contain_text("same article")
    expect(records.locator("tbody tr").first).to_contain_text(str(DUPLICATE_LINE))

    # --- the real run: the worker is held after the first 500 rows; the page shows it by itself.
    gate.armed = True
    _upload(page, source, dry_run=False)
    expect(page.locator("h1")).to_contain_text("Exchange run")
    assert gate.reached.wait(timeout=60), "the worker did not reach the end of the first batch"
    progress_text = page.locator("[data-testid=progress-text]")
    expect(progress_text).to_contain_text(f"500 of {ROWS} rows", timeout=POLL_TIMEOUT)
    expect(page.locator("[data-testid=progress]")).to_have_attribute("aria-valuenow", str(500 * 100 // ROWS))
    expect(page.locator("[data-testid=created]")).to_have_text("499")   # 500 rows, one of them the duplicate
    expect(page.locator("#run-progress")).to_have_attribute("hx-trigger", "every 1s")   # still polling
    expect(page.locator("#run-progress .progress-bar-animated")).to_have_count(1)
    shot(page, "43-run-progress")
    gate.go.set()

    # Finished: the page reloads itself with the report.
    expect(page.locator("[data-testid=created]")).to_have_text(str(ROWS - 1), timeout=POLL_TIMEOUT)
    expect(page.locator("#run-progress")).not_to_have_attribute("hx-get", re.compile(".+"))
    expect(progress_text).to_contain_text(f"{ROWS} of {ROWS} rows")
    expect(page.locator(".rc-page-head .badge")).to_have_text("Succeeded")
    expect(page.locator("[data-testid=skipped]")).to_have_text("1")
    with gate.turns:
        run = Run.objects.get(kind="tabular")
        assert (run.status, run.created, run.skipped, run.failed) == ("succeeded", ROWS - 1, 1, 0)
        assert Product.objects.count() == ROWS   # the existing one and the 599 new ones
    records = page.locator("[data-testid=records]")
    link = records.locator("tbody a", has_text="Ball valve DN0001")
    expect(link).to_have_attribute("href", re.compile(r"/products/[0-9a-f-]{36}/$"))
    shot(page, "44-run-report")

    report = page.request.get(page.base_url + page.locator("[data-testid=report-csv]").get_attribute("href"))
    assert report.ok and "csv" in report.headers["content-type"]
    text = report.text()
    assert "Ball valve DN0600" in text and "same article" in text and "/products/" in text
    xlsx = page.request.get(page.base_url + page.locator("[data-testid=report-xlsx]").get_attribute("href"))
    assert xlsx.ok and xlsx.body()[:2] == b"PK"

    link.click()
    expect(page.locator("h1")).to_contain_text("Ball valve DN0001")


# --- 5. a scheduled task run by the worker at its time -----------------------------------------------------------


def test_a_scheduled_task_runs_at_its_time_in_the_worker(admin_page, huey_worker, shot, tmp_path):
    page = admin_page
    folder = tmp_path / "from-1c"
    folder.mkdir()
    (folder / "import0_1.xml").write_bytes(import_xml(range(5)))
    (folder / "offers0_1.xml").write_bytes(offers_xml(range(5)))

    # A folder node, with the wizard: its folder is checked when it is created.
    page.goto(f"{page.base_url}/exchange/nodes/")
    page.click("[data-testid=node-new]")
    page.click("[data-testid=node-kind-folder]")
    page.wait_for_load_state()
    page.fill("[data-testid=node-name]", "Night drop")
    page.fill("[data-testid=node-code]", "night-drop")
    page.fill("[data-testid=node-path]", str(folder))
    page.click("[data-testid=node-create]")
    page.wait_for_url(re.compile(r"/exchange/nodes/[0-9a-f-]{36}/$"))
    expect(page.get_by_text("can read and write its folder")).to_be_visible()
    node = ExchangeNode.objects.get(code="night-drop")

    # The task, with the task form: nightly at 02:00, importing the folder.
    page.click("[data-testid=task-new]")
    page.wait_for_selector("[data-testid=task-form]")
    page.wait_for_load_state()   # htmx, which asks for the schedule's next starts as it is typed
    page.fill("[data-testid=task-name]", "nightly-catalog")
    page.fill("[data-testid=task-cron]", "0 2 * * *")
    expect(page.locator("#cron-preview")).to_contain_text("02:00", timeout=POLL_TIMEOUT)   # next starts, as typed
    page.select_option("[data-testid=step-kind-0]", "import-folder")
    shot(page, "45-task-form")
    page.click("[data-testid=task-save]")
    page.wait_for_url(re.compile(rf"/exchange/nodes/{node.pk}/(#tasks)?$"))
    row = page.locator("[data-testid=task-row-nightly-catalog]")
    expect(row).to_contain_text("0 2 * * *")
    task = ExchangeTask.objects.get(node=node, name="nightly-catalog")
    assert (task.cron, task.is_active, [s["kind"] for s in task.steps]) == ("0 2 * * *", True, ["import-folder"])

    # The dispatcher (the worker's periodic task, every minute) with the time injected: not yet at 01:59...
    tz = timezone.get_default_timezone()
    night = timezone.localdate() + dt.timedelta(days=1)

    def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(night, dt.time(hour, minute, second)), tz)

    with huey_worker.turns:
        assert scheduling.dispatch_due(now=at(1, 59)) == []
        assert not Run.objects.exists()
        # ... at 02:00 it hands the task to the worker, which runs it.
        assert scheduling.dispatch_due(now=at(2, 0, 7)) == [task]

    page.goto(f"{page.base_url}/exchange/runs/?node=night-drop")
    deadline = time.monotonic() + 60
    rows = page.locator("table tbody tr")
    while rows.count() == 0 or "Succeeded" not in rows.first.inner_text():
        assert time.monotonic() < deadline, "the scheduled run did not finish in the worker"
        assert "Failed" not in (rows.first.inner_text() if rows.count() else ""), rows.first.inner_text()
        page.wait_for_timeout(500)
        page.reload()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Night drop")
    expect(rows.first).to_contain_text("import0_1.xml")
    shot(page, "46-scheduled-run-list")

    with huey_worker.turns:
        run = Run.objects.get()
        assert (run.task_id, run.node_id, run.status, run.kind) == (task.pk, node.pk, "succeeded", "import")
        assert Product.objects.filter(article__startswith="A0000").count() == 5
        task.refresh_from_db()
        assert timezone.localtime(task.last_scheduled_at, tz).time() == dt.time(2, 0)
        # The same minute again starts nothing: the minute was claimed once.
        assert scheduling.dispatch_due(now=at(2, 0, 40)) == []
    expect(rows.first.locator("td.num").first).to_have_text(str(run.created))   # the run's counters, listed

    # The node page's task row links its last run.
    page.goto(f"{page.base_url}/exchange/nodes/{node.pk}/#tasks")
    expect(page.locator("[data-testid=task-row-nightly-catalog]")).to_contain_text("Succeeded")
