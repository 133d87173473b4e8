"""The files 1C sends: safe names, uploads in chunks, and archives unpacked within the node's limits."""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from raccordo.core.errors import exception_text
from raccordo.exchange.sources import path_inside
from raccordo.exchange.uploads import UploadRefused, zip_check

from .models import FileKind, FileStatus, OneCFile, OneCSession
from .protocol import Answer, ProtocolError, onec_settings, require_open, success

EXECUTABLE = {
    ".exe", ".bat", ".cmd", ".com", ".ps1", ".psm1", ".sh", ".bash", ".js", ".mjs", ".vbs", ".vbe", ".wsf",
    ".php", ".php3", ".php4", ".php5", ".php7", ".phtml", ".phar", ".py", ".pyc", ".pl", ".cgi", ".rb", ".jsp",
    ".asp", ".aspx", ".msi", ".dll", ".so", ".scr", ".jar", ".hta", ".htaccess", ".lnk", ".reg", ".cpl",
}
XML_MAGIC = (b"<?xml", b"\xef\xbb\xbf<?xml")
ZIP_MAGIC = b"PK\x03\x04"
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1024 * 1024


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
    """The kind of an uploaded file by its name: CommerceML (.xml), an archive (.zip), or other."""
    suffix = PurePosixPath(name).suffix.lower()
    return {".xml": FileKind.XML, ".zip": FileKind.ZIP}.get(suffix, FileKind.OTHER)



def file_upload(*, session: OneCSession, filename: str, stream, length: int | None = None,
                complete_too: bool = False) -> Answer:
    """file: append a chunk to a file of the session (a chunk that starts a new XML or zip replaces it)."""
    require_open(session, complete_too=complete_too)
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



def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:
        # No UTF-8 flag: 1C (Windows) wrote the name in the OEM code page, which zipfile read as cp437.
        try:
            name = name.encode("cp437").decode("cp866")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name



def archive_unpack(*, archive: OneCFile) -> int:
    """Unpack an uploaded zip into the session directory within the node's limits; return the files unpacked.

    Every name and size is checked before anything is written; sizes are counted again while
    writing, since an archive's headers can lie.
    """
    try:
        zf = zipfile.ZipFile(archive.path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ProtocolError(_("The archive cannot be read: %(error)s") % {"error": exception_text(exc)}) from exc
    with zf:
        infos, total_left = _archive_budget(zf, archive)
        members = [(info, _member_target(info, archive)) for info in infos]
        return len(_members_write(zf, archive, members, total_left))


def _archive_budget(zf: zipfile.ZipFile, archive: OneCFile) -> tuple[list[zipfile.ZipInfo], int]:
    """The archive's files once its headers pass the node's limits, and the unpacked bytes the exchange has
    left. The budgets hold for the whole exchange: a second archive gets only what the first one left."""
    session = archive.session
    cfg = onec_settings(session.node)
    used = OneCFile.objects.filter(session=session, archive__isnull=False).exclude(archive=archive).aggregate(
        n=Count("id"), total=Sum("size"))
    entries_left = max(cfg.zip_max_entries - used["n"], 0)
    total_left = max(cfg.zip_max_total - (used["total"] or 0), 0)
    try:
        infos = zip_check(zf, packed_size=archive.size, max_entries=cfg.zip_max_entries,
                          max_total=cfg.zip_max_total, max_ratio=cfg.zip_max_ratio)
    except UploadRefused as exc:
        raise ProtocolError(exc.reason) from exc
    if len(infos) > entries_left or sum(i.file_size for i in infos) > total_left:
        raise ProtocolError(_("The archives of this exchange together hold more than this node accepts "
                              "(%(entries)s files, %(total)s bytes unpacked); %(used)s files were unpacked "
                              "before this one.")
                            % {"entries": cfg.zip_max_entries, "total": cfg.zip_max_total, "used": used["n"]})
    return infos, total_left


def _member_target(info: zipfile.ZipInfo, archive: OneCFile) -> str:
    """The safe name a member of the archive is unpacked to, or ProtocolError (checked before anything is written)."""
    directory = archive.session.directory
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
    return name


def _members_write(zf: zipfile.ZipFile, archive: OneCFile, members: list[tuple[zipfile.ZipInfo, str]],
                   total_left: int) -> list[OneCFile]:
    """Write the checked members and record them as files of the session; nothing of a refused archive stays."""
    session = archive.session
    directory = session.directory
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
        for _info, name in members:
            (directory / name).unlink(missing_ok=True)
        OneCFile.objects.filter(pk__in=[m.pk for m in done]).delete()
        if isinstance(exc, ProtocolError):
            raise
        raise ProtocolError(_("The archive cannot be unpacked: %(error)s") % {"error": exception_text(exc)}) from exc
    return done


def find_file(session: OneCSession, filename: str) -> OneCFile:
    """The uploaded file of the session that 1C names (by its base name when an archive laid it out otherwise)."""
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

