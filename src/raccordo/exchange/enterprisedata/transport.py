"""Where EnterpriseData messages are read and written: a folder or an FTP directory, plain or zipped.

The exchange itself (`services`) does not know where messages live: it asks a `MessageTransport` for
1C's newest message and hands it a writer for ours. Three transports exist: as in SSL's
`ТранспортСообщенийОбмена`, FILE (`FolderTransport`) and FTP (`FtpTransport`, passive, optionally FTPS); and 1C's
web service EnterpriseDataExchange_1_0_1_1 with Raccordo as its client (`webservice.WebServiceTransport`).

File names follow 1C's `ИмяФайлаСообщенияОбмена`: ``Message_<sender>_<recipient>``, or, when the sender's
code is a 36-character GUID and its infobase prefix is set, ``Message_<prefix>_<sender>_<recipient>``;
``.xml``, or ``.zip`` (one member, the ``.xml``) when compression is on. 1C receives with the pattern
``Message*_<sender>_<recipient>.*`` and takes the newest file by modification time, skipping empty ones; we
do the same, so both forms are found. Ours is written under a temporary name and renamed: the reader never
sees half a file. A zip from 1C is opened as hostile (`uploads.zip_check`: one member, no path, bounded
size and ratio) and unpacked into a temporary file, counting what is really written.
"""

from __future__ import annotations

import ftplib
import os
import shutil
import ssl
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from django.utils.translation import gettext as _

from raccordo.exchange.formats.enterprisedata.envelope import EnvelopeError
from raccordo.exchange.uploads import UploadRefused, zip_check

GUID_LENGTH = 36
SUFFIXES = (".xml", ".zip")
ZIP_MAGIC = b"PK\x03\x04"
# A zipped message unpacks to at most this much, compressed at most this many times (1C's XML packs ~20:1).
ZIP_MAX_TOTAL = 2 * 1024 ** 3
ZIP_MAX_RATIO = 200
FTP_TIMEOUT = 30
CHUNK = 1024 * 1024

# What writes one message into a binary stream (its return value, a count, is not used here).
Writer = Callable[[IO[bytes]], object]


class TransportError(Exception):
    """The folder, FTP server or web service cannot be used: what failed and where, for people."""


@dataclass(frozen=True)
class Found:
    """One file of the exchange directory: its name, size and modification time (for "newest first")."""

    name: str
    size: int
    mtime: float


def message_stem(sender: str, recipient: str, prefix: str = "") -> str:
    """1C's ИмяФайлаСообщенияОбмена without extension: the long form for GUID codes with a prefix."""
    if len(sender) == GUID_LENGTH and prefix:
        return f"Message_{prefix}_{sender}_{recipient}"
    return f"Message_{sender}_{recipient}"


def is_message_of(name: str, sender: str, recipient: str) -> bool:
    """True when `name` matches 1C's receiving pattern ``Message*_<sender>_<recipient>.*`` (.xml or .zip)."""
    stem, dot, ext = name.rpartition(".")
    # A name from an FTP listing goes back into a command: no path, no line break, no NUL.
    if any(c in name for c in "/\\\r\n\0"):
        return False
    if not dot or f".{ext.lower()}" not in SUFFIXES or not stem.startswith("Message"):
        return False
    middle = stem[len("Message"):]
    tail = f"_{sender}_{recipient}"
    # "" (short form) or "_<prefix>" (long form); a prefix never holds the separator of the codes' pair.
    return middle.endswith(tail) and (middle == tail or middle.startswith("_"))


def newest_message(files: list[Found], sender: str, recipient: str) -> Found | None:
    """1C's choice among the directory's files: the newest non-empty message from `sender` to `recipient`."""
    ours = [f for f in files if f.size != 0 and is_message_of(f.name, sender, recipient)]
    return max(ours, key=lambda f: (f.mtime, f.name), default=None)


class MessageTransport(Protocol):
    """A place messages are read from and written to; `where` names it for people (a path, ftp://host/dir)."""

    where: str

    def listing(self) -> list[Found]: ...

    def download(self, name: str, out: IO[bytes]) -> None: ...

    def put(self, name: str, write: Writer) -> None: ...

    def remove(self, name: str) -> None: ...

    def local_path(self, name: str) -> Path | None: ...

    def close(self) -> None: ...


class FolderTransport:
    """A local or mounted folder (1C's FILE transport)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.where = str(self.folder)
        if not folder or not self.folder.is_dir():
            raise TransportError(_("The folder %(path)s does not exist.") % {"path": folder or "-"})

    def listing(self) -> list[Found]:
        found = []
        for entry in os.scandir(self.folder):
            if entry.is_file():
                st = entry.stat()
                found.append(Found(entry.name, st.st_size, st.st_mtime))
        return found

    def local_path(self, name: str) -> Path | None:
        return self.folder / name

    def download(self, name: str, out: IO[bytes]) -> None:
        with (self.folder / name).open("rb") as src:
            shutil.copyfileobj(src, out, CHUNK)

    def put(self, name: str, write: Writer) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".raccordo-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def remove(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)

    def close(self) -> None:
        """Nothing is held open."""


@dataclass(frozen=True)
class FtpSettings:
    """How to reach an FTP directory (the password is kept as given: it must be sent to the server)."""

    host: str
    port: int = 21
    user: str = "anonymous"
    password: str = ""
    directory: str = ""
    tls: bool = False
    timeout: float = FTP_TIMEOUT

    @property
    def where(self) -> str:
        return f"ftp{'s' if self.tls else ''}://{self.host}:{self.port}/{self.directory.strip('/')}"


class FtpTransport:
    """An FTP directory (1C's FTP transport), passive mode; FTPS (explicit TLS) when `tls` is set."""

    def __init__(self, settings: FtpSettings):
        self.settings = settings
        self.where = settings.where
        self.ftp: ftplib.FTP | None = None

    def open(self) -> FtpTransport:
        """Connect, log in and enter the directory; a clear TransportError on any refusal."""
        s = self.settings
        server = f"{s.host}:{s.port}"
        # FTPS checks the server's certificate and name (ftplib's default context checks neither): a bank
        # detail must not go to whoever answers. A server with its own CA is trusted through SSL_CERT_FILE.
        ftp = (ftplib.FTP_TLS(timeout=s.timeout, context=ssl.create_default_context()) if s.tls
               else ftplib.FTP(timeout=s.timeout))
        try:
            ftp.connect(s.host, s.port)
        except (OSError, ftplib.Error) as exc:
            raise TransportError(_("FTP server %(server)s cannot be reached: %(error)s") % {
                "server": server, "error": exc}) from exc
        try:
            ftp.login(s.user, s.password)
        except ftplib.error_perm as exc:
            ftp.close()
            raise TransportError(_("FTP server %(server)s refused the login for user %(user)s: %(error)s") % {
                "server": server, "user": s.user, "error": exc}) from exc
        except (OSError, ftplib.Error) as exc:
            ftp.close()
            raise TransportError(_("FTP server %(server)s failed during login: %(error)s") % {
                "server": server, "error": exc}) from exc
        ftp.set_pasv(True)
        try:
            if isinstance(ftp, ftplib.FTP_TLS):
                ftp.prot_p()       # the data channel too: the messages carry bank details
            if s.directory:
                ftp.cwd(s.directory)
        except (OSError, ftplib.Error) as exc:
            ftp.close()
            raise TransportError(_("FTP server %(server)s: directory %(dir)s cannot be used: %(error)s") % {
                "server": server, "dir": s.directory, "error": exc}) from exc
        self.ftp = ftp
        return self

    def close(self) -> None:
        if self.ftp is not None:
            try:
                self.ftp.quit()
            except (OSError, ftplib.Error):
                self.ftp.close()    # the server went away first: nothing left to say to it
            self.ftp = None

    def _conn(self) -> ftplib.FTP:
        if self.ftp is None:
            raise TransportError(_("FTP connection to %(where)s is not open.") % {"where": self.where})
        return self.ftp

    def _failed(self, what: str, name: str, exc: Exception) -> TransportError:
        templates = {"listing": _("FTP %(where)s: the directory cannot be listed: %(error)s"),
                     "reading": _("FTP %(where)s: %(name)s cannot be read: %(error)s"),
                     "writing": _("FTP %(where)s: %(name)s cannot be written: %(error)s")}
        return TransportError(templates[what] % {"where": self.where, "name": name, "error": exc})

    def listing(self) -> list[Found]:
        ftp = self._conn()
        try:
            rows = list(ftp.mlsd(facts=["type", "size", "modify"]))
        except ftplib.error_perm:
            # A server without MLSD: names only, sizes and times asked one by one.
            return self._listing_nlst(ftp)
        except (OSError, ftplib.Error) as exc:
            raise self._failed("listing", "", exc) from exc
        # A server that gives no size fact: -1, "unknown", which is not "empty" (empty files are skipped).
        return [Found(name, int(facts.get("size", -1)), float(facts.get("modify", "0")))
                for name, facts in rows if facts.get("type") == "file"]

    def _listing_nlst(self, ftp: ftplib.FTP) -> list[Found]:
        found = []
        try:
            for name in ftp.nlst():
                name = name.rsplit("/", 1)[-1]
                if not name.startswith("Message"):
                    continue
                size = ftp.size(name) or 0
                modified = ftp.voidcmd(f"MDTM {name}")[4:].strip()
                found.append(Found(name, size, float(modified or 0)))
        except (OSError, ftplib.Error) as exc:
            raise self._failed("listing", "", exc) from exc
        return found

    def local_path(self, name: str) -> Path | None:
        return None

    def download(self, name: str, out: IO[bytes]) -> None:
        try:
            self._conn().retrbinary(f"RETR {name}", out.write, blocksize=CHUNK)
        except (OSError, ftplib.Error) as exc:
            raise self._failed("reading", name, exc) from exc

    def put(self, name: str, write: Writer) -> None:
        ftp = self._conn()
        tmp = f".raccordo-{os.getpid()}-{name}.tmp"
        with tempfile.TemporaryFile() as spool:
            write(spool)
            spool.seek(0)
            try:
                ftp.storbinary(f"STOR {tmp}", spool, blocksize=CHUNK)
                self._rename(ftp, tmp, name)
            except (OSError, ftplib.Error) as exc:
                self._quiet_delete(ftp, tmp)
                raise self._failed("writing", name, exc) from exc

    @staticmethod
    def _rename(ftp: ftplib.FTP, tmp: str, name: str) -> None:
        try:
            ftp.rename(tmp, name)
        except ftplib.error_perm:
            # Some servers (IIS) refuse to rename over an existing file: remove the old message first.
            # The reader then sees no file for a moment, never half of one.
            ftp.delete(name)
            ftp.rename(tmp, name)

    @staticmethod
    def _quiet_delete(ftp: ftplib.FTP, name: str) -> None:
        try:
            ftp.delete(name)
        except (OSError, ftplib.Error):
            pass    # already gone, or the connection is: the original error is the one to report

    def remove(self, name: str) -> None:
        self._quiet_delete(self._conn(), name)


# ------------------------------------------------------------------------------------------------ zip


def _refused(name: str, reason: str) -> EnvelopeError:
    return EnvelopeError(reason, "exchange.enterprisedata.zip", file=name)


def _unzip_one(archive: IO[bytes], name: str, packed_size: int, out: IO[bytes]) -> str:
    """Unpack the one member of a zipped message into `out`; its name. Hostile archives are refused."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise _refused(name, _("The file is not a readable zip archive: %(error)s") % {"error": exc}) from exc
    with zf:
        # 1C zips one message and reads the first member; a second one (or a folder) is not 1C's doing.
        if len(zf.infolist()) != 1:
            raise _refused(name, _("A zipped message holds exactly one file; this one holds %(n)s.") % {
                "n": len(zf.infolist())})
        try:
            infos = zip_check(zf, packed_size=packed_size, max_entries=1, max_total=ZIP_MAX_TOTAL,
                              max_ratio=ZIP_MAX_RATIO)
        except UploadRefused as exc:
            raise _refused(name, exc.reason) from exc
        if not infos:
            raise _refused(name, _("A zipped message holds exactly one file; this one holds %(n)s.") % {"n": 0})
        member = infos[0]
        if "/" in member.filename or "\\" in member.filename or member.filename in ("", ".", ".."):
            raise _refused(name, _("The zipped message's file %(member)s has a path; refused.") % {
                "member": member.filename})
        written = 0
        # The header's size is the sender's word: count what really comes out.
        with zf.open(member) as src:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > member.file_size or written > ZIP_MAX_TOTAL:
                    raise _refused(name, _("The zipped message unpacks to more than its header says; refused."))
                out.write(chunk)
        return member.filename


@contextmanager
def open_message(transport: MessageTransport, found: Found) -> Iterator[IO[bytes]]:
    """1C's message as a readable stream: the folder's file itself, or a local copy; unzipped when a zip."""
    local = transport.local_path(found.name)
    with tempfile.TemporaryFile() as copy, tempfile.TemporaryFile() as plain:
        if local is not None:
            source: IO[bytes] = local.open("rb")
            packed = local.stat().st_size
        else:
            transport.download(found.name, copy)
            packed = copy.tell()     # what really came, whatever the listing said
            copy.seek(0)
            source = copy
        try:
            head = source.read(len(ZIP_MAGIC))
            source.seek(0)
            if head != ZIP_MAGIC:
                yield source
                return
            _unzip_one(source, found.name, packed, plain)
            plain.seek(0)
            yield plain
        finally:
            if source is not copy:
                source.close()


def zipped(name: str, write: Writer) -> Writer:
    """A writer that puts what `write` writes into a zip holding one member `name` (1C's ЗаписьZipФайла)."""
    def write_zip(out: IO[bytes]) -> None:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf, zf.open(name, "w") as member:
            write(member)
    return write_zip
