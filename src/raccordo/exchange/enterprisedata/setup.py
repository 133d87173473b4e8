"""Setting up an EnterpriseData node from the pages: the wizard's save, the peer form, 1C's settings file.

Each goes through the services the command line uses (`nodes.node_setup` for the node and its folder,
`services.peer_setup` for the codes, prefix, versions and transport), so a node made here and one made by
`raccordo exchange enterprisedata setup` are the same.
"""

from __future__ import annotations

import os
import re

from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.models import ExchangeNode, NodeKind
from raccordo.exchange.nodes import NodeInvalid, folder_problems, node_setup

from . import transport as tr
from . import webservice
from .connection_settings import ConnectionSettings, connection_settings_read
from .models import EnterpriseDataPeer, SentMessage, Transport
from .services import ExchangeRefused, message_name, peer_setup, transport_where

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")

# Characters a node code may not have: it is part of 1C's file names (Message_<from>_<to>.xml).
_BAD_CODE_CHARS = set("/\\:*?\"<>|_ \t\x00")


def _invalid(errors: dict[str, list[str]]) -> NodeInvalid:
    return NodeInvalid("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), code="exchange.node.invalid",
                       extra={"errors": errors})


def peer_problems(*, our_code: str, peer_code: str, prefix: str, versions: list[str]) -> dict[str, list[str]]:
    """What is wrong with an EnterpriseData node's codes, prefix and versions, by form field."""
    errors: dict[str, list[str]] = {}
    for field, value in (("our_code", our_code), ("peer_code", peer_code)):
        value = (value or "").strip()
        if not value:
            errors[field] = [_("Enter the code exactly as 1C shows it.")]
        elif len(value) > 64 or set(value) & _BAD_CODE_CHARS:
            # "_" separates the codes in Message_<from>_<to>.xml: a code with one would be read back wrongly.
            errors[field] = [_("A node code of at most 64 characters, without spaces, “_” or any of / \\ : * ? "
                               "\" < > |: it is part of the message file names.")]
    if (our_code or "").strip() and (our_code or "").strip() == (peer_code or "").strip():
        errors.setdefault("peer_code", []).append(_("1C's code must differ from ours."))
    if len((prefix or "").strip()) > 8:
        errors["prefix"] = [_("A prefix of at most 8 characters (1C uses 2).")]
    unknown = [v for v in versions if v not in fmt.VERSIONS]
    if not versions:
        errors["versions"] = [_("Choose at least one version.")]
    elif unknown:
        errors["versions"] = [_("Raccordo does not write EnterpriseData %(versions)s.") % {
            "versions": ", ".join(unknown)}]
    return errors


@transaction.atomic
def enterprisedata_node_setup(*, user, name: str, code: str = "", path: str = "", our_code: str,
                              peer_code: str, prefix: str = "RC", versions: list[str] | None = None,
                              transport: dict | None = None) -> ExchangeNode:
    """The wizard's save for an EnterpriseData node: the node, its codes, prefix and versions, and where its messages
    travel (`transport`, the node page's transport form's data; the folder when None). A folder the server can read
    and write is required for the folder transport only. NodeInvalid lists every problem by field; nothing is
    written then."""
    versions = list(fmt.VERSIONS) if versions is None else list(versions)
    errors = peer_problems(our_code=our_code, peer_code=peer_code, prefix=prefix, versions=versions)
    data = {**(transport or {})}
    data["transport"] = data.get("transport") or Transport.FOLDER
    # No stored passwords yet: an unsaved peer keeps none.
    chosen, ftp, ws = _transport_settings(EnterpriseDataPeer(), data, errors, folder_path=None)
    try:
        node, _password = node_setup(user=user, kind=NodeKind.ENTERPRISEDATA, name=name, code=code, path=path,
                                     folder_required=chosen == Transport.FOLDER)
    except NodeInvalid as exc:
        errors = {**exc.extra["errors"], **errors}
    if errors:
        raise _invalid(errors)
    peer_setup(user=user, node=node, our_code=our_code, peer_code=peer_code, prefix=prefix, versions=versions,
               transport=chosen, compress=bool(data.get("compress")), ftp=ftp, ws=ws)
    return node


@transaction.atomic
def peer_change(*, user, node: ExchangeNode, our_code: str, peer_code: str, prefix: str,
                versions: list[str]) -> EnterpriseDataPeer:
    """The node page's peer form: new codes, prefix or versions, checked as the wizard checks them."""
    errors = peer_problems(our_code=our_code, peer_code=peer_code, prefix=prefix, versions=versions)
    if errors:
        raise _invalid(errors)
    return peer_setup(user=user, node=node, our_code=our_code, peer_code=peer_code, prefix=prefix, versions=versions)


@transaction.atomic
def peer_settings_file_apply(*, user, node: ExchangeNode, data: bytes,
                             name: str) -> tuple[EnterpriseDataPeer, ConnectionSettings]:
    """Take the node codes, our prefix and the versions from the file 1C saved for "another program".

    Versions: those both 1C's file and Raccordo list (all of Raccordo's when the file lists none, as 1C's XML
    file does). SettingsFileRefused / ExchangeRefused say what is wrong; the peer keeps its settings then.
    """
    if node.kind != NodeKind.ENTERPRISEDATA:
        raise ExchangeRefused(_("Node %(code)s is not an EnterpriseData node.") % {"code": node.code},
                              code="exchange.node.kind")
    settings = connection_settings_read(data, name)
    versions = [v for v in fmt.VERSIONS if v in settings.versions] if settings.versions else list(fmt.VERSIONS)
    if not versions:
        raise ExchangeRefused(_("%(file)s: 1C lists versions %(theirs)s, none of which Raccordo writes (%(ours)s).")
                              % {"file": name, "theirs": ", ".join(settings.versions), "ours": ", ".join(fmt.VERSIONS)},
                              code="exchange.enterprisedata.version")
    current = EnterpriseDataPeer.objects.filter(node=node).first()
    prefix = settings.our_prefix or (current.prefix if current else "RC")
    errors = peer_problems(our_code=settings.our_code, peer_code=settings.peer_code, prefix=prefix,
                           versions=versions)
    if errors:
        raise ExchangeRefused(_("%(file)s: %(problems)s") % {"file": name, "problems": " ".join(
            " ".join(v) for v in errors.values())}, code="exchange.enterprisedata.settings_file")
    peer = peer_setup(user=user, node=node, our_code=settings.our_code, peer_code=settings.peer_code,
                      prefix=prefix, versions=versions)
    return peer, settings


def _password(var: str, kept: str, field: str, errors: dict[str, list[str]]) -> str:
    """The password the server's environment variable `var` holds; the stored one when no variable is named."""
    var = (var or "").strip()
    if not var:
        return kept
    if not _ENV_NAME.fullmatch(var):
        errors[field] = [_("The name of an environment variable: letters, digits and “_”, e.g. BP_FTP_PASSWORD.")]
    elif var not in os.environ:
        errors[field] = [_("The environment variable %(var)s is not set for the Raccordo server.") % {"var": var}]
    else:
        return os.environ[var]
    return kept


def _ftp_settings(peer: EnterpriseDataPeer, data: dict, errors: dict[str, list[str]]) -> tr.FtpSettings:
    host, port = (data.get("ftp_host") or "").strip(), data.get("ftp_port") or 21
    if not host:
        errors["ftp_host"] = [_("Enter the FTP server's name or address.")]
    if not 0 < port < 65536:
        errors["ftp_port"] = [_("A port from 1 to 65535.")]
    password = _password(data.get("ftp_password_env", ""), peer.ftp_password, "ftp_password_env", errors)
    return tr.FtpSettings(host=host, port=port, user=(data.get("ftp_user") or "").strip() or "anonymous",
                          password=password, directory=(data.get("ftp_dir") or "").strip(),
                          tls=bool(data.get("ftp_tls")))


def _ws_settings(peer: EnterpriseDataPeer, data: dict, errors: dict[str, list[str]]) -> webservice.WsSettings:
    url, user = (data.get("ws_url") or "").strip(), (data.get("ws_user") or "").strip()
    problem = webservice.url_problem(url)
    if problem:
        errors["ws_url"] = [problem]
    if not user:
        errors["ws_user"] = [_("Enter the 1C user the web service is called as.")]
    password = _password(data.get("ws_password_env", ""), peer.ws_password, "ws_password_env", errors)
    return webservice.WsSettings(url=url, user=user, password=password)


def _transport_settings(peer: EnterpriseDataPeer, data: dict, errors: dict[str, list[str]], *,
                        folder_path: str | None) -> tuple[str, tr.FtpSettings | None, webservice.WsSettings | None]:
    """The transport a form chose with its FTP or web-service settings; problems go into `errors` by field.
    `folder_path` is checked when the folder is chosen (None: the caller checks it)."""
    transport = data.get("transport") or ""
    ftp, ws = None, None
    if transport == Transport.FTP:
        ftp = _ftp_settings(peer, data, errors)
    elif transport == Transport.WS:
        ws = _ws_settings(peer, data, errors)
    elif transport == Transport.FOLDER:
        if folder_path is not None and (problems := folder_problems(folder_path)):
            errors["transport"] = problems
    else:
        errors["transport"] = [_("Choose the folder, FTP or 1C's web service.")]
    return transport, ftp, ws


@transaction.atomic
def transport_change(*, user, node: ExchangeNode, data: dict) -> EnterpriseDataPeer:
    """The node page's transport form: the folder, an FTP directory or 1C's web service, as the command line's
    ``setup --folder / --ftp / --ws`` sets them (through `peer_setup`). Passwords are never typed into a page: the
    form names an environment variable of the server that holds one (an empty name keeps the stored password).
    NodeInvalid lists every problem by field; nothing is changed then."""
    peer = EnterpriseDataPeer.objects.filter(node=node).first()
    if peer is None:
        raise ExchangeRefused(_("Set the node codes first."), code="exchange.enterprisedata.not_set_up")
    errors: dict[str, list[str]] = {}
    transport, ftp, ws = _transport_settings(peer, data, errors, folder_path=node.path)
    if errors:
        raise _invalid(errors)
    return peer_setup(user=user, node=node, our_code=peer.our_code, peer_code=peer.peer_code, prefix=peer.prefix,
                      versions=list(peer.versions), transport=transport, compress=bool(data.get("compress")),
                      ftp=ftp, ws=ws)


def peer_overview(node: ExchangeNode) -> dict:
    """What the node page shows of an EnterpriseData node: its peer settings and the messages both ways."""
    peer = EnterpriseDataPeer.objects.filter(node=node).first()
    waiting = list(SentMessage.objects.filter(node=node).order_by("-number")[:10])
    return {"peer": peer, "sent_no": node.last_sent_no, "received_no": node.last_received_no,
            "waiting": waiting, "all_versions": list(fmt.VERSIONS),
            "where": transport_where(node, peer) if peer else node.path,
            "incoming_name": message_name(peer.peer_code, peer.our_code) if peer else "",
            "outgoing_name": message_name(peer.our_code, peer.peer_code) if peer else ""}

