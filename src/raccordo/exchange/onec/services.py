"""The 1C site-exchange protocol (Bitrix's 1c_exchange.php): sessions, uploads, archives, imports, orders.

The view parses a request and calls one function here per mode; each returns an `Answer` or raises
`ProtocolError`, which the view turns into `failure` with the reason. The catalog import itself is
the exchange engine's (`exchange_import`), run by a Huey worker so that a request returns within its
time budget (`progress`) while the worker goes on between 1C's requests.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import logging
import re
import secrets
import shutil
import stat
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access import policy, throttle
from raccordo.core.context import change_context
from raccordo.core.errors import exception_text
from raccordo.core.models import Origin
from raccordo.exchange.conflicts import CONFLICT
from raccordo.exchange.engine import RunRecorder, finish_run, start_run
from raccordo.exchange.exporters.orders import STATUS_TEXT, orders_acknowledge, orders_export
from raccordo.exchange.formats.commerceml import reader as cml_reader
from raccordo.exchange.formats.commerceml import records as cml
from raccordo.exchange.formats.commerceml.writer import SUPPORTED_VERSIONS as ORDER_VERSIONS
from raccordo.exchange.importers.catalog import CatalogImporter
from raccordo.exchange.importers.documents import REFUSED, REQUISITES
from raccordo.exchange.models import ExchangeNode, Run, RunItem, RunStatus
from raccordo.exchange.services import exchange_import, path_inside
from raccordo.sales.models import InvoiceStatus

from .models import FileKind, FileStatus, OneCFile, OneCRequest, OneCSession, OneCSettings, SessionStatus

log = logging.getLogger(__name__)

COOKIE_NAME = "raccordo_1c"
# A run a worker has not started after this long means no worker is running.
WORKER_STALL = getattr(settings, "ONEC_WORKER_STALL", 600)

EXECUTABLE = {
    ".exe", ".bat", ".cmd", ".com", ".ps1", ".psm1", ".sh", ".bash", ".js", ".mjs", ".vbs", ".vbe", ".wsf",
    ".php", ".php3", ".php4", ".php5", ".php7", ".phtml", ".phar", ".py", ".pyc", ".pl", ".cgi", ".rb", ".jsp",
    ".asp", ".aspx", ".msi", ".dll", ".so", ".scr", ".jar", ".hta", ".htaccess", ".lnk", ".reg", ".cpl",
}
XML_MAGIC = (b"<?xml", b"\xef\xbb\xbf<?xml")
ZIP_MAGIC = b"PK\x03\x04"
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1024 * 1024


class ProtocolError(Exception):
    """A request 1C must be told `failure` about, with the reason on the next line."""

    def __init__(self, reason: str, *, auth_failed: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.auth_failed = auth_failed


@dataclass
class Answer:
    """What the endpoint answers: lines of text (the first is success/progress/failure), or an XML body."""

    lines: list[str]
    body: bytes | None = None
    content_type: str = "text/plain; charset=utf-8"
    cookie: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def first(self) -> str:
        return self.lines[0] if self.lines else ""

    def content(self) -> bytes:
        if self.body is not None:
            return self.body
        return "\n".join(line.replace("\n", " ") for line in self.lines).encode("utf-8")


def success(*lines: str) -> Answer:
    return Answer(["success", *lines])


def progress(*lines: str) -> Answer:
    return Answer(["progress", *lines])


def onec_settings(node: ExchangeNode) -> OneCSettings:
    """The node's 1C exchange settings, created with the defaults the first time they are needed."""
    found = OneCSettings.objects.filter(node=node).first()
    if found is None:
        found, _created = OneCSettings.objects.get_or_create(node=node)
    return found


# --- authentication and sessions ------------------------------------------------------------------------------------


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(login, password) of an `Authorization: Basic ...` header; 1C encodes them as UTF-8 (old ones: cp1251)."""
    scheme, _sep, value = (header or "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1251", errors="replace")
    login, sep, password = text.partition(":")
    return (login, password) if sep else None


_DUMMY_HASH: list[str] = []


def _dummy_check(password: str) -> None:
    """Hash the password against a throw-away hash, so an unknown login costs as long as a known one (M5)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(make_password(secrets.token_urlsafe(16)))
    check_password(password, _DUMMY_HASH[0])


def node_authenticate(*, login: str, password: str, remote_addr: str | None) -> ExchangeNode:
    """The node whose exchange credentials these are (one node = one 1C base), or ProtocolError.

    The attempt is counted before the password is checked, in the store all server processes share
    (access.throttle), so parallel guesses cannot get past the limit; unknown logins are hashed too.
    """
    try:
        with throttle.attempt(kind=throttle.ONEC, login=login[:150], ip=remote_addr or ""):
            node = ExchangeNode.objects.filter(login=login, is_active=True).first() if login else None
            if node is None or not node.password_hash:
                _dummy_check(password)
                raise ProtocolError(_("Wrong login or password."), auth_failed=True)
            if not node.check_password(password):
                raise ProtocolError(_("Wrong login or password."), auth_failed=True)
    except throttle.SignInLocked:
        raise ProtocolError(_("Too many wrong passwords from this address: try again in a few minutes."),
                            auth_failed=True) from None
    return node


def session_checkauth(*, node: ExchangeNode, type_: str, remote_addr: str | None) -> tuple[OneCSession, Answer]:
    """checkauth: a new session token, answered as a cookie and as sessid."""
    now = timezone.now()
    with transaction.atomic():
        _make_room(node=node)
        session = OneCSession.objects.create(node=node, token=secrets.token_urlsafe(32), type=type_,
                                             remote_addr=remote_addr, last_seen_at=now)
    answer = success(COOKIE_NAME, session.token, f"sessid={session.token}", f"timestamp={int(now.timestamp())}")
    answer.cookie = session.token
    return session, answer


def _expired(session: OneCSession, cfg: OneCSettings) -> bool:
    return session.last_seen_at < timezone.now() - dt.timedelta(seconds=cfg.session_timeout)


def session_resolve(*, token: str | None, node: ExchangeNode | None, type_: str, mode: str) -> OneCSession:
    """The session a request belongs to: by its token (cookie or sessid), else the node's open one (Basic)."""
    if token:
        session = OneCSession.objects.select_related("node").filter(token=token).first()
        if session is None:
            raise ProtocolError(_("Unknown session: authorise again (checkauth)."))
        if not policy.onec_token_usable(session, type_=type_):
            if not session.node.is_active:
                raise ProtocolError(_("This exchange node is switched off in Raccordo."))
            if session.ended_at is not None:
                raise ProtocolError(_("This exchange is over: authorise again (checkauth)."))
            raise ProtocolError(_("This session was opened for another exchange type: authorise again "
                                  "(checkauth) for this one."))
    elif node is not None:
        session = (OneCSession.objects.select_related("node").filter(
            node=node, type=type_, status__in=[SessionStatus.AUTHORISED, SessionStatus.OPEN], ended_at__isnull=True)
            .order_by("-last_seen_at").first())
        if session is None:
            if mode != "init":
                raise ProtocolError(_("No exchange session is open: send checkauth and init first."))
            with transaction.atomic():
                _make_room(node=node)
                session = OneCSession.objects.create(node=node, token=secrets.token_urlsafe(32), type=type_,
                                                     last_seen_at=timezone.now())
    else:
        raise ProtocolError(_("Not authorised: send checkauth with the exchange login and password first."))
    cfg = onec_settings(session.node)
    if session.status == SessionStatus.CLOSED:
        raise ProtocolError(_("This exchange session was replaced by a newer one: authorise again."))
    if session.status == SessionStatus.EXPIRED or _expired(session, cfg):
        if session.status != SessionStatus.EXPIRED:
            OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.EXPIRED)
        raise ProtocolError(_("The exchange session has expired: authorise again (checkauth)."))
    session.last_seen_at = timezone.now()
    OneCSession.objects.filter(pk=session.pk).update(last_seen_at=session.last_seen_at)
    return session


def _importing(session: OneCSession) -> bool:
    """Whether a run of this session (a file's import or the end of the exchange) is running right now."""
    if session.files.filter(run__status=RunStatus.RUNNING).exists():
        return True
    return bool(session.finish_run_id
                and Run.objects.filter(pk=session.finish_run_id, status=RunStatus.RUNNING).exists())


def _session_close(session: OneCSession, *, message: str, drop_files: bool) -> None:
    """Close a session that will never be continued; drop its upload directory if nothing of it was imported.

    A catalog exchange whose files were all imported is over, not lost: its end (deactivation) is started.
    """
    if session.type == "catalog" and session.status == SessionStatus.OPEN and not session.finish_run_id:
        states = _xml_states(session)
        if states and states <= {"imported", "failed"}:
            session_finish_start(session=session, explicit=False)
            return
    OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.CLOSED, message=message)
    if drop_files and not session.files.filter(run__isnull=False).exists():
        # Only uploads that were never imported: nothing a later look at the exchange (or its end) needs.
        shutil.rmtree(session.directory, ignore_errors=True)
        OneCSession.objects.filter(pk=session.pk).update(files_removed=True)


def _make_room(*, node: ExchangeNode) -> None:
    """Keep a node's open exchanges within its cap before a new one starts (security finding M6).

    The least recently active ones that import nothing right now are closed; if every open one is
    importing, the new exchange is refused. Runs inside the caller's transaction, with the node locked.
    """
    cfg = onec_settings(node)
    ExchangeNode.objects.select_for_update().filter(pk=node.pk).first()
    open_ = list(OneCSession.objects.filter(node=node, status__in=[SessionStatus.AUTHORISED, SessionStatus.OPEN])
                 .order_by("last_seen_at", "created_at"))
    excess = len(open_) - max(cfg.max_open_sessions, 1) + 1
    if excess <= 0:
        return
    idle = [s for s in open_ if not _importing(s)]
    if len(idle) < excess:
        raise ProtocolError(_("This node already has %(n)s open exchanges that are importing right now (at most "
                              "%(limit)s): try again when one of them has finished.")
                            % {"n": len(open_), "limit": cfg.max_open_sessions})
    for old in idle[:excess]:
        _session_close(old, message=_("Closed: the node reached its limit of open exchanges when a new one "
                                      "started."), drop_files=True)


def _close_previous_sessions(*, session: OneCSession, type_: str) -> None:
    """init starts over (as Bitrix does): close the node's other open exchanges of this type.

    Refused only while another catalog exchange is importing right now; an idle or interrupted one
    is closed with a message. Orders are small and idempotent both ways: they never hold the node.
    Runs inside session_init's transaction, with the node locked.
    """
    others = list(OneCSession.objects.filter(node=session.node, type=type_, status=SessionStatus.OPEN)
                  .exclude(pk=session.pk))
    if type_ == "catalog":
        for other in others:
            if _importing(other):
                raise ProtocolError(_("Another exchange of this node (started %(since)s) is importing right now; "
                                      "try again when it has finished.")
                                    % {"since": timezone.localtime(other.created_at).strftime("%Y-%m-%d %H:%M:%S")})
    for other in others:
        _session_close(other, message=_("Replaced by a newer session: 1C started the exchange over."),
                       drop_files=True)


def _busy(session: OneCSession, cfg: OneCSettings) -> bool:
    """A session that imports right now, or was active moments ago, holds the node."""
    if _importing(session):
        return True
    recent = timezone.now() - dt.timedelta(seconds=cfg.lock_seconds)
    if session.status != SessionStatus.OPEN or session.last_seen_at < recent:
        return False
    # 1C ends an exchange at the first failure: such a session holds nothing any more.
    return session.requests.order_by("-at", "-id").values_list("answer", flat=True).first() != "failure"


def session_init(*, session: OneCSession, type_: str, version: str) -> Answer:
    """init: start a fresh exchange (its own upload directory); answer zip and file_limit."""
    node = session.node
    cfg = onec_settings(node)
    if type_ == "catalog":
        _finish_previous_exchanges(session)
    with transaction.atomic():
        ExchangeNode.objects.select_for_update().filter(pk=node.pk).first()   # one init of a node at a time
        _close_previous_sessions(session=session, type_=type_)
        if session.initialised_at is not None:
            # 1C starts over within the same session: forget what it had uploaded.
            session.files.all().delete()
            shutil.rmtree(session.directory, ignore_errors=True)
            session.finish_run = None
        session.type = type_
        session.version = (version or "")[:16]
        session.status = SessionStatus.OPEN
        session.initialised_at = timezone.now()
        session.save(update_fields=["type", "version", "status", "initialised_at", "finish_run"])
    session.directory.mkdir(parents=True, exist_ok=True)
    lines = [f"zip={'yes' if cfg.zip_allowed else 'no'}", f"file_limit={cfg.file_limit}"]
    if version:
        # Bitrix answers the version it will write orders in (sale.export.1c: `version=2.09`), not an echo.
        lines += [f"sessid={session.token}", f"version={session_orders_version(session=session)}"]
    return Answer(lines)


def session_orders_version(*, session: OneCSession) -> str:
    """The CommerceML version orders are written in for this session.

    The version 1C announced at init (kept on the session) when the orders writer can write it,
    else the node's own version.
    """
    if session.version in ORDER_VERSIONS:
        return session.version
    return session.node.cml_version


# --- file names and uploads -----------------------------------------------------------------------------------------


def safe_name(raw: str) -> str:
    """A file name from 1C as a safe path relative to the session directory, or ProtocolError.

    1C sends `import.xml`, `import_files/ab/x.jpg`, or a local absolute path (`C:\\Temp\\v8_8789_c.xml`,
    `/tmp/v8_8790_c.xml`), of which the base name is kept. Parent steps, drive letters inside the path,
    hidden names and executable extensions are refused.
    """
    name = (raw or "").strip().replace("\\", "/")
    if not name:
        raise ProtocolError(_("No file name was given."))
    if any(ord(ch) < 32 for ch in name) or len(name) > 400:
        raise ProtocolError(_("The file name is not acceptable."))
    if any(p == ".." for p in name.split("/")):
        # Checked before an absolute path is cut to its base name, so `/x/../../y` never passes as `y`.
        raise ProtocolError(_("The file name is not acceptable: it leads out of the exchange directory."))
    if _DRIVE.match(name) or name.startswith("/"):
        # 1C on Windows sends its local temp path, on Linux `/tmp/v8_8790_c.xml` (Bitrix strips `/tmp/`
        # "for 1c server on linux"): the file itself is all that matters.
        name = name.rsplit("/", 1)[-1]
        if _DRIVE.match(name):
            raise ProtocolError(_("The file name is not acceptable: a drive letter."))
    parts = name.split("/")
    parts = [p for p in parts if p not in ("", ".")]
    if not parts or len(parts) > 10:
        raise ProtocolError(_("The file name is not acceptable."))
    for part in parts:
        if part.startswith(".") or ":" in part or len(part) > 200:
            raise ProtocolError(_("The file name is not acceptable."))
    suffixes = {s.lower() for s in PurePosixPath(parts[-1]).suffixes} | {PurePosixPath(parts[-1]).suffix.lower()}
    if suffixes & EXECUTABLE:
        raise ProtocolError(_("Files of this type are not accepted: %(name)s") % {"name": parts[-1]})
    return "/".join(parts)


def file_kind(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return {".xml": FileKind.XML, ".zip": FileKind.ZIP}.get(suffix, FileKind.OTHER)


def _require_open(session: OneCSession, *, complete_too: bool = False) -> None:
    """The session was initialised and is still open. complete_too: also once complete, for the modes that
    legitimately follow it (sale `file` after `success`, a catalog `complete` repeated after `progress`)."""
    if session.initialised_at is None:
        raise ProtocolError(_("The exchange session was not initialised: send init first."))
    allowed = (SessionStatus.OPEN, SessionStatus.COMPLETE) if complete_too else (SessionStatus.OPEN,)
    if session.status not in allowed:
        raise ProtocolError(_("This exchange is over: authorise again (checkauth)."))


def session_end(*, session: OneCSession) -> None:
    """1C was told its exchange is over: the session is complete and its token stops working (finding M6)."""
    OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.COMPLETE, ended_at=timezone.now())


def file_upload(*, session: OneCSession, filename: str, stream, length: int | None = None,
                complete_too: bool = False) -> Answer:
    """file: append a chunk to a file of the session (a chunk that starts a new XML or zip replaces it)."""
    _require_open(session, complete_too=complete_too)
    cfg = onec_settings(session.node)
    name = safe_name(filename)
    directory = session.directory
    path = directory / name
    if not path_inside(directory, path):
        raise ProtocolError(_("The file name is not acceptable: it leads out of the exchange directory."))
    if length is not None and length > cfg.max_upload:
        raise ProtocolError(_("The file is larger than this node accepts."))
    first = b""
    while len(first) < 8:
        piece = stream.read(8 - len(first))
        if not piece:
            break
        first += piece
    with transaction.atomic():
        record, created = OneCFile.objects.select_for_update().get_or_create(
            session=session, name=name, defaults={"kind": file_kind(name)})
        # 1C sends a whole file again after a failure: a chunk that starts a new XML or zip replaces it,
        # but only when what is stored is already a whole file. A chunk of a zip can begin with a member's
        # local header (`PK\x03\x04`) by chance; Bitrix appends unconditionally.
        replace = not created and path.exists() and _starts_new_file(first) and _complete_file(path)
        others = (OneCFile.objects.filter(session=session, archive__isnull=True).exclude(pk=record.pk)
                  .aggregate(s=Sum("size"))["s"] or 0)
        existed = path.exists()
        existing = 0 if replace or not existed else path.stat().st_size
        allowed = cfg.max_upload - others - existing
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path_inside(directory, path.parent):
            raise ProtocolError(_("The file name is not acceptable: it leads out of the exchange directory."))
        written = 0
        with path.open("wb" if replace else "ab") as out:
            piece = first
            while piece:
                written += len(piece)
                if written > allowed:
                    out.truncate(existing)
                    if not existed:
                        path.unlink(missing_ok=True)
                    raise ProtocolError(_("The upload is larger than this node accepts (%(limit)s bytes).")
                                        % {"limit": cfg.max_upload})
                out.write(piece)
                piece = stream.read(_CHUNK)
        record.size = existing + written
        record.chunks = 1 if replace else record.chunks + 1
        if replace:
            record.resent += 1
        if record.status != FileStatus.UPLOADED or record.run_id:
            # Sent again after it was unpacked or imported: it is a new file to process.
            record.status, record.run, record.message = FileStatus.UPLOADED, None, ""
            record.members.all().delete()
        record.save()
    return success()


def _starts_new_file(first: bytes) -> bool:
    return first.startswith(ZIP_MAGIC) or any(first.startswith(m) for m in XML_MAGIC)


_EOCD = b"PK\x05\x06"


def _complete_zip(path: Path) -> bool:
    """Whether a stored zip ends with its end-of-central-directory record (and its comment, if any)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(size - (22 + 65535), 0))
        tail = f.read()
    at = tail.rfind(_EOCD)
    while at >= 0:
        if len(tail) - at >= 22 and at + 22 + int.from_bytes(tail[at + 20:at + 22], "little") == len(tail):
            return True
        at = tail.rfind(_EOCD, 0, at)
    return False


def _complete_file(path: Path) -> bool:
    """Whether what is stored under this name is already a whole zip or a whole CommerceML document."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(ZIP_MAGIC):
        return _complete_zip(path)
    if any(head.startswith(m) for m in XML_MAGIC):
        return _xml_root_closed(path)
    return False


_ROOT_TAG = re.compile(rb"<([^\s>/?!]+)[\s>/]")


def _xml_root_closed(path: Path) -> bool:
    """Whether a stored XML ends with its root element's closing tag (bytes, so any ASCII-based encoding)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(4096)
        f.seek(max(size - 4096, 0))
        tail = f.read()
    # The root is the first start tag after the declaration, comments and doctype.
    body = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", head, flags=re.S)
    found = _ROOT_TAG.search(body)
    if found is None:
        return False
    return re.search(rb"</" + re.escape(found.group(1)) + rb"\s*>\s*$", tail) is not None


# --- archives -------------------------------------------------------------------------------------------------------


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:
        # No UTF-8 flag: 1C (Windows) wrote the name in the OEM code page, which zipfile read as cp437.
        try:
            name = name.encode("cp437").decode("cp866")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


def zip_check(zf: zipfile.ZipFile, *, packed_size: int, max_entries: int, max_total: int,
              max_ratio: int) -> list[zipfile.ZipInfo]:
    """The files of an archive, after its headers passed the limits (entries, unpacked size, ratio).

    Shared by every place that opens an uploaded zip (1C archives, XLSX workbooks); the sizes are
    the headers' word, so whoever unpacks still counts what is really written.
    """
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > max_entries:
        raise ProtocolError(_("The archive holds %(n)s files, more than the %(limit)s this node accepts.")
                            % {"n": len(infos), "limit": max_entries})
    total = sum(i.file_size for i in infos)
    if total > max_total:
        raise ProtocolError(_("The archive unpacks to more than this node accepts (%(limit)s bytes).")
                            % {"limit": max_total})
    packed = max(packed_size, 1)
    if total > _CHUNK and total / packed > max_ratio:
        raise ProtocolError(_("The archive is compressed %(ratio)s:1, more than %(limit)s:1: refused as a zip "
                              "bomb.") % {"ratio": int(total / packed), "limit": max_ratio})
    return infos


def archive_unpack(*, archive: OneCFile) -> int:
    """Unpack an uploaded zip into the session directory within the node's limits; return the files unpacked.

    Every name and size is checked before anything is written; sizes are counted again while
    writing, since an archive's headers can lie.
    """
    session = archive.session
    cfg = onec_settings(session.node)
    directory = session.directory
    try:
        zf = zipfile.ZipFile(archive.path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ProtocolError(_("The archive cannot be read: %(error)s") % {"error": exception_text(exc)}) from exc
    # The budgets hold for the whole exchange: a second archive gets only what the first one left.
    used = OneCFile.objects.filter(session=session, archive__isnull=False).exclude(archive=archive).aggregate(
        n=Count("id"), total=Sum("size"))
    entries_left = max(cfg.zip_max_entries - used["n"], 0)
    total_left = max(cfg.zip_max_total - (used["total"] or 0), 0)
    with zf:
        infos = zip_check(zf, packed_size=archive.size, max_entries=cfg.zip_max_entries,
                          max_total=cfg.zip_max_total, max_ratio=cfg.zip_max_ratio)
        if len(infos) > entries_left or sum(i.file_size for i in infos) > total_left:
            raise ProtocolError(_("The archives of this exchange together hold more than this node accepts "
                                  "(%(entries)s files, %(total)s bytes unpacked); %(used)s files were unpacked "
                                  "before this one.")
                                % {"entries": cfg.zip_max_entries, "total": cfg.zip_max_total, "used": used["n"]})
        members: list[tuple[zipfile.ZipInfo, str]] = []
        for info in infos:
            if info.flag_bits & 0x1:
                raise ProtocolError(_("The archive is encrypted."))
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ProtocolError(_("The archive holds a symbolic link."))
            try:
                name = safe_name(_member_name(info))
            except ProtocolError as exc:
                raise ProtocolError(_("The archive holds a file that is not acceptable (%(name)s): %(reason)s")
                                    % {"name": info.filename[:200], "reason": exc.reason}) from exc
            if not path_inside(directory, directory / name) or name == archive.name:
                raise ProtocolError(_("The archive holds a file that is not acceptable (%(name)s).")
                                    % {"name": info.filename[:200]})
            if file_kind(name) == FileKind.ZIP:
                # Each level of nesting would multiply what a small upload becomes on disk; 1C never nests.
                raise ProtocolError(_("The archive holds another archive (%(name)s): archives inside archives "
                                      "are not unpacked.") % {"name": info.filename[:200]})
            members.append((info, name))
        written_total = 0
        done: list[OneCFile] = []
        try:
            for info, name in members:
                target = directory / name
                target.parent.mkdir(parents=True, exist_ok=True)
                size = 0
                with zf.open(info) as src, target.open("wb") as out:
                    while piece := src.read(_CHUNK):
                        size += len(piece)
                        written_total += len(piece)
                        if size > info.file_size or written_total > total_left:
                            raise ProtocolError(_("The archive unpacks to more than it declares: refused."))
                        out.write(piece)
                member, _created = OneCFile.objects.update_or_create(
                    session=session, name=name,
                    defaults={"kind": file_kind(name), "size": size, "archive": archive,
                              "status": FileStatus.UPLOADED, "run": None, "message": ""})
                done.append(member)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ProtocolError) as exc:
            # Nothing of a refused archive stays behind.
            for _info, name in members:
                (directory / name).unlink(missing_ok=True)
            OneCFile.objects.filter(pk__in=[m.pk for m in done]).delete()
            if isinstance(exc, ProtocolError):
                raise
            raise ProtocolError(_("The archive cannot be unpacked: %(error)s") % {"error": exception_text(exc)}) from exc
    return len(done)


# --- imports --------------------------------------------------------------------------------------------------------


def _run_summary(run: Run) -> str:
    return (_("created %(created)s, updated %(updated)s, unchanged %(unchanged)s, failed %(failed)s, "
              "deactivated %(deactivated)s") % run.counters())


def _file_failed(run: Run) -> bool:
    """Whether a file could not be read at all (the engine then writes nothing of it)."""
    return run.status in (RunStatus.FAILED, RunStatus.STOPPED) or run.items.filter(object_type="file").exists()


def _failure_reason(run: Run) -> str:
    item = run.items.filter(object_type="file").first() or run.items.filter(outcome="failed").first()
    if item is not None:
        where = f" ({item.file}{':' + str(item.line) if item.line else ''})" if item.file else ""
        return f"{item.message}{where}"
    return run.message or _("The import failed.")


def _wait(run: Run, budget: float) -> Run:
    deadline = time.monotonic() + max(budget, 0)
    while True:
        run.refresh_from_db(fields=["status", "progress_done", "progress_total", "message", "created", "updated",
                                    "unchanged", "skipped", "failed", "deactivated", "started_at"])
        if run.status != RunStatus.RUNNING or time.monotonic() >= deadline:
            return run
        time.sleep(min(0.2, max(deadline - time.monotonic(), 0.01)))


def _progress_answer(run: Run) -> Answer:
    if run.progress_done == 0 and run.started_at < timezone.now() - dt.timedelta(seconds=WORKER_STALL):
        raise ProtocolError(_("The import has not started: is the background worker running (raccordo serve)?"))
    total = max(run.progress_total, run.progress_done)
    percent = int(run.progress_done * 100 / total) if total else 0
    return progress(_("%(done)s of %(total)s bytes read (%(percent)s%%)")
                    % {"done": run.progress_done, "total": total, "percent": percent})


def enqueue(task_name: str, pk) -> None:
    """Hand work to the background worker once the transaction that prepared it is committed."""
    from . import tasks

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task(str(pk)))


def _find_file(session: OneCSession, filename: str) -> OneCFile:
    name = safe_name(filename)
    record = session.files.filter(name=name).first()
    if record is None:
        # Unpacked from an archive whose layout differs from the name asked for: match the base name.
        base = PurePosixPath(name).name
        matches = [f for f in session.files.filter(kind=FileKind.XML) if PurePosixPath(f.name).name == base]
        record = matches[0] if len(matches) == 1 else None
    if record is None:
        raise ProtocolError(_("The file %(name)s was not uploaded in this session.") % {"name": name})
    return record


def import_step(*, session: OneCSession, filename: str) -> Answer:
    """import: unpack archives first (one per request), then import the named file within the time budget."""
    _require_open(session)
    cfg = onec_settings(session.node)
    refused = session.files.filter(kind=FileKind.ZIP, status=FileStatus.FAILED).first()
    if refused is not None:
        raise ProtocolError(refused.message or _("The archive was refused."))
    archive = session.files.filter(kind=FileKind.ZIP, status=FileStatus.UPLOADED).order_by("created_at").first()
    if archive is not None:
        try:
            count = archive_unpack(archive=archive)
        except ProtocolError as exc:
            OneCFile.objects.filter(pk=archive.pk).update(status=FileStatus.FAILED, message=exc.reason[:2000])
            raise
        OneCFile.objects.filter(pk=archive.pk).update(status=FileStatus.UNPACKED,
                                                      message=_("%(n)s files unpacked.") % {"n": count})
        return progress(_("Archive %(name)s unpacked: %(n)s files.") % {"name": archive.name, "n": count})

    record = _find_file(session, filename)
    if record.kind != FileKind.XML:
        raise ProtocolError(_("Only CommerceML (.xml) files are imported: %(name)s") % {"name": record.name})
    with transaction.atomic():
        record = OneCFile.objects.select_for_update(of=("self",)).select_related("run").get(pk=record.pk)
        if record.run is None:
            record.run = start_run(node=session.node, files=[PurePosixPath(record.name).name])
            record.status = FileStatus.IMPORTING
            record.save(update_fields=["run", "status", "updated_at"])
            enqueue("import_file", record.pk)
    run = _wait(record.run, cfg.time_budget)
    if run.status == RunStatus.RUNNING:
        return _progress_answer(run)
    if _file_failed(run):
        raise ProtocolError(_failure_reason(run))
    # Not the end of the exchange, whatever the client's version: 1C may upload and import file by file,
    # and the next file can still belong to the same snapshot (see `session_finish_start`).
    return success(_run_summary(run))



def _finishing_elsewhere(session: OneCSession) -> bool:
    """Whether the end of an earlier exchange of the node is still being computed."""
    return OneCSession.objects.filter(node_id=session.node_id, finish_run__status=RunStatus.RUNNING).exclude(
        pk=session.pk).exists()


def file_import(file_id) -> Run | None:
    """The worker's part of `import`: run the engine on one file of a session (no deactivation yet)."""
    record = OneCFile.objects.select_related("session__node", "run").filter(pk=file_id).first()
    if record is None or record.run is None or record.run.status != RunStatus.RUNNING:
        return None   # already done (a task delivered twice) or forgotten
    # The previous exchange's end reads what it listed and deactivates the rest: this exchange's goods
    # must not be written under it (two worker threads take tasks in any order).
    deadline = time.monotonic() + WORKER_STALL
    while _finishing_elsewhere(record.session) and time.monotonic() < deadline:
        time.sleep(0.2)
    run = exchange_import(paths=[record.path], node=record.session.node, run=record.run, deactivate=False)
    failed = _file_failed(run)
    OneCFile.objects.filter(pk=record.pk).update(
        status=FileStatus.FAILED if failed else FileStatus.IMPORTED,
        message=_failure_reason(run)[:2000] if failed else _run_summary(run))
    return run


def _xml_states(session: OneCSession) -> set[str]:
    """The states (see _file_state) of a session's CommerceML files: whether its exchange can end."""
    return {_file_state(f) for f in session.files.filter(kind=FileKind.XML).select_related("run")}


def _file_state(record: OneCFile) -> str:
    """pending / importing / imported / failed, from the file's run (its status field may lag behind)."""
    run = record.run
    if run is None:
        return "pending"
    if run.status == RunStatus.RUNNING:
        return "importing"
    return "failed" if _file_failed(run) else "imported"


def session_finish_start(*, session: OneCSession, explicit: bool, every_catalog: bool = False,
                         since: dt.datetime | None = None) -> Run | None:
    """End a catalog exchange, once: start the run that deactivates what a full catalog did not list.

    An exchange ends at 1C's `complete` or `deactivate` (explicit), when 1C starts the next exchange of
    the node, or after the node's `snapshot_idle` seconds without a request (see `sessions_finish_idle`).
    Deactivation needs every CommerceML file of the exchange imported without a file-level failure;
    otherwise the exchange ends deactivating nothing (explicit: 1C is told why). every_catalog=True is
    `mode=deactivate`: every catalog the exchange listed counts as sent whole, and the files of the
    node's exchanges begun since `since` (its `timestamp`) count as listed too. The run is None when
    there is nothing to deactivate.
    """
    with transaction.atomic():
        session = OneCSession.objects.select_for_update(of=("self",)).select_related("node").get(pk=session.pk)
        if session.finish_run_id:
            return Run.objects.get(pk=session.finish_run_id)
        xml = list(session.files.filter(kind=FileKind.XML).select_related("run"))
        states = [_file_state(f) for f in xml]
        if not xml or any(state != "imported" for state in states):
            if explicit and xml and "importing" in states:
                raise ProtocolError(_("Not every file of the exchange has been imported yet."))
            if explicit and xml and any(state != "imported" for state in states):
                raise ProtocolError(_("Not every file of the exchange was imported: nothing is deactivated."))
            message = "" if all(state == "imported" for state in states) else _(
                "Not every file of the exchange was imported: nothing was deactivated.")
            OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.COMPLETE, message=message)
            return None
        run = start_run(node=session.node, kind="deactivate", files=[PurePosixPath(f.name).name for f in xml])
        run.params = {"every_catalog": every_catalog, "since": since.isoformat() if since else None,
                      "session": str(session.pk)}
        run.save(update_fields=["params"])
        session.finish_run = run
        session.save(update_fields=["finish_run", "updated_at"])
        enqueue("finish_session", session.pk)
    return run


def _snapshot_files(session: OneCSession, since: dt.datetime | None) -> list[OneCFile]:
    """The CommerceML files one snapshot is made of: the session's, and with `deactivate&timestamp` those
    of the node's exchanges begun since then (1C's package export may span them)."""
    files = list(session.files.filter(kind=FileKind.XML).select_related("run").order_by("created_at"))
    if since is not None:
        earlier = (OneCFile.objects.filter(session__node_id=session.node_id, session__type="catalog",
                                           session__initialised_at__gte=since, session__files_removed=False,
                                           kind=FileKind.XML)
                   .exclude(session=session).select_related("run").order_by("created_at"))
        files = [f for f in earlier if _file_state(f) == "imported" and f.path.exists()] + files
    return files


def session_finish(session_id) -> Run | None:
    """The worker's part of the end of an exchange: a full catalog deactivates the products it did not list.

    The files were imported one by one without deactivation; here their catalogs and their goods' and
    offers' ids are read again (reading only, no writes) and the engine's importer deactivates, in each
    catalog sent whole, the node's products of that catalog that none of them listed.
    """
    session = OneCSession.objects.select_related("node", "finish_run").filter(pk=session_id).first()
    if session is None or session.finish_run is None or session.finish_run.status != RunStatus.RUNNING:
        return None
    run = session.finish_run
    node = session.node
    params = run.params or {}
    since = dt.datetime.fromisoformat(params["since"]) if params.get("since") else None
    files = _snapshot_files(session, since)
    if any(_file_state(f) != "imported" for f in files if f.session_id == session.pk):
        return finish_run(run, error=_("Not every file of the exchange was imported: nothing is deactivated."))
    recorder = RunRecorder(run)
    importer = CatalogImporter(node=node, recorder=recorder)
    try:
        with change_context(origin=Origin.EXCHANGE, node=node.code, request_id=f"run-{run.pk}"):
            for record in files:
                with record.path.open("rb") as raw:
                    for rec in cml_reader.read(raw):
                        if isinstance(rec, cml.PackageInfo):
                            importer.note_package(rec)
                        elif isinstance(rec, cml.ProductRec):
                            importer.seen.add(rec.id)
                        elif isinstance(rec, cml.OfferRec):
                            importer.seen_offers.add(rec.id)
            every = bool(params.get("every_catalog"))
            full = every or importer.full_snapshot
            importer.finish(all_files_ok=True, every_catalog=every)
    except Exception as exc:  # the run closes with its reason; the exchange's data stays as imported
        run.refresh_from_db()
        log.exception("1C session %s: deactivation failed", session.pk)
        return finish_run(run, error=f"{type(exc).__name__}: {exception_text(exc)}")
    finished = finish_run(run, note="" if full else _("Only changes were sent: nothing to deactivate."))
    OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.COMPLETE)
    return finished


def _parse_timestamp(value: str | None) -> dt.datetime | None:
    """`deactivate`'s timestamp: the Unix time checkauth answered (Bitrix: what was not touched since)."""
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC) if value else None
    except (TypeError, ValueError, OverflowError, OSError):
        raise ProtocolError(_("The timestamp is not a Unix time: %(value)s") % {"value": value[:40]}) from None  # type: ignore[index]  # only a non-empty value reaches int()


def session_complete(*, session: OneCSession, deactivate: bool = False, timestamp: str | None = None) -> Answer:
    """deactivate / complete: the exchange is over; deactivate once every file succeeded.

    `complete` deactivates in the catalogs whose files say they are whole; `deactivate` (the end of a
    package export, whose files all say "changes only") in every catalog the exchange listed.
    """
    cfg = onec_settings(session.node)
    # A repeated `complete` (after `progress`) finds the session complete already: it learns the outcome.
    _require_open(session, complete_too=True)
    try:
        since = _parse_timestamp(timestamp) if deactivate else None
        if since is not None and session.initialised_at is not None and since > session.initialised_at:
            since = None   # a timestamp after this exchange began adds nothing to it
        run = session_finish_start(session=session, explicit=True, every_catalog=deactivate, since=since)
        if run is None:
            _end_unless_deactivate(session, deactivate)
            return success()
        run = _wait(run, cfg.time_budget)
        if run.status == RunStatus.RUNNING:
            return _progress_answer(run)   # 1C asks again with the same token: it stays valid until then
        if run.status == RunStatus.FAILED:
            raise ProtocolError(run.message or _("The deactivation failed."))
    except ProtocolError:
        _end_unless_deactivate(session, deactivate)   # 1C ends the exchange at a failure too
        raise
    _end_unless_deactivate(session, deactivate)
    return success(_("deactivated %(n)s") % {"n": run.deactivated})


def _end_unless_deactivate(session: OneCSession, deactivate: bool) -> None:
    # 1C follows `deactivate` with `complete` on the same token; `complete` is the end.
    if deactivate:
        OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.COMPLETE)
    else:
        session_end(session=session)


def _finish_previous_exchanges(session: OneCSession) -> None:
    """A new catalog exchange of a node ends the node's earlier ones that 1C never closed (older clients
    send no `complete`): their snapshots are taken as they stand, before anything new is imported."""
    cfg = onec_settings(session.node)
    earlier = (OneCSession.objects.filter(node_id=session.node_id, type="catalog", status=SessionStatus.OPEN,
                                          finish_run__isnull=True, initialised_at__isnull=False)
               .exclude(pk=session.pk).order_by("initialised_at"))
    for other in earlier:
        states = _xml_states(other)
        if not states or states & {"importing", "pending"}:
            # Still importing (the new exchange is refused), or interrupted before its files were imported
            # (it is closed as replaced, deactivating nothing): see _close_previous_sessions.
            continue
        run = session_finish_start(session=other, explicit=False)
        if run is not None:
            _wait(run, cfg.time_budget)


def sessions_finish_idle(*, now: dt.datetime | None = None) -> int:
    """End the catalog exchanges that 1C left open and idle for their node's `snapshot_idle` seconds.

    Run by the worker every minute; returns how many exchanges it ended.
    """
    now = now or timezone.now()
    ended = 0
    for session in (OneCSession.objects.filter(type="catalog", status=SessionStatus.OPEN, finish_run__isnull=True,
                                               initialised_at__isnull=False)
                    .select_related("node").order_by("initialised_at")):
        cfg = onec_settings(session.node)
        if session.last_seen_at > now - dt.timedelta(seconds=cfg.snapshot_idle):
            continue
        if session.files.filter(run__status=RunStatus.RUNNING).exists():
            continue
        session_finish_start(session=session, explicit=False)
        ended += 1
    return ended


# --- orders (type=sale) ---------------------------------------------------------------------------------------------


def sale_query(*, session: OneCSession) -> Answer:
    """query: the orders new or changed since the last acknowledged export, as CommerceML in the node's encoding."""
    node = session.node
    out = io.BytesIO()
    with change_context(origin=Origin.EXCHANGE, node=node.code):
        count = orders_export(node=node, out=out, acknowledge=False, version=session_orders_version(session=session))
    node.refresh_from_db()
    charset = (node.encoding or "windows-1251").lower()
    answer = Answer(["success", _("%(n)s orders") % {"n": count}], body=out.getvalue(),
                    content_type=f"application/xml; charset={charset}")
    answer.extra["count"] = count
    return answer


def sale_complete(*, session: OneCSession) -> Answer:
    """complete (type=sale): 1C is done with orders for now; the session's token stops working."""
    session_end(session=session)
    return success()


def sale_success(*, session: OneCSession) -> Answer:
    """success: 1C loaded what the last query returned; it will not be sent again."""
    orders_acknowledge(node=session.node)
    OneCSession.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(status=SessionStatus.COMPLETE)
    return success()


# Element names of Bitrix's sale.export.1c dictionary, as its Russian messages spell them; "Cтатусы" begins
# with a Latin C there, and the 1C-Bitrix module reads what Bitrix writes.
_INFO_ROOT, _INFO_STATUSES, _INFO_PAYMENTS, _INFO_DELIVERIES = "Справочник", "Cтатусы", "ПлатежныеСистемы", \
    "СлужбыДоставки"


def sale_info(*, session: OneCSession) -> Answer:
    """info (type=sale): the dictionary the 1C-Bitrix module maps its own order statuses, payment and delivery to.

    Statuses are the invoice statuses that orders are sent with (named as in the orders' "Статус заказа");
    Raccordo keeps no payment systems or delivery services, so those lists are empty.
    """
    node = session.node
    charset = (node.encoding or "windows-1251").lower()
    items = "".join(
        f"<Элемент><Ид>{xml_escape(status.value)}</Ид><Название>{xml_escape(str(STATUS_TEXT[status]))}</Название>"
        "</Элемент>" for status in InvoiceStatus if status in STATUS_TEXT)
    text = (f'<?xml version="1.0" encoding="{charset}"?>\n<{_INFO_ROOT}><{_INFO_STATUSES}>{items}</{_INFO_STATUSES}>'
            f"<{_INFO_PAYMENTS}></{_INFO_PAYMENTS}><{_INFO_DELIVERIES}></{_INFO_DELIVERIES}></{_INFO_ROOT}>")
    return Answer(["success"], body=text.encode(charset, errors="xmlcharrefreplace"),
                  content_type=f"application/xml; charset={charset}")


def sale_file(*, session: OneCSession, filename: str, stream, length: int | None) -> Answer:
    """file (type=sale): 1C's order documents; stored in the session, then applied at once (they are small)."""
    if session.status == SessionStatus.AUTHORISED:
        session.directory.mkdir(parents=True, exist_ok=True)
        OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.OPEN, initialised_at=timezone.now())
        session.status, session.initialised_at = SessionStatus.OPEN, timezone.now()
    # 1C sends its order documents after `success` as well as before `query`.
    file_upload(session=session, filename=filename, stream=stream, length=length, complete_too=True)
    record = _find_file(session, filename)
    if record.kind == FileKind.XML and _complete_xml(record.path):
        return sale_import(session=session, filename=filename)
    return success()


def _complete_xml(path: Path) -> bool:
    """Whether an uploaded XML ends with its root's closing tag (1C may send a document in chunks)."""
    with path.open("rb") as f:
        f.seek(max(path.stat().st_size - 4096, 0))
        tail = f.read()
    for encoding in ("utf-8", "cp1251"):
        try:
            text = tail.decode(encoding, errors="ignore")
        except LookupError:
            continue
        if re.search(r"</(\w+:)?КоммерческаяИнформация>\s*$", text):
            return True
    return False


def sale_import(*, session: OneCSession, filename: str) -> Answer:
    """Apply 1C's order documents (statuses, 1C numbers, payments, shipments) through the engine, synchronously.

    1C is told the truth: `success` with how many documents and requisites were applied and which were
    refused (a refused requisite does not stop the rest of its document); `failure` with the reason when
    a document was refused whole (outside the node's scope, or it could not be applied at all), so 1C
    sends it again and its log says why. The documents it did apply are unchanged replays next time."""
    record = _find_file(session, filename)
    if record.kind != FileKind.XML:
        raise ProtocolError(_("Only CommerceML (.xml) files are imported: %(name)s") % {"name": record.name})
    if record.run_id and record.status in (FileStatus.IMPORTED, FileStatus.FAILED):
        run: Run = record.run  # type: ignore[assignment]  # an imported or failed file has its run
    else:
        run = exchange_import(paths=[record.path], node=session.node, deactivate=False)
        failed = _file_failed(run) or bool(_documents_refused(run))
        OneCFile.objects.filter(pk=record.pk).update(
            run=run, status=FileStatus.FAILED if failed else FileStatus.IMPORTED,
            message=(_failure_reason(run) if _file_failed(run) else _sale_refusal(run) if failed
                     else _sale_summary(run))[:2000])
    if _file_failed(run):
        raise ProtocolError(_failure_reason(run))
    if _documents_refused(run):
        raise ProtocolError(_sale_refusal(run))
    return success(*_sale_summary(run).split("\n"))


def _documents_refused(run: Run) -> list[RunItem]:
    """The documents of a run not applied at all: refused (outside the node's scope) or failed."""
    return list(run.items.filter(object_type="sales.invoice", outcome__in=(REFUSED, "failed")).order_by("id")[:20])


def _sale_refusal(run: Run) -> str:
    """Why documents were refused whole, one per line, after the counts (1C shows the answer in its log)."""
    lines = [_sale_counts(run)] + [item.message for item in _documents_refused(run)]
    return "\n".join(lines)


def _sale_counts(run: Run) -> str:
    counts = (run.params or {}).get(REQUISITES) or {}
    return (_("documents: created %(created)s, updated %(updated)s, unchanged %(unchanged)s, skipped %(skipped)s, "
              "failed %(failed)s") % run.counters()
            + "; " + _("requisites: applied %(applied)s, refused %(refused)s") % {
                "applied": counts.get("applied", 0), "refused": counts.get("refused", 0)})


def _sale_summary(run: Run) -> str:
    """The counts, then each refused requisite with its reason (a conflict waits on the run's page)."""
    refused = run.items.filter(object_type="sales.invoice", outcome__in=(CONFLICT, "skipped")).order_by("id")[:20]
    return "\n".join([_sale_counts(run)] + [item.message for item in refused])


# --- housekeeping ---------------------------------------------------------------------------------------------------


def sessions_cleanup(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remove the upload directories of sessions older than their node's retention, and old request logs."""
    now = now or timezone.now()
    removed = logs = 0
    for cfg in OneCSettings.objects.select_related("node"):
        old = now - dt.timedelta(days=cfg.keep_days)
        for session in OneCSession.objects.filter(node=cfg.node, files_removed=False, last_seen_at__lt=old):
            if _busy(session, cfg) and session.last_seen_at >= now - dt.timedelta(days=1):
                continue
            shutil.rmtree(session.directory, ignore_errors=True)
            OneCSession.objects.filter(pk=session.pk).update(files_removed=True)
            if session.status in (SessionStatus.OPEN, SessionStatus.AUTHORISED):
                OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.EXPIRED)
            removed += 1
        logs += OneCRequest.objects.filter(node=cfg.node, at__lt=now - dt.timedelta(days=cfg.log_keep_days)).delete()[0]
    # Nodes never configured use the defaults; failed logins of unknown logins are kept a day.
    default = OneCSettings()
    for session in OneCSession.objects.filter(files_removed=False,
                                              last_seen_at__lt=now - dt.timedelta(days=default.keep_days)).exclude(
            node__onec_settings__isnull=False):
        shutil.rmtree(session.directory, ignore_errors=True)
        OneCSession.objects.filter(pk=session.pk).update(files_removed=True)
        removed += 1
    logs += OneCRequest.objects.filter(Q(node__isnull=True), at__lt=now - dt.timedelta(days=1)).delete()[0]
    return {"sessions": removed, "requests": logs}
