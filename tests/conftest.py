"""Shared fixtures: users of each kind and the reference data every sales flow needs."""

from __future__ import annotations

import pytest

from tests import factories


def pytest_collection_modifyitems(config, items):
    """The slow cases first (a stable sort: the rest keep their order). Collected in place, the two-minute
    scale-out test came last, and one xdist worker ran it alone while the other had finished."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Real hashers cost ~0.3 s a password by design; tests create thousands of users."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _flush_by_delete_on_postgresql():
    """After a transactional test (live server, browser, worker threads) Django empties every table. On PostgreSQL
    it does so with one TRUNCATE of all 200 tables, which replaces each table's files: about a second a test, four
    minutes of the suite. DELETE of the few rows a test leaves costs milliseconds; the foreign keys are deferred
    to the flush's commit, so the order of the tables does not matter. (Resetting sequences keeps TRUNCATE.)"""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [" ".join(f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
                         for table in tables)]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate


@pytest.fixture(autouse=True)
def _fresh_cache(settings, worker_id):
    """Rate limits count in the cache, sign-in limits in Redis (or the test's database): every test starts
    with none. Each xdist worker has its own Redis key prefix, so parallel workers never share a count."""
    from django.core.cache import cache

    from raccordo.access import throttle

    settings.SIGNIN_KEY_PREFIX = f"rc:signin:test-{worker_id}"
    def clear():
        cache.clear()
        if settings.REDIS_URL:   # the database's counters go with each test's transaction or flush
            throttle.counters_clear()

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a test (or a service it calls, in this thread) that switched to
    Italian must not make the next test's messages Italian."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


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


@pytest.fixture
def var_dir(settings, tmp_path):
    """Kept run files, uploads, 1C sessions and pictures of a test land in its own directory, not in the
    checkout's var/."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    settings.MEDIA_ROOT = settings.VAR_DIR / "media"
    return settings.VAR_DIR


@pytest.fixture
def huey_immediate():
    """Huey runs a task when it is enqueued, inside the test (the worker's code, without a worker)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before


from tests.smtp_server import smtp_server  # noqa: E402,F401  (a real SMTP server fixture, aiosmtpd)
