"""SMS in a real browser (issue #18): a manager texts a client from the card (the counter counts the parts as she
types, the SMS lands in the feed), then sends one text to a filtered counterparty list (the preview counts who
gets it, the progress page follows the worker); an administrator looks at the provider's settings and state. The
same in Russian. The provider is a fake SMS.ru on loopback.

Screenshots: tests/e2e/screenshots/130-sms-composer.png, 131-sms-mass-preview.png, 132-sms-mass-progress.png,
133-sms-settings.png, 134-sms-composer-ru.png, 135-sms-mass-preview-ru.png, 136-sms-mass-progress-ru.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from raccordo.comms.services import opt_out
from raccordo.parties.models import Phone
from raccordo.parties.services import counterparty_create
from raccordo.sms.segments import count_segments
from raccordo.sms.services import sms_settings_update
from tests.e2e.conftest import login
from tests.factories import UserFactory, inn10, reference_data
from tests.sms import fake_smsru

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
API_ID = "e2e-api-id"


@pytest.fixture
def smsru():
    fake = fake_smsru.start(API_ID)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def clients(transactional_db, smsru):
    reference_data()
    admin = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager")
    sms_settings_update(user=admin, data={"api_token": API_ID, "base_url": smsru.url, "sender": "Raccordo",
                                          "callback_secret": "s3cret", "rate_per_minute": 2})
    made = []
    for i, name in enumerate(["Romashka", "Vasilek", "Landysh", "Oduvanchik"]):
        cp = counterparty_create(user=anna, data={"kind": "legal", "name": name, "inn": inn10(300 + i)})
        Phone.objects.create(counterparty=cp, number=f"+7916555000{i}", kind="mobile", is_primary=True)
        made.append(cp)
    opt_out(user=None, channel="sms", address="+79165550003", counterparty=made[3])
    return made


def _text_from_card(page, client, text: str) -> None:
    page.goto(f"{page.base_url}/counterparties/{client.pk}/?tab=activity")
    page.locator("#sms-composer textarea[name=text]").fill(text)
    counted = count_segments(text)     # the browser's counter follows the same rules as the server
    expect(page.locator("#sms-counter [data-sms-length]")).to_have_text(str(counted.length))
    expect(page.locator("#sms-counter [data-sms-parts]")).to_have_text(str(counted.segments))
    page.locator("[data-testid=sms-send]").click()
    expect(page.locator("[data-testid=sms-sent]")).to_be_visible()
    expect(page.locator("#feed-list")).to_contain_text(text[:30])


def _mass_send(page, shot, names: tuple[str, str]) -> None:
    page.goto(f"{page.base_url}/counterparties/?kind=legal")
    page.locator("[data-testid=mass-sms]").click()
    expect(page.locator("[data-testid=sms-preview-count]")).to_have_text("3")
    page.fill("input[name=name]", names[0])
    page.locator("[data-testid=sms-campaign-form] textarea[name=text]").fill(names[1])
    shot(page, names[2], full_page=True)
    page.locator("[data-testid=sms-campaign-send]").click()
    expect(page.locator("[data-testid=sms-progress-figures]")).to_have_text("2 / 3")


def test_a_manager_texts_a_client_then_a_list(page, clients, smsru, shot, huey_immediate):
    login(page, "anna", "pass-12345")
    text = ("Good afternoon! Your order of pipes is ready: we can deliver it on Thursday or you can pick it up "
            "at the warehouse.")
    _text_from_card(page, clients[0], text)
    assert smsru.sent[0]["to"] == "79165550000"
    page.locator("#sms").scroll_into_view_if_needed()
    shot(page, "130-sms-composer")
    _mass_send(page, shot, ("Spring prices", "Spring prices on pipes until 31 March. Raccordo",
                            "131-sms-mass-preview"))
    shot(page, "132-sms-mass-progress", full_page=True)
    # The opted-out client was never texted.
    assert "79165550003" not in {s["to"] for s in smsru.sent}


def test_the_administrator_sees_the_providers_state(page, clients, smsru, shot):
    login(page, "root", "pass-12345")
    page.goto(f"{page.base_url}/settings/")
    page.locator("[data-testid=settings-sms]").click()
    page.fill("input[name=to]", "+79995554433")
    page.locator("[data-testid=sms-test]").click()
    expect(page.locator("[data-testid=sms-state-facts]")).not_to_contain_text("—\nLast error")
    page.locator("text=Check the balance").click()
    expect(page.locator("[data-testid=sms-state-facts]")).to_contain_text("1234.50")
    assert smsru.sent[-1]["to"] == "79995554433"
    shot(page, "133-sms-settings", full_page=True)


def test_in_russian(page, clients, smsru, shot, huey_immediate):
    login(page, "anna", "pass-12345")
    page.select_option("#language-switch", "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    _text_from_card(page, clients[1], "Добрый день! Счёт оплачен, спасибо.")
    expect(page.locator("#sms")).to_contain_text("Отправить SMS")
    page.locator("#sms").scroll_into_view_if_needed()
    shot(page, "134-sms-composer-ru")
    _mass_send(page, shot, ("Весенние цены", "Весенние цены на трубы до 31 марта. Raccordo",
                            "135-sms-mass-preview-ru"))
    expect(page.locator("[data-testid=sms-progress]")).to_contain_text("Отправлено")
    shot(page, "136-sms-mass-progress-ru", full_page=True)
