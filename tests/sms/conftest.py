"""SMS tests: a fake SMS.ru on loopback and the settings pointing at it."""

from __future__ import annotations

import pytest

from . import fake_smsru

API_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "cb-secret-42"


@pytest.fixture
def smsru():
    fake = fake_smsru.start(API_ID)
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture
def sms_ready(db, smsru, admin_user):
    """SMS set up against the fake provider (as an administrator would on the settings page)."""
    from raccordo.sms.services import sms_settings_update

    sms_settings_update(user=admin_user, data={"api_token": API_ID, "base_url": smsru.url, "sender": "Raccordo",
                                               "callback_secret": SECRET, "rate_per_minute": 2})
    return smsru
