"""An EnterpriseData node set up in a real browser, as an administrator (issue #16, "Set-up in minutes"):
the wizard makes the node (folder checked, both codes, prefix, versions); a task with the EnterpriseData step
is made with the task form and run with "Run now" against a scripted 1C that leaves its messages in the folder;
the run report and the node page show the exchange (version agreed, messages counted).

Screenshots: 47-enterprisedata-wizard, 48-enterprisedata-run, 49-enterprisedata-node.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import envelope as env
from raccordo.exchange.models import ExchangeNode, ExchangeTask
from raccordo.parties.models import Counterparty
from tests.e2e.conftest import login
from tests.exchange.enterprisedata.conftest import OneCPeer
from tests.factories import UserFactory, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_page(page, transactional_db, settings, tmp_path, huey_immediate):
    # "Run now" runs the task inside the request (Huey immediate), as one process does without a worker.
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    reference_data()
    UserFactory(username="root", first_name="Root", last_name="Admin", role="admin", is_staff=True)
    login(page, "root", "pass-12345")
    return page


def _run_now(page, node) -> None:
    page.goto(f"{page.base_url}/exchange/nodes/{node.pk}/")
    page.click("[data-testid=task-run-exchange]")
    page.wait_for_url(re.compile(r"/exchange/runs/[0-9a-f-]{36}/$"))


def test_the_wizard_makes_an_enterprisedata_node_and_a_task_exchanges_with_1c(admin_page, shot, tmp_path):
    page = admin_page
    folder = tmp_path / "exchange-bp"
    folder.mkdir()

    page.goto(f"{page.base_url}/exchange/nodes/")
    page.click("[data-testid=node-new]")
    page.click("[data-testid=node-kind-enterprisedata]")
    page.wait_for_load_state()
    page.fill("[data-testid=node-name]", "Бухгалтерия 3.0")
    page.fill("[data-testid=node-code]", "bp")
    page.fill("[data-testid=node-path]", str(folder))
    page.fill("[data-testid=ed-our-code]", "RC")
    page.fill("[data-testid=ed-peer-code]", "BP")
    page.fill("[data-testid=ed-prefix]", "RC")
    shot(page, "47-enterprisedata-wizard")
    page.click("[data-testid=node-create]")
    page.wait_for_url(re.compile(r"/exchange/nodes/[0-9a-f-]{36}/(#enterprisedata)?$"))
    node = ExchangeNode.objects.get(code="bp")
    assert (node.kind, node.path, node.enterprisedata.our_code, node.enterprisedata.peer_code) == (
        "enterprisedata", str(folder), "RC", "BP")
    steps = page.locator("[data-testid=ed-1c-steps]")
    expect(steps).to_contain_text("Новая синхронизация данных")
    expect(steps).to_contain_text("Локальный или сетевой каталог")

    # A task with the EnterpriseData step, every 15 minutes.
    page.click("[data-testid=task-new]")
    page.wait_for_selector("[data-testid=task-form]")
    page.wait_for_load_state()
    page.fill("[data-testid=task-name]", "exchange")
    page.fill("[data-testid=task-cron]", "*/15 * * * *")
    page.select_option("[data-testid=step-kind-0]", "enterprisedata-exchange")
    page.click("[data-testid=task-save]")
    page.wait_for_url(re.compile(rf"/exchange/nodes/{node.pk}/(#tasks)?$"))
    task = ExchangeTask.objects.get(node=node, name="exchange")
    assert [s["kind"] for s in task.steps] == ["enterprisedata-exchange"]

    # 1C's first message (settings only), then "Run now": the version is agreed and our answer written.
    one_c = OneCPeer(folder, schema=None)
    one_c.send(settings_only=True)
    _run_now(page, node)
    expect(page.get_by_text("Succeeded").first).to_be_visible()
    answer = env.MessageReader(io.BytesIO((folder / "Message_RC_BP.xml").read_bytes())).header
    assert (answer.version, answer.message_no) == ("1.17", 1)

    # 1C sends a counterparty: the next run takes it.
    one_c.version, one_c.received_no = "1.17", 1
    romashka = fmt.CounterpartyRec(ref="5a1c1b8e-7a3d-11ee-b962-0242ac120002", name="Ромашка", inn="7707083893",
                                   kpp="770701001")
    one_c.send([lambda v: fmt.counterparty_element(romashka, v)])
    _run_now(page, node)
    expect(page.get_by_text("Succeeded").first).to_be_visible()
    expect(page.locator("body")).to_contain_text("Message 1 from 1C taken.")
    assert Counterparty.objects.filter(inn="7707083893").exists()
    shot(page, "48-enterprisedata-run")

    page.goto(f"{page.base_url}/exchange/nodes/{node.pk}/#enterprisedata")
    expect(page.locator("[data-testid=ed-fact-version]")).to_have_text("1.17")
    expect(page.locator("[data-testid=ed-sent-no]")).to_have_text("2")
    expect(page.locator("[data-testid=ed-received-no]")).to_have_text("1")
    page.locator("#enterprisedata").evaluate("section => section.scrollIntoView()")
    shot(page, "49-enterprisedata-node")
