"""The telephony worker as `raccordo telephony_ami` runs it: settings read from the database, the connection
to a fake Asterisk opened, calls recorded from its own threads, a dropped line reopened, the state reported."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import pytest
from django.db import connection

from raccordo.parties.models import Phone
from raccordo.telephony.management.commands.telephony_ami import Command
from raccordo.telephony.models import Call, CallStatus, Extension, PbxState
from raccordo.telephony.services import telephony_settings_update
from tests.factories import CounterpartyFactory

from .fake_ami import FakeAmi, inbound_queue_call

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The worker writes from threads of its own. The tests' SQLite is one shared-cache in-memory database, whose
    # table locks fail a writer at once while another thread reads (an installation's SQLite is a WAL file,
    # where readers never block the writer); CI runs this on PostgreSQL.
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a database shared by threads: PostgreSQL"),
]
DEADLINE = 20.0


def _until(check, what: str):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"never: {what}")


def test_the_worker_connects_records_calls_and_reconnects(admin_user, manager, other_manager):
    cp = CounterpartyFactory(name="Romashka", responsible=manager)
    Phone.objects.create(counterparty=cp, number="+74951234567")
    Extension.objects.create(user=manager, number="101")
    Extension.objects.create(user=other_manager, number="102")
    with FakeAmi() as ami:
        telephony_settings_update(user=admin_user, data={"ami_enabled": True, "ami_host": "127.0.0.1",
                                                         "ami_port": ami.port, "ami_username": "crm",
                                                         "ami_secret": "s3cret"})
        holder: dict = {}

        def run() -> None:
            async def main() -> None:
                holder["loop"], holder["stop"] = asyncio.get_running_loop(), asyncio.Event()
                await Command().supervise(holder["stop"])
            asyncio.run(main())

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        try:
            _until(lambda: PbxState.objects.filter(provider="asterisk", connected=True).exists(), "connected")
            ami.send(inbound_queue_call("1733060000.5", "84951234567", "74959990000", time.time() - 120, talk=60))
            call = _until(lambda: Call.objects.filter(call_id="1733060000.5", status=CallStatus.ENDED).first(),
                          "the call recorded")
            assert call.user == other_manager and call.counterparty == cp and call.duration_seconds == 60
            ami.drop()
            _until(lambda: ami.logins == 2, "logged in again")
            state = PbxState.objects.get(provider="asterisk")
            assert state.last_error and state.last_event_at is not None
        finally:
            holder["loop"].call_soon_threadsafe(holder["stop"].set)
            worker.join(DEADLINE)
    assert not worker.is_alive()
    assert PbxState.objects.get(provider="asterisk").connected is False
    # The worker's threads are gone; their database connections close when collected, before the teardown
    # drops the test database.
    gc.collect()
