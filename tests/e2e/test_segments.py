"""Segments and mass e-mail in a real browser (issue #21): a manager builds a segment in the editor (the count
follows the filters), opens its members, e-mails it from a template (the count of who gets it, then the progress
page as the worker sends at the configured rate through a real SMTP server). The editor again in Russian.

Screenshots: tests/e2e/screenshots/190-segment-editor.png, 191-segment-detail.png, 192-mailing-new.png,
193-mailing-progress.png, 194-segment-editor-ru.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from raccordo.comms.models import MessageTemplate
from raccordo.comms.services import opt_out
from raccordo.parties.models import Email, Tag
from raccordo.parties.services import counterparty_create
from tests.e2e.conftest import login
from tests.factories import UserFactory, inn10, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clients(transactional_db, settings):
    reference_data()
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager")
    wholesale = Tag.objects.create(name="Wholesale")
    Tag.objects.create(name="Retail")
    MessageTemplate.objects.create(name="Spring prices", channel="email", subject="Spring prices for {{ client.name }}",
                                   body="Dear {{ client.name }}, our spring prices on pipes are here.")
    made = []
    for i, name in enumerate(["Romashka", "Vasilek", "Landysh", "Oduvanchik", "Kolokolchik", "Podsolnukh"]):
        cp = counterparty_create(user=anna, data={"kind": "legal", "name": name, "inn": inn10(400 + i),
                                                  "country": "IT" if i == 5 else "RU"})
        if i < 5:
            cp.tags.add(wholesale)
        Email.objects.create(counterparty=cp, address=f"buyer{i}@example.com", is_primary=True)
        made.append(cp)
    opt_out(user=None, channel="email", address="buyer4@example.com", counterparty=made[4])
    settings.MAILING_RATE_PER_MINUTE = 3
    return made


def _build_segment(page, shot, name: str, screenshot: str) -> None:
    page.goto(f"{page.base_url}/segments/new/")
    page.fill("input[name=name]", name)
    expect(page.locator("[data-testid=segment-count]")).to_have_text("6")
    page.select_option("select[name=tags]", label="Wholesale")
    expect(page.locator("[data-testid=segment-count]")).to_have_text("5")
    page.select_option("select[name=consent]", "email")
    expect(page.locator("[data-testid=segment-count]")).to_have_text("4")
    shot(page, screenshot, full_page=True)


def test_a_manager_builds_a_segment_and_mails_it(page, clients, shot, smtp_server, huey_immediate):
    login(page, "anna", "pass-12345")
    _build_segment(page, shot, "Wholesale, e-mail", "190-segment-editor")
    page.locator("[data-testid=segment-save]").click()
    expect(page.locator("[data-testid=segment-detail-count]")).to_have_text("4")
    shot(page, "191-segment-detail", full_page=True)
    page.locator("[data-testid=segment-mail]").click()
    expect(page.locator("[data-testid=mailing-preview-count]")).to_have_text("4")
    page.select_option("select[name=template]", label="Spring prices")
    shot(page, "192-mailing-new", full_page=True)
    page.locator("[data-testid=mailing-send]").click()
    # The worker sent the first minute's three; the fourth waits for the next minute.
    expect(page.locator("[data-testid=mailing-progress-figures]")).to_have_text("3 / 4")
    shot(page, "193-mailing-progress", full_page=True)
    assert len(smtp_server.messages) == 3
    assert "buyer4@example.com" not in {m["To"] for m in smtp_server.messages}
    assert smtp_server.messages[0]["List-Unsubscribe"]


def test_the_editor_in_russian(page, clients, shot):
    login(page, "anna", "pass-12345")
    page.select_option("#language-switch", "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    _build_segment(page, shot, "Опт, e-mail", "194-segment-editor-ru")
    expect(page.locator("[data-testid=segment-form]")).to_contain_text("Можно написать")
