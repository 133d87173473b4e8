"""The 1C site-exchange protocol (Bitrix's 1c_exchange.php), one function per mode, as the view calls them.

The view parses a request and calls one function here per mode; each returns an `Answer` or raises
`ProtocolError`, which the view turns into `failure` with the reason. The modes live by concern:
`auth` (who is asking), `sessions` (checkauth, init), `files` (uploads, archives), `catalog` (import and
the end of an exchange, run by the worker in `catalog_import`), `sale` (orders), `housekeeping`.
This module gathers them so the view (and its tests) name one place.
"""

from __future__ import annotations

from .auth import basic_credentials, node_authenticate
from .catalog import import_step, session_complete, session_finish_start, sessions_finish_idle
from .catalog_import import file_import, session_finish
from .files import archive_unpack, file_kind, file_upload, safe_name
from .housekeeping import sessions_cleanup
from .protocol import COOKIE_NAME, Answer, ProtocolError, onec_settings, progress, session_end, success
from .sale import sale_complete, sale_file, sale_import, sale_info, sale_query, sale_success
from .sessions import session_checkauth, session_init, session_orders_version, session_resolve

__all__ = [
    "COOKIE_NAME", "Answer", "ProtocolError", "archive_unpack", "basic_credentials", "file_import", "file_kind",
    "file_upload", "import_step", "node_authenticate", "onec_settings", "progress", "safe_name", "sale_complete",
    "sale_file", "sale_import", "sale_info", "sale_query", "sale_success", "session_checkauth", "session_complete",
    "session_end", "session_finish", "session_finish_start", "session_init", "session_orders_version",
    "session_resolve", "sessions_cleanup", "sessions_finish_idle", "success",
]
