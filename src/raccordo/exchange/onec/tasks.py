"""Background work of the 1C endpoint: imports that outlast a request, the end of an exchange, housekeeping."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


@db_task()
def import_file(file_id: str) -> None:
    """Import one uploaded CommerceML file of a session through the engine."""
    services.file_import(file_id)


@db_task()
def finish_session(session_id: str) -> None:
    """End a catalog exchange: deactivate what a full catalog no longer lists."""
    services.session_finish(session_id)


@db_periodic_task(crontab(minute="*"))
def finish_idle_sessions() -> None:
    """End the catalog exchanges 1C left open (older clients never say `complete`)."""
    services.sessions_finish_idle()


@db_periodic_task(crontab(minute="17", hour="*/6"))
def cleanup_sessions() -> None:
    """Remove old session directories and request logs (see each node's retention)."""
    services.sessions_cleanup()
