"""`raccordo telephony_ami`: the worker that keeps the Asterisk manager connection open.

`raccordo serve` starts it beside the web server and the Huey consumer (not as a Huey task: a connection held
for days would take one of Huey's workers for ever, and a Huey restart would drop calls in the middle). It
never exits on its own: with Asterisk switched off in Settings → Telephony it waits and looks again every
RECHECK seconds; when the settings change it reconnects with the new ones; a dropped line is reopened with
backoff (1 s, 2 s, 4 s ... up to a minute). Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from raccordo.telephony.ami.client import AmiClient
from raccordo.telephony.ami.tracker import CallTracker
from raccordo.telephony.contract import CallEventInput
from raccordo.telephony.models import Extension
from raccordo.telephony.services import pbx_state_report, record_event, telephony_settings

log = logging.getLogger("raccordo.telephony.ami")
RECHECK = 15.0


def _config() -> tuple:
    close_old_connections()
    row = telephony_settings()
    return (row.ami_enabled and bool(row.ami_host and row.ami_username), row.ami_host, row.ami_port,
            row.ami_username, row.ami_secret, row.ami_recording_url)


def _extensions() -> set[str]:
    close_old_connections()
    return set(Extension.objects.values_list("number", flat=True))


def _record(event: CallEventInput) -> None:
    close_old_connections()
    try:
        record_event(event=event)
    except Exception as exc:  # one bad event must not stop the calls that follow
        log.exception("call event %s of %s not recorded", event.event, event.call_id)
        pbx_state_report(provider="asterisk", error=f"{event.event} {event.call_id}: {exc}")


def _state(connected: bool, error: str | None) -> None:
    close_old_connections()
    pbx_state_report(provider="asterisk", connected=connected, error=error or None)


class Command(BaseCommand):
    help = "Keep the connection to the Asterisk Manager Interface open and record its calls (started by serve)."

    def handle(self, *args, **options):
        asyncio.run(self._main())

    async def _main(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.supervise(stop)

    async def supervise(self, stop: asyncio.Event) -> None:
        """Connect while Asterisk is switched on, follow the settings, until `stop` is set."""
        while not stop.is_set():
            try:
                await self._connect_while_unchanged(stop)
            except Exception:  # the database away for a moment, a migration not run yet: wait and retry
                log.exception("telephony worker: retrying")
            try:
                await asyncio.wait_for(stop.wait(), timeout=RECHECK)
            except TimeoutError:
                pass

    async def _connect_while_unchanged(self, stop: asyncio.Event) -> None:
        config = await asyncio.to_thread(_config)
        enabled, host, port, username, secret, recording = config
        if not enabled:
            return
        extensions = await asyncio.to_thread(_extensions)
        tracker = CallTracker(is_extension=lambda n: n in extensions, recording_url=recording)
        client = AmiClient(host=host, port=port, username=username, secret=secret, tracker=tracker,
                           on_event=_record, on_state=_state)
        session_stop = asyncio.Event()
        task = asyncio.create_task(client.run(session_stop))
        try:
            while not stop.is_set() and not task.done():
                try:
                    await asyncio.wait_for(stop.wait(), timeout=RECHECK)
                except TimeoutError:
                    pass
                if await asyncio.to_thread(_config) != config:
                    log.info("telephony settings changed: reconnecting")
                    break
                # New extensions take effect without reconnecting.
                extensions.clear()
                extensions.update(await asyncio.to_thread(_extensions))
        finally:
            # Cancelled, not waited for: a read may be waiting for the next ping, and a stop must be prompt.
            session_stop.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await asyncio.to_thread(_state, False, None)
