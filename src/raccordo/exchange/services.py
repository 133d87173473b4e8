"""Write services of the exchange: nodes, and importing a set of files through the engine."""

from __future__ import annotations

import io
import os
import secrets
import tempfile
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from raccordo.access.records import record_create, record_update
from raccordo.core.context import change_context
from raccordo.core.errors import ApplicationError
from raccordo.core.models import Origin

from .engine import RunRecorder, RunStopped, finish_run, start_run
from .formats.commerceml import reader as cml_reader
from .formats.commerceml import records as cml
from .formats.commerceml.records import CommerceMLError, DocumentRec
from .importers.catalog import CatalogImporter
from .importers.documents import DocumentImporter
from .models import ExchangeNode, NodeKind, RecordPolicy, Run, RunItem

LOCAL_NODE = "local"
DRY_RUN = "dry-run"


def node_create(*, user, code: str, name: str = "", kind: str = NodeKind.ONEC_HTTP, login: str = "",
                password: str = "", path: str = "") -> ExchangeNode:
    """Register a peer; its exchange password is stored hashed."""
    node = ExchangeNode(code=code, name=name or code, kind=kind, login=login, path=path)
    if password:
        node.set_password(password)
    node.full_clean()
    return record_create(ExchangeNode, user=user, data={f.name: getattr(node, f.name)
                                                        for f in ExchangeNode._meta.concrete_fields
                                                        if not f.primary_key and f.name not in ("created_at",
                                                                                                "updated_at")})


class NodeInvalid(ApplicationError):
    """A node the set-up wizard may not save; `extra["errors"]` maps each field to its problems."""


# Node codes and logins are Latin slugs; a Russian name gives a readable one ("УТ 11" -> "ut-11").
_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya"})
# No 0/O, 1/l/I: the password is read off a screen and typed into 1C.
_PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 20   # about 116 bits


def node_code_suggest(name: str) -> str:
    """A free node code made from a name: transliterated, lower-case, hyphenated, numbered when taken."""
    base = slugify((name or "").lower().translate(_TRANSLIT))[:56].strip("-_") or "node"
    code, n = base, 2
    while ExchangeNode.objects.filter(code=code).exists():
        code, n = f"{base}-{n}", n + 1
    return code


def node_password_generate() -> str:
    """A strong exchange password from a cryptographic source (`secrets`)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _i in range(PASSWORD_LENGTH))


def _login_for(code: str) -> str:
    base = f"1c-{code}"[:140]
    login, n = base, 2
    while ExchangeNode.objects.filter(login=login).exists():
        login, n = f"{base}-{n}", n + 1
    return login


def _server_user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):   # Windows, or a uid without a name (containers)
        return str(getattr(os, "geteuid", lambda: "?")())


def folder_problems(path: str) -> list[str]:
    """What keeps this server process from using `path` as an exchange folder: it must be a full path to an
    existing directory the process can list, read and write (1C's files are read from it, orders written to
    its "out" folder). Tried for real (a file is created and removed), not guessed from permission bits."""
    text = (path or "").strip()
    if not text:
        return [_("Enter the folder's full path on the server.")]
    folder = Path(text)
    who = {"path": text, "user": _server_user()}
    if not folder.is_absolute():
        return [_("Enter a full path (such as /srv/exchange/1c): a relative one depends on where the server "
                  "was started.")]
    try:
        if not folder.exists():
            return [_("There is no folder %(path)s on the server.") % who]
        if not folder.is_dir():
            return [_("%(path)s is a file, not a folder.") % who]
    except OSError as exc:
        return [_("%(path)s cannot be reached: %(error)s") % {**who, "error": exc.strerror or exc}]
    try:
        with os.scandir(folder) as entries:
            next(entries, None)
    except OSError:
        return [_("The server process (user %(user)s) may not read the folder %(path)s.") % who]
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".raccordo-check-"):
            pass
    except OSError:
        return [_("The server process (user %(user)s) may not write into the folder %(path)s.") % who]
    return []


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {("__all__" if k == NON_FIELD_ERRORS else k): [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


@transaction.atomic
def node_setup(*, user, kind: str, name: str, code: str = "", path: str = "") -> tuple[ExchangeNode, str]:
    """The node wizard's save: a node of `kind` with a checked code (suggested from the name when empty); a 1C
    node gets a generated login and password (returned once, stored hashed), a folder node a folder the server
    can read and write. NodeInvalid lists every problem by field; nothing is written then."""
    errors: dict[str, list[str]] = {}
    name, code, path = (name or "").strip(), (code or "").strip().lower(), (path or "").strip()
    if kind not in NodeKind.values:
        errors["kind"] = [_("Choose what Raccordo exchanges with.")]
    if not name:
        errors["name"] = [_("Give the node a name, such as the 1C base it stands for.")]
    code = code or (node_code_suggest(name) if name else "")
    if code and ExchangeNode.objects.filter(code=code).exists():
        errors["code"] = [_("The code %(code)s is taken by another node; try %(free)s.") % {
            "code": code, "free": node_code_suggest(code)}]
    if kind == NodeKind.FOLDER:
        problems = folder_problems(path)
        if problems:
            errors["path"] = problems
    password = node_password_generate() if kind == NodeKind.ONEC_HTTP else ""
    probe = ExchangeNode(code=code, name=name, kind=kind if kind in NodeKind.values else NodeKind.ONEC_HTTP,
                         login=_login_for(code) if password else "", path=path if kind == NodeKind.FOLDER else "")
    try:
        probe.clean_fields(exclude=["password_hash"])
    except ValidationError as exc:
        for field, msgs in _field_errors(exc).items():
            errors.setdefault(field, []).extend(m for m in msgs if m not in errors.get(field, []))
    if errors:
        raise NodeInvalid("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), code="exchange.node.invalid",
                          extra={"errors": errors})
    node = node_create(user=user, code=code, name=name, kind=kind, login=probe.login, password=password,
                       path=probe.path)
    return node, password


@transaction.atomic
def node_password_reset(*, user, node: ExchangeNode) -> str:
    """A new generated exchange password for a 1C node (returned once, stored hashed; a login is made when the
    node has none). 1C's sessions opened with the old one end: it must authorise again."""
    from .onec.models import OneCSession, SessionStatus

    if node.kind != NodeKind.ONEC_HTTP:
        raise NodeInvalid(_("Only a 1C site-exchange node has an exchange password."), code="exchange.node.kind")
    password = node_password_generate()
    probe = ExchangeNode()
    probe.set_password(password)
    data = {"password_hash": probe.password_hash}
    if not node.login:
        data["login"] = _login_for(node.code)
    node = record_update(node, user=user, data=data)
    OneCSession.objects.filter(node=node, status__in=[SessionStatus.AUTHORISED, SessionStatus.OPEN]) \
        .update(status=SessionStatus.EXPIRED)
    return password


@transaction.atomic
def node_folder_set(*, user, node: ExchangeNode, path: str) -> ExchangeNode:
    """Check a folder node's folder (and point the node at `path` when it differs); NodeInvalid says what the
    server process cannot do there, and the node keeps its folder."""
    if node.kind != NodeKind.FOLDER:
        raise NodeInvalid(_("Only a folder node has a folder to check."), code="exchange.node.kind")
    path = (path or "").strip()
    problems = folder_problems(path)
    if problems:
        raise NodeInvalid(" ".join(problems), code="exchange.node.folder", extra={"errors": {"path": problems}})
    return record_update(node, user=user, data={"path": path}) if path != node.path else node


def local_node() -> ExchangeNode:
    """The node files imported by hand belong to, when no node is named."""
    node = ExchangeNode.objects.filter(code=LOCAL_NODE).first()
    if node is None:
        node = node_create(user=None, code=LOCAL_NODE, name=_("Files imported by hand"), kind=NodeKind.FOLDER)
    return node


class _CountingReader(io.RawIOBase):
    """A file wrapper that reports how many bytes the parser has consumed (progress of a run)."""

    def __init__(self, raw, on_read: Callable[[int], None], name: str):
        self.raw = raw
        self.on_read = on_read
        self.name = name   # the reader reports errors against this file name

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.on_read(len(data))
        return data

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)


def _check_file(path: Path) -> None:
    """Check the whole file before writing anything, so a file broken at its end writes nothing.

    A cheap well-formedness and hostility pre-scan (see `reader.check`), not a second full read.
    """
    with path.open("rb") as raw:
        cml_reader.check(_CountingReader(raw, lambda n: None, path.name))  # type: ignore[arg-type]  # a file-like reader: read() is all the reader asks


def path_inside(directory: Path, path: Path) -> bool:
    """Whether `path`, once links and `..` are resolved, lies inside `directory` (a name from outside must not
    reach past the exchange's own folders)."""
    return path.resolve().is_relative_to(directory.resolve())


def exchange_import(*, paths: Sequence[str | os.PathLike], node: ExchangeNode | None = None, user=None,
                    on_record_error: str = RecordPolicy.SKIP, batch_size: int = 1000,
                    progress: Callable[[Run], None] | None = None, run: Run | None = None,
                    deactivate: bool = True, dry_run: bool = False, only: Collection[str] | None = None,
                    keep: bool = False) -> Run:
    """Import a set of CommerceML files (one exchange) into Raccordo; return the finished run.

    Files are imported in the order given (1C sends import, then offers, prices, rests). A file
    that cannot be read at all (malformed, hostile) is rejected before anything of it is written;
    a full catalog deactivates absent products only when every file of the set succeeded.

    dry_run=True does all of it — reading, validation, matching, writing batch by batch — inside a
    transaction that is rolled back at the end: the database ends as it was, and the run (kind
    "dry-run") lists what would be created and updated, with the changes, and what would be rejected.

    only: the peer's ids of the records to take (a retry of the failed ones, see `runs.run_retry`);
    definitions (price types, warehouses, units) are read as always, nothing is deactivated.
    keep=True keeps a copy of the files with the run (see `runs.keep_sources`) so it can be retried;
    the paths read are in `run.params["paths"]` either way.
    """
    node = node or local_node()
    files = [Path(p) for p in paths]
    if run is None:
        run = start_run(node=node, kind=DRY_RUN if dry_run else "import", files=[f.name for f in files], user=user,
                        on_record_error=on_record_error)
    else:   # a run opened beforehand (the 1C endpoint shows it while a worker imports)
        run.files = [f.name for f in files]
    # Pictures (`Картинка`) are read beside the files as they were given, not beside a kept copy.
    originals = list(files)
    if keep:
        from .runs import keep_sources

        files = keep_sources(run, files)
    roots = {kept: original.parent for kept, original in zip(files, originals, strict=True)}
    run.params = {**(run.params or {}), "paths": [str(f.resolve()) for f in files]}
    if only is not None:
        run.params["only"] = sorted(only)
    run.progress_total = sum(f.stat().st_size for f in files if f.exists())
    run.save(update_fields=["files", "progress_total", "params"])
    recorder = RunRecorder(run, dry_run=dry_run)
    if not dry_run:
        return _import_files(files, node, run, recorder, progress, deactivate, batch_size, only, roots)
    try:
        with transaction.atomic():
            _import_files(files, node, run, recorder, progress, deactivate, batch_size, only, roots)
            transaction.set_rollback(True)
    finally:
        # Whatever happened inside, the rollback took the run's items and counters: write them again.
        recorder.persist()
    return run


def _taken(rec, only: Collection[str]) -> bool:
    """Whether a record passes an `only` filter: records of the peer's ids in it (an offer also by its
    product's id); definitions without which they cannot be read always pass."""
    if isinstance(rec, cml.ProductRec | cml.Group | cml.Property | DocumentRec):
        return rec.id in only
    if isinstance(rec, cml.OfferRec):
        return rec.id in only or (rec.product_id or "") in only
    if isinstance(rec, cml.ErrorRec):
        return (rec.element_id or "") in only
    return True


def _import_files(files: list[Path], node: ExchangeNode, run: Run, recorder: RunRecorder,
                  progress: Callable[[Run], None] | None, deactivate: bool, batch_size: int,
                  only: Collection[str] | None = None, roots: dict[Path, Path] | None = None) -> Run:
    importer = CatalogImporter(node=node, recorder=recorder, batch_size=batch_size)
    documents = DocumentImporter(node=node, recorder=recorder)
    all_ok = True
    done_before = 0
    # Every journal entry of the run carries its id, so the run page can link the records it wrote.
    with change_context(origin=Origin.EXCHANGE, node=node.code, request_id=f"run-{run.pk}"):
        try:
            for path in files:
                importer.file = documents.file = path.name
                importer.root = (roots or {}).get(path, path.parent)
                try:
                    if not path.is_file():
                        raise CommerceMLError(_("No such file."), "exchange.file.missing", file=path.name)
                    _check_file(path)

                    def advance(n: int) -> None:
                        run.progress_done += n
                        if progress is not None:
                            progress(run)

                    with path.open("rb") as raw:
                        for rec in cml_reader.read(_CountingReader(raw, advance, path.name)):  # type: ignore[arg-type]  # a file-like reader: read() is all the reader asks
                            if only is not None and not _taken(rec, only):
                                continue
                            if isinstance(rec, DocumentRec):
                                importer.flush()   # a document may name products of the same file
                                documents.feed(rec)
                            else:
                                importer.feed(rec)
                    importer.flush()
                except CommerceMLError as exc:
                    all_ok = False
                    with transaction.atomic():
                        run.failed += 1
                        recorder.add(RunItem(outcome="failed", object_type="file", code=exc.code[:64],
                                             message=exc.message, file=exc.file or path.name, line=exc.line,
                                             path=(exc.path or "")[:500]))
                        recorder.save()
                done_before += path.stat().st_size if path.exists() else 0
                run.progress_done = done_before
            # deactivate=False: one file of a longer exchange; its caller deactivates once all files succeeded.
            # A retry of some records (`only`) has not seen the whole catalog: it deactivates nothing.
            importer.finish(all_files_ok=all_ok and deactivate and only is None)
        except RunStopped as exc:
            run.refresh_from_db()
            recorder.add(RunItem(outcome="failed", code=exc.code, message=exc.message,
                                 file=str(exc.extra.get("file") or ""), line=exc.extra.get("line"),
                                 path=str(exc.extra.get("path") or "")[:500]))
            run.failed += 1
            recorder.save()
            return finish_run(run, stopped=True, error=exc.message)
        except Exception as exc:  # an unexpected failure still closes the run with its reason
            run.refresh_from_db()
            finish_run(run, error=f"{type(exc).__name__}: {exc}")
            raise
    if not all_ok and not (run.created or run.updated):
        return finish_run(run, error=_("No file of the exchange could be read."))
    return finish_run(run)

