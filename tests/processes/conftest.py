"""People of a small sales company with a department tree, and an injected clock for processes and rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from raccordo.access.models import Department
from tests import factories


@pytest.fixture(autouse=True)
def shipped(db):
    """The shipped message templates and processes, as the data migrations wrote them: written again (each is
    skipped when there) because a browser test's flush of the shared test database removes migration data."""
    import importlib

    from django.apps import apps

    from raccordo.processes.shipped import seed

    importlib.import_module("raccordo.comms.migrations.0002_shipped_templates").seed(apps, None)
    seed(apps)


@pytest.fixture
def clock():
    """The time the tests say it is: services take `now=`, nothing reads the wall clock (no sleeps)."""

    class Clock:
        def __init__(self):
            # A Friday morning, Moscow time (the project's default zone): weekends and holidays matter at once.
            self.now = timezone.make_aware(dt.datetime(2026, 3, 6, 10, 0))

        def advance(self, **delta) -> dt.datetime:
            self.now += dt.timedelta(**delta)
            return self.now

    return Clock()


@pytest.fixture
def team(db):
    """Giulia heads Sales; Anna works in Sales; Marco in Sales Rome (below Sales, no head of its own); Boris heads
    Accounts (first in the alphabet, so a choice "by department" shows); Olga is the accountant there."""
    sales = Department.objects.create(name="Sales")
    rome = Department.objects.create(name="Sales Rome", parent=sales)
    accounts = Department.objects.create(name="Accounts")
    make = factories.UserFactory
    return {
        "head": make(username="giulia", first_name="Giulia", last_name="Bianchi", role="head", department=sales),
        "anna": make(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=sales),
        "marco": make(username="marco", first_name="Marco", last_name="Rossi", role="manager", department=rome),
        "boris": make(username="boris", first_name="Boris", last_name="Orlov", role="head", department=accounts),
        "olga": make(username="olga", first_name="Olga", last_name="Petrova", role="accountant", department=accounts),
        "admin": make(username="admin", role="admin", is_staff=True, is_superuser=True),
    }
