"""A fake Asterisk manager on 127.0.0.1 speaking the real line protocol (Asterisk is not packaged in Debian 12).

It sends the banner, reads action blocks, answers Login (checking the user and secret), Ping, Originate (then an
OriginateResponse event with the same ActionID) and Logoff with the ActionID echoed, and replays scripted event
blocks with CRLF framing to every logged-in session. `drop()` cuts every connection, as a PBX restart does.
"""

from __future__ import annotations

import asyncio
import threading

BANNER = b"Asterisk Call Manager/5.0.1\r\n"


def block(fields: dict[str, object]) -> bytes:
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in fields.items()) + b"\r\n"


class FakeAmi:
    def __init__(self, username: str = "crm", secret: str = "s3cret"):
        self.username, self.secret = username, secret
        self.loop = asyncio.new_event_loop()
        self.writers: list[asyncio.StreamWriter] = []
        self.actions: list[dict[str, str]] = []
        self.logins = 0
        self.port = 0
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FakeAmi:
        self.thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()
        server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(BANNER)
        await writer.drain()
        try:
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                action = dict(line.split(": ", 1) for line in raw.decode().split("\r\n") if ": " in line)
                self.actions.append(action)
                if not await self._answer(action, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if writer in self.writers:
                self.writers.remove(writer)
            writer.close()

    async def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        name, action_id = action.get("Action", ""), action.get("ActionID", "")
        if name == "Login":
            if action.get("Username") == self.username and action.get("Secret") == self.secret:
                self.logins += 1
                self.writers.append(writer)
                writer.write(block({"Response": "Success", "ActionID": action_id,
                                    "Message": "Authentication accepted"}))
            else:
                writer.write(block({"Response": "Error", "ActionID": action_id,
                                    "Message": "Authentication failed"}))
        elif name == "Originate":
            writer.write(block({"Response": "Success", "ActionID": action_id,
                                "Message": "Originate successfully queued"}))
            writer.write(block({"Event": "OriginateResponse", "ActionID": action_id, "Response": "Success",
                                "Channel": action.get("Channel", ""), "Exten": action.get("Exten", "")}))
        elif name == "Logoff":
            writer.write(block({"Response": "Goodbye", "ActionID": action_id, "Message": "Thanks for all the fish."}))
            await writer.drain()
            return False
        else:
            writer.write(block({"Response": "Success", "ActionID": action_id, "Ping": "Pong"}))
        await writer.drain()
        return True

    def send(self, events: list[dict[str, object]]) -> None:
        """Send these event blocks to every logged-in session (in one write: framing must not depend on it)."""
        data = b"".join(block(e) for e in events)

        def write() -> None:
            for writer in list(self.writers):
                writer.write(data)

        self.loop.call_soon_threadsafe(write)

    def drop(self) -> None:
        """Cut every connection at once."""
        def cut() -> None:
            for writer in list(self.writers):
                writer.transport.abort()
            self.writers.clear()

        self.loop.call_soon_threadsafe(cut)


# The event sequences of the notes (communications-documents-reports.md, 1a), as Asterisk 18 sends them.
def _chan(name: str, uniqueid: str, linkedid: str, caller: str, exten: str, state: str = "Ring") -> dict:
    return {"Channel": name, "ChannelState": "4", "ChannelStateDesc": state, "CallerIDNum": caller,
            "CallerIDName": "", "ConnectedLineNum": "<unknown>", "Context": "from-trunk", "Exten": exten,
            "Priority": "1", "Uniqueid": uniqueid, "Linkedid": linkedid}


def inbound_queue_call(linkedid: str, caller: str, did: str, ts: float, talk: int = 95) -> list[dict]:
    """A caller reaches the sales queue; 101 and 102 ring; 102 answers; they talk `talk` seconds; hang-up."""
    trunk = _chan("PJSIP/trunk-00000001", linkedid, linkedid, caller, did)
    a101 = _chan("PJSIP/101-00000002", f"{linkedid}1", linkedid, "101", "s", "Ringing")
    a102 = _chan("PJSIP/102-00000003", f"{linkedid}2", linkedid, "102", "s", "Ringing")
    dest = {"DestChannel": a101["Channel"], "DestCallerIDNum": "101", "DestUniqueid": a101["Uniqueid"]}
    dest2 = {"DestChannel": a102["Channel"], "DestCallerIDNum": "102", "DestUniqueid": a102["Uniqueid"]}
    return [
        {"Event": "Newchannel", "Privilege": "call,all", "Timestamp": f"{ts:.6f}", **trunk},
        {"Event": "Newstate", "Timestamp": f"{ts + 0.1:.6f}", **trunk, "ChannelStateDesc": "Up"},
        {"Event": "QueueCallerJoin", "Timestamp": f"{ts + 1:.6f}", **trunk, "Queue": "sales", "Position": "1",
         "Count": "1"},
        {"Event": "Newchannel", "Timestamp": f"{ts + 1.1:.6f}", **a101},
        {"Event": "AgentCalled", "Timestamp": f"{ts + 1.1:.6f}", **trunk, **dest, "Queue": "sales",
         "Interface": "PJSIP/101", "MemberName": "Anna"},
        {"Event": "DialBegin", "Timestamp": f"{ts + 1.1:.6f}", **trunk, **dest, "DialString": "101"},
        {"Event": "Newchannel", "Timestamp": f"{ts + 1.2:.6f}", **a102},
        {"Event": "AgentCalled", "Timestamp": f"{ts + 1.2:.6f}", **trunk, **dest2, "Queue": "sales",
         "Interface": "PJSIP/102", "MemberName": "Marco"},
        {"Event": "DialBegin", "Timestamp": f"{ts + 1.2:.6f}", **trunk, **dest2, "DialString": "102"},
        {"Event": "DialEnd", "Timestamp": f"{ts + 6:.6f}", **trunk, **dest2, "DialStatus": "ANSWER"},
        {"Event": "DialEnd", "Timestamp": f"{ts + 6:.6f}", **trunk, **dest, "DialStatus": "CANCEL"},
        {"Event": "Hangup", "Timestamp": f"{ts + 6.1:.6f}", **a101, "Cause": "26",
         "Cause-txt": "Answered elsewhere"},
        {"Event": "AgentConnect", "Timestamp": f"{ts + 6.1:.6f}", **trunk, **dest2, "Queue": "sales",
         "Interface": "PJSIP/102", "MemberName": "Marco", "HoldTime": "5", "RingTime": "5"},
        {"Event": "QueueCallerLeave", "Timestamp": f"{ts + 6.1:.6f}", **trunk, "Queue": "sales", "Count": "0"},
        {"Event": "BridgeEnter", "Timestamp": f"{ts + 6.2:.6f}", **trunk, "BridgeUniqueid": "b1"},
        {"Event": "BridgeEnter", "Timestamp": f"{ts + 6.2:.6f}", **a102, "BridgeUniqueid": "b1"},
        {"Event": "BridgeLeave", "Timestamp": f"{ts + 6 + talk:.6f}", **trunk, "BridgeUniqueid": "b1"},
        {"Event": "Hangup", "Timestamp": f"{ts + 6 + talk:.6f}", **a102, "Cause": "16",
         "Cause-txt": "Normal Clearing"},
        {"Event": "Hangup", "Timestamp": f"{ts + 6 + talk:.6f}", **trunk, "Cause": "16",
         "Cause-txt": "Normal Clearing"},
        {"Event": "AgentComplete", "Timestamp": f"{ts + 6 + talk:.6f}", **trunk, **dest2, "Queue": "sales",
         "TalkTime": str(talk), "Reason": "caller"},
    ]


def missed_queue_call(linkedid: str, caller: str, did: str, ts: float) -> list[dict]:
    """A caller waits in the queue while 101 rings, and gives up."""
    trunk = _chan("PJSIP/trunk-00000010", linkedid, linkedid, caller, did)
    a101 = _chan("PJSIP/101-00000011", f"{linkedid}1", linkedid, "101", "s", "Ringing")
    dest = {"DestChannel": a101["Channel"], "DestCallerIDNum": "101", "DestUniqueid": a101["Uniqueid"]}
    return [
        {"Event": "Newchannel", "Timestamp": f"{ts:.6f}", **trunk},
        {"Event": "QueueCallerJoin", "Timestamp": f"{ts + 1:.6f}", **trunk, "Queue": "sales", "Position": "1"},
        {"Event": "Newchannel", "Timestamp": f"{ts + 1:.6f}", **a101},
        {"Event": "AgentCalled", "Timestamp": f"{ts + 1:.6f}", **trunk, **dest, "Queue": "sales",
         "Interface": "PJSIP/101", "MemberName": "Anna"},
        {"Event": "DialBegin", "Timestamp": f"{ts + 1:.6f}", **trunk, **dest, "DialString": "101"},
        {"Event": "QueueCallerAbandon", "Timestamp": f"{ts + 20:.6f}", **trunk, "Queue": "sales", "Position": "1",
         "OriginalPosition": "1", "HoldTime": "19"},
        {"Event": "DialEnd", "Timestamp": f"{ts + 20:.6f}", **trunk, **dest, "DialStatus": "CANCEL"},
        {"Event": "Hangup", "Timestamp": f"{ts + 20:.6f}", **a101, "Cause": "16"},
        {"Event": "Hangup", "Timestamp": f"{ts + 20:.6f}", **trunk, "Cause": "16"},
    ]


def transferred_call(linkedid: str, caller: str, did: str, ts: float) -> list[dict]:
    """A direct call to 101, answered, blind-transferred to 102, answered there, then hung up."""
    trunk = _chan("PJSIP/trunk-00000020", linkedid, linkedid, caller, did)
    a101 = _chan("PJSIP/101-00000021", f"{linkedid}1", linkedid, "101", "s", "Ringing")
    a102 = _chan("PJSIP/102-00000022", f"{linkedid}2", linkedid, "102", "s", "Ringing")
    dest = {"DestChannel": a101["Channel"], "DestCallerIDNum": "101"}
    dest2 = {"DestChannel": a102["Channel"], "DestCallerIDNum": "102"}
    return [
        {"Event": "Newchannel", "Timestamp": f"{ts:.6f}", **trunk},
        {"Event": "Newchannel", "Timestamp": f"{ts:.6f}", **a101},
        {"Event": "DialBegin", "Timestamp": f"{ts:.6f}", **trunk, **dest, "DialString": "101"},
        {"Event": "DialEnd", "Timestamp": f"{ts + 4:.6f}", **trunk, **dest, "DialStatus": "ANSWER"},
        {"Event": "BridgeEnter", "Timestamp": f"{ts + 4:.6f}", **a101, "BridgeUniqueid": "b2"},
        {"Event": "BlindTransfer", "Timestamp": f"{ts + 30:.6f}", "Result": "Success",
         "TransfererChannel": a101["Channel"], "TransfererLinkedid": linkedid, "TransfereeChannel": trunk["Channel"],
         "TransfereeLinkedid": linkedid, "Extension": "102", "Context": "from-internal", "IsExternal": "No"},
        {"Event": "Hangup", "Timestamp": f"{ts + 30:.6f}", **a101, "Cause": "16"},
        {"Event": "Newchannel", "Timestamp": f"{ts + 30:.6f}", **a102},
        {"Event": "DialBegin", "Timestamp": f"{ts + 30:.6f}", **trunk, **dest2, "DialString": "102"},
        {"Event": "DialEnd", "Timestamp": f"{ts + 33:.6f}", **trunk, **dest2, "DialStatus": "ANSWER"},
        {"Event": "Hangup", "Timestamp": f"{ts + 93:.6f}", **a102, "Cause": "16"},
        {"Event": "Hangup", "Timestamp": f"{ts + 93:.6f}", **trunk, "Cause": "16"},
    ]
