"""Background work of the 1C endpoint: imports that outlast a request, the end of an exchange, housekeeping.

The protocol's modes (`catalog`) queue these tasks; the tasks call only the worker's side
(`catalog_import`, `housekeeping`), which never imports this module.
"""

from __future__ import annotations

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import catalog_import, housekeeping


@db_task()
def import_file(file_id: str) -> None:
    """Import one uploaded CommerceML file of a session through the engine."""
    catalog_import.file_import(file_id)


@db_task()
def finish_session(session_id: str) -> None:
    """End a catalog exchange: deactivate what a full catalog no longer lists."""
    catalog_import.session_finish(session_id)


def finish_later(session_id) -> None:
    """Queue the end of an exchange once the transaction that decided it is committed."""
    transaction.on_commit(lambda: finish_session(str(session_id)))


@db_periodic_task(crontab(minute="*"))
def finish_idle_sessions() -> None:
    """End the catalog exchanges 1C left open (older clients never say `complete`)."""
    catalog_import.sessions_finish_idle(queue=finish_later)


@db_periodic_task(crontab(minute="17", hour="*/6"))
def cleanup_sessions() -> None:
    """Remove old session directories and request logs (see each node's retention)."""
    housekeeping.sessions_cleanup()
