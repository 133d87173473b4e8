"""The persistent AMI connection: log in, read events for ever, reconnect with backoff when the line drops.

    client = AmiClient(host=..., port=5038, username=..., secret=..., tracker=CallTracker(...),
                       on_event=record, on_state=report)
    await client.run(stop)        # returns when `stop` is set

`on_event(CallEventInput)` and `on_state(connected, error)` are plain functions (they write to the database): they
run in a worker thread, one at a time and in order, so the event loop never blocks on the database and the
events of a call are recorded in the order Asterisk sent them. A silent line is pinged; one that stays silent
is taken for dead and reconnected.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable

from ..contract import CallEventInput
from .protocol import Parser, ProtocolError, encode
from .tracker import CallTracker

log = logging.getLogger("raccordo.telephony.ami")


class AmiLoginError(Exception):
    """Asterisk refused the manager's user name or secret."""


class AmiClient:
    """One manager session at a time, reopened after every failure with a growing pause (reset by a good login)."""

    def __init__(self, *, host: str, port: int, username: str, secret: str, tracker: CallTracker,
                 on_event: Callable[[CallEventInput], object], on_state: Callable[[bool, str | None], object],
                 backoff: tuple[float, float] = (1.0, 60.0), ping_after: float = 20.0, timeout: float = 10.0):
        self.host, self.port, self.username, self.secret = host, port, username, secret
        self.tracker = tracker
        self.on_event, self.on_state = on_event, on_state
        self.backoff_first, self.backoff_max = backoff
        self.ping_after, self.timeout = ping_after, timeout
        self.ids = itertools.count(1)
        self.sessions = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until `stop` is set."""
        pause = self.backoff_first
        while not stop.is_set():
            try:
                await self._session(stop)
                pause = self.backoff_first
                error = "the connection was closed by Asterisk"
            except AmiLoginError as exc:
                error = f"login refused: {exc}"
            except (TimeoutError, OSError, ProtocolError, asyncio.IncompleteReadError) as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if stop.is_set():
                break
            log.warning("AMI %s:%s: %s; reconnecting in %.0f s", self.host, self.port, error, pause)
            await asyncio.to_thread(self.on_state, False, error)
            try:
                await asyncio.wait_for(stop.wait(), timeout=pause)
            except TimeoutError:
                pass
            pause = min(pause * 2, self.backoff_max)
        await asyncio.to_thread(self.on_state, False, None)

    async def _read(self, reader: asyncio.StreamReader, parser: Parser, pending: list[dict]) -> dict:
        while not pending:
            data = await asyncio.wait_for(reader.read(65536), timeout=self.timeout)
            if not data:
                raise ConnectionResetError("connection closed")
            pending.extend(parser.feed(data))
        return pending.pop(0)

    async def _login(self, reader, writer, parser: Parser, pending: list[dict]) -> None:
        action_id = f"rc-{next(self.ids)}"
        writer.write(encode({"Action": "Login", "ActionID": action_id, "Username": self.username,
                             "Secret": self.secret, "Events": "on"}))
        await writer.drain()
        while True:
            message = await self._read(reader, parser, pending)
            if message.get("ActionID") == action_id and "Response" in message:
                if message["Response"].lower() != "success":
                    raise AmiLoginError(message.get("Message", "authentication failed"))
                return

    async def _session(self, stop: asyncio.Event) -> None:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), timeout=self.timeout)
        parser, pending = Parser(), []
        try:
            await self._login(reader, writer, parser, pending)
            self.sessions += 1
            log.info("AMI %s:%s connected (%s)", self.host, self.port, parser.banner)
            await asyncio.to_thread(self.on_state, True, "")
            await self._events(reader, writer, parser, pending, stop)
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass

    async def _events(self, reader, writer, parser: Parser, pending: list[dict], stop: asyncio.Event) -> None:
        silent = 0
        while not stop.is_set():
            if not pending:
                try:
                    data = await asyncio.wait_for(reader.read(65536), timeout=self.ping_after)
                except TimeoutError:
                    silent += 1
                    if silent > 1:
                        raise ConnectionResetError("no answer to a ping") from None
                    writer.write(encode({"Action": "Ping", "ActionID": f"rc-{next(self.ids)}"}))
                    await writer.drain()
                    continue
                if not data:
                    return
                silent = 0
                pending.extend(parser.feed(data))
                continue
            message = pending.pop(0)
            for event in self.tracker.feed(message):
                await asyncio.to_thread(self.on_event, event)
