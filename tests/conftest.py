"""Shared fixtures: users of each kind and the reference data every sales flow needs."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Login throttling counts failures in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="admin", role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def manager(db):
    return factories.UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager")


@pytest.fixture
def other_manager(db):
    return factories.UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager")


@pytest.fixture
def reference_data(db):
    """A default funnel with stages, an own company, a default price type, a warehouse and a unit."""
    return factories.reference_data()


from tests.smtp_server import smtp_server  # noqa: E402,F401  (a real SMTP server fixture, aiosmtpd)
