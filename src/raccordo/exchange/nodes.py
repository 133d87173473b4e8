"""Administration of exchange nodes: registering a peer, the set-up wizard (codes from names, generated logins
and passwords), resetting a 1C node's password, checking a folder node's folder, the node of hand imports."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from raccordo.access.records import record_create, record_update
from raccordo.core.errors import ApplicationError

from .models import HTTP_KINDS, ExchangeNode, NodeKind
from .onec.models import OneCSession, SessionStatus

LOCAL_NODE = "local"


def node_create(*, user, code: str, name: str = "", kind: str = NodeKind.ONEC_HTTP, login: str = "",
                password: str = "", path: str = "") -> ExchangeNode:
    """Register a peer; its exchange password is stored hashed."""
    node = ExchangeNode(code=code, name=name or code, kind=kind, login=login, path=path)
    if password:
        node.set_password(password)
    node.full_clean()
    values = {f.name: getattr(node, f.name) for f in ExchangeNode._meta.concrete_fields
              if not f.primary_key and f.name not in ("created_at", "updated_at")}
    return record_create(ExchangeNode, user=user, data=values, fields=tuple(values))


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
        import pwd  # POSIX only: on Windows the ImportError below names the user by number

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
def node_setup(*, user, kind: str, name: str, code: str = "", path: str = "",
               folder_required: bool = True) -> tuple[ExchangeNode, str]:
    """The node wizard's save: a node of `kind` with a checked code (suggested from the name when empty); a 1C
    node gets a generated login and password (returned once, stored hashed), a folder or EnterpriseData node a
    folder the server can read and write (an EnterpriseData node over FTP or a web service, `folder_required`
    false, only when one is given). NodeInvalid lists every problem by field; nothing is written then."""
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
    optional = kind == NodeKind.ENTERPRISEDATA and not folder_required and not path
    if kind in (NodeKind.FOLDER, NodeKind.ENTERPRISEDATA) and not optional:
        problems = folder_problems(path)
        if problems:
            errors["path"] = problems
    password = node_password_generate() if kind in HTTP_KINDS else ""
    probe = ExchangeNode(code=code, name=name, kind=kind if kind in NodeKind.values else NodeKind.ONEC_HTTP,
                         login=_login_for(code) if password else "",
                         path=path if kind in (NodeKind.FOLDER, NodeKind.ENTERPRISEDATA) else "")
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
    if node.kind not in HTTP_KINDS:
        raise NodeInvalid(_("Only a 1C site-exchange node has an exchange password."), code="exchange.node.kind")
    password = node_password_generate()
    probe = ExchangeNode()
    probe.set_password(password)
    data = {"password_hash": probe.password_hash}
    if not node.login:
        data["login"] = _login_for(node.code)
    node = record_update(node, user=user, data=data, fields=("password_hash", "login"))
    OneCSession.objects.filter(node=node, status__in=[SessionStatus.AUTHORISED, SessionStatus.OPEN]) \
        .update(status=SessionStatus.EXPIRED)
    return password


@transaction.atomic
def node_folder_set(*, user, node: ExchangeNode, path: str) -> ExchangeNode:
    """Check a folder node's folder (and point the node at `path` when it differs); NodeInvalid says what the
    server process cannot do there, and the node keeps its folder."""
    if node.kind not in (NodeKind.FOLDER, NodeKind.ENTERPRISEDATA):
        raise NodeInvalid(_("Only a folder node has a folder to check."), code="exchange.node.kind")
    path = (path or "").strip()
    problems = folder_problems(path)
    if problems:
        raise NodeInvalid(" ".join(problems), code="exchange.node.folder", extra={"errors": {"path": problems}})
    return record_update(node, user=user, data={"path": path}, fields=("path",)) if path != node.path else node


def local_node() -> ExchangeNode:
    """The node files imported by hand belong to, when no node is named."""
    node = ExchangeNode.objects.filter(code=LOCAL_NODE).first()
    if node is None:
        node = node_create(user=None, code=LOCAL_NODE, name=_("Files imported by hand"), kind=NodeKind.FOLDER)
    return node
