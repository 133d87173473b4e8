"""1C's exchange against `raccordo serve` as a deployment runs it: gunicorn and the Huey consumer in their own
processes, on a database of their own (a fresh SQLite file, or a fresh PostgreSQL database when DATABASE_URL is
set), over real HTTP (issue #13).

The other HTTP tests run the live server with Huey immediate (the import runs inside the request, the answer
is never `progress`) or a worker thread of the test process. Here the web process only queues the import and
answers `progress` while the worker process runs it; the tables it leaves are compared with what one call of
the command line gives for the same files (tests/onec/test_catalog_lifecycle.py), read from the server's
database by a process of their own. The worker's queue is kept private (Huey on SQLite in the server's
directory, even when REDIS_URL is set), so no other consumer can take its tasks.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.core.test_commands import free_port
from tests.onec import lifecycle
from tests.onec.conftest import PASSWORD, OneC
from tests.onec.test_catalog_lifecycle import active, cli_one_call, state, write
from tests.operations.installation import postgres_database, postgres_server

ROOT = Path(__file__).resolve().parents[2]
CATALOG_LOGIN, SALE_LOGIN, ADMIN = "site", "shop", "adm"
# The node's seconds per import request: a request waits this long for the worker, then answers `progress`.
TIME_BUDGET = 0.05

SETUP = f"""
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from raccordo.access.models import Role, User
from raccordo.exchange.onec.models import OneCSettings
from raccordo.exchange.services import node_create
User.objects.create_user(username={ADMIN!r}, password={PASSWORD!r}, is_staff=True, is_superuser=True,
                         role=Role.ADMIN)
# The catalog and the orders through two nodes, so the orders' bindings stay out of the catalog's tables.
for code, login in (("ut11", {CATALOG_LOGIN!r}), ("ut11-sale", {SALE_LOGIN!r})):
    node = node_create(user=None, code=code, name="УТ 11", kind="onec-http", login=login, password={PASSWORD!r})
    OneCSettings.objects.update_or_create(node=node, defaults={{"time_budget": {TIME_BUDGET}}})
RESULT = True
"""

# What the server's database holds after a catalog exchange, read the way the lifecycle tests read theirs.
CATALOG = """
from raccordo.core.models import ChangeJournal
from raccordo.exchange.models import ExchangeNode
from raccordo.exchange.onec.models import OneCSession
from tests.onec.test_catalog_lifecycle import active, state
node = ExchangeNode.objects.get(code="ut11")
session = OneCSession.objects.filter(node=node, type="catalog").order_by("-created_at").first()
RESULT = {
    "state": state(node), "active": active(node), "journal": ChangeJournal.objects.count(),
    "session": session and [session.status, session.finish_run.status if session.finish_run else None,
                            sorted((f.name, f.status, f.run.status if f.run else None) for f in session.files.all())],
}
"""

# Orders in the CRM before 1C asks: one of the node's manager, paid in the CRM; one of another manager.
ORDERS = """
import datetime as dt
from decimal import Decimal
from raccordo.exchange.mappings import mapping_for, mapping_save
from raccordo.exchange.models import ExchangeNode
from raccordo.sales.services import LineInput, invoice_create, invoice_issue, payment_record
from tests.factories import CounterpartyFactory, UserFactory, reference_data

ref = reference_data()
invoices = {}
for name in ("sales", "other"):
    manager = UserFactory(username=name)
    customer = CounterpartyFactory(responsible=manager, name=f"Client of {name}", kpp="773601001")
    invoices[name] = invoice_issue(user=manager, invoice=invoice_create(
        user=manager, data={"own_company": ref["own_company"], "counterparty": customer},
        lines=[LineInput(description="Pump", quantity=Decimal("2"), price=Decimal("100"))]))
paid = invoices["sales"]
payment_record(user=None, data={"counterparty": paid.counterparty, "date": dt.date(2026, 11, 1),
                                "amount": paid.total, "currency": paid.currency, "number": "CRM-1"},
               allocations=[(paid, paid.total)])
node = ExchangeNode.objects.get(code="ut11-sale")
data = mapping_for(node, "parties.counterparty")
data.filters = {"managers": [str(invoices["sales"].counterparty.responsible_id)]}
mapping_save(user=None, node=node, data=data)
RESULT = {name: [str(invoice.pk), invoice.number] for name, invoice in invoices.items()}
"""

# The paid order after 1C's answer, and the run that applied it.
ORDER_STATE = """
from raccordo.exchange.onec.models import OneCFile
from raccordo.sales.models import Invoice
invoice = Invoice.objects.get(pk={pk!r})
record = OneCFile.objects.filter(session__node__code="ut11-sale", name="documents___1.xml").get()
RESULT = {{
    "invoice": [invoice.status, invoice.accounting_number, invoice.is_posted],
    "run": str(record.run_id), "file": record.status,
    "conflicts": [[i.outcome, str(i.object_id), i.changes, i.resolution] for i in record.run.items.all()],
}}
"""


@dataclass
class Served:
    """A running `raccordo serve` (web server and worker) and how to reach its database."""

    url: str
    env: dict[str, str]
    log: Path

    def django(self, code: str):
        """Run Django code in a process of its own on the server's database; what it sets as RESULT, as JSON."""
        script = ("import json, django\ndjango.setup()\n" + code +
                  "\nprint('RESULT=' + json.dumps(RESULT, default=str, ensure_ascii=False))\n")
        done = subprocess.run([sys.executable, "-c", script], env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        line = next(ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("RESULT="))
        return json.loads(line.removeprefix("RESULT="))

    def worker_tasks(self) -> list[str]:
        """The 1C tasks the worker process (the Huey consumer `serve` started) executed, in order, from its log."""
        text = self.log.read_text(errors="replace")
        pid = re.search(r"worker pid (\d+)", text).group(1)
        assert re.search(rf"Huey consumer started with \d+ thread, PID {pid}\b", text), text[-3000:]
        return re.findall(r"Executing raccordo\.exchange\.onec\.tasks\.(import_file|finish_session):", text)

    def command(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "raccordo.cli", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    var = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items()
           if k not in {"RACCORDO_TEST_DB_NAME", "REDIS_URL", "HUEY_IMMEDIATE", "DEBUG"}}
    env.update(RACCORDO_VAR=str(var), DJANGO_SETTINGS_MODULE="raccordo.settings", PYTHONUNBUFFERED="1")
    dropper = None
    if postgres_server():
        env["DATABASE_URL"], dropper = postgres_database("raccordo_served", migrated=True)
    log = var / "serve.log"
    proc = None
    try:
        server = Served(url="", env=env, log=log)
        server.django(SETUP)   # migrate, then the users and nodes
        port = free_port()
        server.url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            # Its own process group, so no signal meant for pytest reaches it; `serve` starts its children in
            # groups of their own and stops them itself (and, killed outright, they get SIGTERM: PR_SET_PDEATHSIG).
            proc = subprocess.Popen([sys.executable, "-m", "raccordo.cli", "serve", "--port", str(port),
                                     "--no-collectstatic"], env=env,
                                    cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, process_group=0)
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(server.url + "/login/", timeout=5):
                    break
            except OSError:
                assert proc.poll() is None, f"serve exited:\n{log.read_text(errors='replace')[-3000:]}"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)   # polling for readiness
        assert re.search(r"worker pid \d+", log.read_text(errors="replace")), "serve started no worker"
        yield server
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)   # serve stops gunicorn and the consumer, then exits
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)   # serve's own group; its children follow by PDEATHSIG
                proc.wait()
        if dropper:
            dropper()


def catalog_exchange(base: str, files: dict[str, bytes]) -> list[tuple[str, str]]:
    """1C's catalog exchange: upload file by file, import each until it is not `progress`, then `complete`."""
    onec = OneC(base, login=CATALOG_LOGIN)
    assert onec.checkauth().first == "success"
    onec.init()
    for name, data in files.items():
        onec.send(name, data)
    for name in files:
        assert onec.import_(name)[-1].first == "success", onec.log
    for _ in range(10_000):
        reply = onec.call("catalog", "complete")
        if reply.first != "progress":
            break
    assert reply.first == "success", reply.text
    return onec.log


@pytest.mark.django_db(transaction=True)
def test_a_full_export_is_imported_by_the_worker_as_the_command_line_imports_it(served, node, tmp_path):
    # The reference: the lifecycle tests' state for the same files, each exchange in one call of the command line.
    ctx = {"node": node, "tmp": tmp_path}
    cli_one_call(ctx, lifecycle.before())
    cli_one_call(ctx, lifecycle.after())
    assert active(node) == lifecycle.EXPECTED_ACTIVE
    reference = json.loads(json.dumps(state(node)))

    # The server's database: the exchange before, by the command line; then 1C's full export with goods
    # marked deleted (both ways), variants of deleted goods and goods dropped, over HTTP.
    before = tmp_path / "before"
    before.mkdir()
    served.command("exchange", "import", *map(str, write(before, lifecycle.before())), "--node", "ut11")
    log = catalog_exchange(served.url, lifecycle.after())
    # The web process only queued each import: it answered `progress` while the worker process ran it.
    assert ("import", "progress") in log, log
    assert served.worker_tasks() == ["import_file", "import_file", "finish_session"]
    assert all(first in ("success", "progress") for mode, first in log if mode in ("import", "complete")), log
    first = served.django(CATALOG)
    assert first["session"] == ["complete", "succeeded", [["import.xml", "imported", "succeeded"],
                                                          ["offers.xml", "imported", "succeeded"]]]
    assert first["active"] == lifecycle.EXPECTED_ACTIVE
    assert first["state"] == reference

    # The same exchange again writes nothing.
    catalog_exchange(served.url, lifecycle.after())
    second = served.django(CATALOG)
    assert second["session"][:2] == ["complete", "succeeded"]
    assert second["state"] == reference
    assert second["journal"] == first["journal"]
    assert served.worker_tasks() == ["import_file", "import_file", "finish_session"] * 2


CANCELLED = (
    "<ЗначенияРеквизитов>"
    "<ЗначениеРеквизита><Наименование>Номер по 1С</Наименование><Значение>УТ-000124</Значение></ЗначениеРеквизита>"
    "<ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение></ЗначениеРеквизита>"
    "<ЗначениеРеквизита><Наименование>Статус заказа</Наименование>"
)


def signed_in(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    """A browser's session: the sign-in form posted with its CSRF token, cookies kept."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(base + "/login/", timeout=30) as page:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)
    body = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrfmiddlewaretoken": token}).encode()
    with browser.open(urllib.request.Request(base + "/login/", data=body, headers={"Referer": base + "/login/"}),
                      timeout=30) as page:
        assert "/login/" not in page.url, "the sign-in failed"
    assert any(cookie.name == "sessionid" for cookie in jar)
    return browser


def test_orders_go_to_1c_and_its_answer_is_applied_requisite_by_requisite(served):
    orders = served.django(ORDERS)
    (paid_pk, paid_number), (other_pk, _) = orders["sales"], orders["other"]
    onec = OneC(served.url, login=SALE_LOGIN)
    assert onec.checkauth("sale").first == "success"
    onec.init("sale")
    sent = onec.call("sale", "query")
    assert sent.status == 200 and sent.content_type == "application/xml; charset=windows-1251", sent.body[:200]
    text = sent.body.decode("windows-1251")
    # The node's orders only: those of the manager its mapping names.
    assert text.count("<Документ>") == 1 and paid_pk in text and other_pk not in text
    assert onec.call("sale", "success").first == "success"

    # 1C numbers and posts the order and cancels it; the CRM holds it as paid.
    answer = text.replace(
        "<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Статус заказа</Наименование>", CANCELLED, 1).replace(
        "<Наименование>Отменен</Наименование><Значение>false</Значение>",
        "<Наименование>Отменен</Наименование><Значение>true</Значение>")
    assert answer != text and "УТ-000124" in answer
    reply = onec.call("sale", "file", answer.encode("windows-1251"), filename="documents___1.xml")
    assert reply.first == "success", reply.text
    assert "requisites: applied 3, refused 1" in reply.lines[1], reply.text
    assert "Отменен" in reply.text and "Reverse the payments first" in reply.text, reply.text

    after = served.django(ORDER_STATE.format(pk=paid_pk))
    assert after["invoice"] == ["paid", "УТ-000124", True]    # number and posting stored, status kept
    assert after["file"] == "imported"
    assert after["conflicts"] == [["conflict", paid_pk, {"status": ["paid", "cancelled"]}, ""]]

    # The run's page, to an administrator signed in through the sign-in form, shows the conflict waiting.
    browser = signed_in(served.url, ADMIN, PASSWORD)
    with browser.open(f"{served.url}/exchange/runs/{after['run']}/", timeout=30) as page:
        assert page.status == 200
        html = page.read().decode()
    assert "Reverse the payments first" in html and "Cancelled" in html and paid_number in html
