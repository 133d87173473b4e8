"""The Asterisk adapter over real TCP against a fake manager speaking the AMI line protocol.

The client runs in a thread of its own, as in `raccordo telephony_ami`; the contract events it emits are collected
and then recorded by this test's thread (the test database lives in this thread's transaction).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time

import pytest

from raccordo.activities.models import Task
from raccordo.parties.models import Phone
from raccordo.telephony.ami.client import AmiClient
from raccordo.telephony.ami.protocol import Parser, ProtocolError, encode
from raccordo.telephony.ami.tracker import CallTracker
from raccordo.telephony.models import CallStatus, Extension
from raccordo.telephony.services import call_originate, record_event, telephony_settings_update
from tests.factories import CounterpartyFactory

from .fake_ami import FakeAmi, inbound_queue_call, missed_queue_call, transferred_call

DEADLINE = 15.0


class RunningClient:
    """An AmiClient on its own event loop in a thread; what it reports lands in two queues."""

    def __init__(self, port: int, secret: str = "s3cret", recording: str = ""):
        self.events: queue.Queue = queue.Queue()
        self.states: queue.Queue = queue.Queue()
        self.client = AmiClient(host="127.0.0.1", port=port, username="crm", secret=secret,
                                tracker=CallTracker(recording_url=recording), on_event=self.events.put,
                                on_state=lambda connected, error: self.states.put((connected, error)),
                                backoff=(0.05, 0.2), ping_after=5, timeout=5)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self.loop, self.stop_event = asyncio.get_running_loop(), asyncio.Event()
        await self.client.run(self.stop_event)

    def __enter__(self) -> RunningClient:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        deadline = time.monotonic() + DEADLINE
        while self.loop is None and time.monotonic() < deadline:
            time.sleep(0.01)
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(DEADLINE)

    def state(self, want) -> tuple:
        """The first reported state satisfying `want` (failing at the deadline)."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            try:
                item = self.states.get(timeout=0.1)
            except queue.Empty:
                continue
            if want(item):
                return item
        pytest.fail("the client never reported the expected state")

    def take(self, count: int) -> list:
        found = []
        deadline = time.monotonic() + DEADLINE
        while len(found) < count and time.monotonic() < deadline:
            try:
                found.append(self.events.get(timeout=0.1))
            except queue.Empty:
                continue
        assert len(found) == count, [(e.event, e.extension) for e in found]
        return found


@pytest.fixture
def ami():
    with FakeAmi() as server:
        yield server


def test_the_parser_reads_the_banner_and_blocks_cut_anywhere():
    data = b"Asterisk Call Manager/5.0.1\r\n" + encode({"Response": "Success", "ActionID": "a1"}) \
        + encode({"Event": "Newchannel", "Linkedid": "1.1", "CallerIDNum": "+7 495"})
    parser, messages = Parser(), []
    for i in range(len(data)):
        messages += parser.feed(data[i:i + 1])
    assert parser.banner == "Asterisk Call Manager/5.0.1"
    assert messages == [{"Response": "Success", "ActionID": "a1"},
                        {"Event": "Newchannel", "Linkedid": "1.1", "CallerIDNum": "+7 495"}]
    with pytest.raises(ProtocolError):
        Parser().feed(b"SSH-2.0-OpenSSH_9.2\r\n")


def test_an_inbound_queue_call_rings_both_agents_and_is_answered_by_one(ami, db, manager, other_manager):
    cp = CounterpartyFactory(name="Romashka", responsible=manager)
    Phone.objects.create(counterparty=cp, number="+74951234567")
    Extension.objects.create(user=manager, number="101")
    Extension.objects.create(user=other_manager, number="102")
    with RunningClient(ami.port, recording="https://pbx.example.com/rec/{call_id}.wav") as running:
        running.state(lambda s: s[0] is True)
        ami.send(inbound_queue_call("1733050000.10", "84951234567", "74959990000", 1_733_050_000.0, talk=95))
        events = running.take(4)
    assert [(e.event, e.extension) for e in events] == [
        ("ringing", "101"), ("ringing", "102"), ("answered", "102"), ("ended", "")]
    assert all(e.call_id == "1733050000.10" and e.direction == "in" for e in events)
    assert events[-1].talk_duration == 95
    for event in events:
        call = record_event(event=event)
    assert call.status == CallStatus.ENDED and call.user == other_manager and call.counterparty == cp
    assert call.duration_seconds == 95 and call.recording_url == "https://pbx.example.com/rec/1733050000.10.wav"
    # Listening only: the client logged in and sent nothing else (a keepalive Ping after 5 s of silence aside, which
    # a loaded machine can reach between two events).
    assert {a["Action"] for a in ami.actions} - {"Ping"} == {"Login"}


def test_a_caller_who_gives_up_in_the_queue_is_a_missed_call_and_a_task(ami, db, manager):
    cp = CounterpartyFactory(name="Vasilek", responsible=manager)
    Phone.objects.create(counterparty=cp, number="+74951110000")
    Extension.objects.create(user=manager, number="101")
    with RunningClient(ami.port) as running:
        running.state(lambda s: s[0] is True)
        ami.send(missed_queue_call("1733050100.20", "74951110000", "74959990000", 1_733_050_100.0))
        events = running.take(2)
    assert [(e.event, e.extension, e.disposition) for e in events] == [
        ("ringing", "101", ""), ("missed", "", "abandoned")]
    for event in events:
        call = record_event(event=event)
    assert call.status == CallStatus.MISSED
    assert Task.objects.get().assignee == manager and call.task.counterparty == cp


def test_a_blind_transfer_hands_the_call_to_the_second_extension(ami, db, manager, other_manager):
    Extension.objects.create(user=manager, number="101")
    Extension.objects.create(user=other_manager, number="102")
    with RunningClient(ami.port) as running:
        running.state(lambda s: s[0] is True)
        ami.send(transferred_call("1733050200.30", "+74952223344", "74959990000", 1_733_050_200.0))
        events = running.take(5)
    assert [(e.event, e.extension) for e in events] == [
        ("ringing", "101"), ("answered", "101"), ("ringing", "102"), ("answered", "102"), ("ended", "")]
    for event in events:
        call = record_event(event=event)
    assert call.user == other_manager and call.extension == "102" and call.duration_seconds == 89


def test_a_dropped_connection_is_reopened_and_calls_go_on(ami):
    with RunningClient(ami.port) as running:
        running.state(lambda s: s[0] is True)
        ami.drop()
        connected, error = running.state(lambda s: s[0] is False)
        assert error
        running.state(lambda s: s[0] is True)
        assert ami.logins == 2
        ami.send(missed_queue_call("1733050300.40", "74951110000", "74959990000", 1_733_050_300.0))
        assert [e.event for e in running.take(2)] == ["ringing", "missed"]


def test_a_wrong_secret_is_reported_and_retried_not_fatal(ami):
    with RunningClient(ami.port, secret="wrong") as running:
        connected, error = running.state(lambda s: s[0] is False and s[1])
        assert "login refused" in error and "Authentication failed" in error
        running.state(lambda s: s[0] is False and s[1])   # tried again after a pause
    assert ami.logins == 0 and len([a for a in ami.actions if a["Action"] == "Login"]) >= 2


def test_click_to_call_sends_originate_from_the_users_phone(ami, db, admin_user, manager):
    Extension.objects.create(user=manager, number="101")
    telephony_settings_update(user=admin_user, data={"ami_enabled": True, "ami_host": "127.0.0.1",
                                                     "ami_port": ami.port, "ami_username": "crm",
                                                     "ami_secret": "s3cret"})
    action_id = call_originate(user=manager, number="+7 495 123-45-67")
    originate = next(a for a in ami.actions if a["Action"] == "Originate")
    assert originate["ActionID"] == action_id
    assert originate["Channel"] == "PJSIP/101" and originate["Exten"] == "+74951234567"
    assert originate["Context"] == "from-internal" and originate["Async"] == "true"
    assert ami.actions[-1]["Action"] == "Logoff"


def test_click_to_call_needs_an_extension(db, manager):
    with pytest.raises(Exception) as caught:
        call_originate(user=manager, number="+74951234567")
    assert caught.value.code == "telephony.call.denied"


def test_a_call_whose_hangup_never_came_is_forgotten():
    tracker = CallTracker()
    tracker.feed({"Event": "Newchannel", "Channel": "PJSIP/trunk-1", "Uniqueid": "1.1", "Linkedid": "1.1",
                  "CallerIDNum": "+74951234567", "Exten": "100", "Timestamp": "1000.0"})
    assert set(tracker.calls) == {"1.1"}
    tracker.feed({"Event": "Newchannel", "Channel": "PJSIP/trunk-2", "Uniqueid": "2.2", "Linkedid": "2.2",
                  "CallerIDNum": "+74951234568", "Exten": "100", "Timestamp": str(1000.0 + 13 * 3600)})
    assert set(tracker.calls) == {"2.2"}
