"""Secrets at rest: what the database holds is not the password, and it reads back as given."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from raccordo.core import secrets


def test_a_secret_round_trips_and_is_not_stored_in_clear():
    token = secrets.encrypt("app-password-Пароль")
    assert token.startswith(secrets.PREFIX)
    assert "app-password" not in token
    assert secrets.decrypt(token) == "app-password-Пароль"
    assert secrets.encrypt("") == "" and secrets.decrypt("") == ""


def test_another_secret_key_cannot_read_it():
    token = secrets.encrypt("s3cret")
    with override_settings(SECRET_KEY="a-different-installation-key-0123456789"):
        assert secrets.decrypt(token) == ""


def test_an_explicit_key_rotates_and_old_values_still_read():
    old = secrets.encrypt("before-rotation")
    key = Fernet.generate_key().decode()
    with override_settings(RACCORDO_SECRETS_KEY=key):
        new = secrets.encrypt("after-rotation")
        assert secrets.decrypt(old) == "before-rotation"
        assert secrets.decrypt(new) == "after-rotation"
    # Without the explicit key the new value is unreadable: it was written with that key.
    assert secrets.decrypt(new) == ""


@pytest.mark.parametrize("garbage", ["plain text", "fernet:not-a-token", "fernet:"])
def test_garbage_reads_as_empty(garbage):
    assert secrets.decrypt(garbage) == ""
