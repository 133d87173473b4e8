"""The EnterpriseData part of a node's settings file (`exchange.settings_file`): codes, versions, transport.

Passwords never travel in the file (as the node's own password does not): an import keeps the passwords the
node already stores, and a new node gets none, which its page then asks for ("Test the connection" says so).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from raccordo.exchange.models import ExchangeNode

from . import transport as tr
from . import webservice
from .models import EnterpriseDataPeer, Transport
from .services import peer_setup

# What the file carries, in this order; the passwords stay where they are.
FIELDS = ("our_code", "peer_code", "prefix", "versions", "transport", "compress", "ftp_host", "ftp_port", "ftp_user",
          "ftp_dir", "ftp_tls", "ws_url", "ws_user")
_TYPES: dict[str, tuple[type, ...]] = {"versions": (list,), "compress": (bool,), "ftp_tls": (bool,), "ftp_port": (int,)}


def section_export(node: ExchangeNode) -> dict[str, Any] | None:
    """The node's EnterpriseData settings as they travel, None for a node without them."""
    peer = EnterpriseDataPeer.objects.filter(node=node).first()
    return {f: getattr(peer, f) for f in FIELDS} if peer is not None else None


def section_check(row: Any, path: str = "enterprisedata") -> dict[str, list[str]]:
    """What is wrong with the section, by JSON path; the codes are required, the rest optional."""
    if not isinstance(row, dict):
        return {path: [_("An object or null is expected.")]}
    errors: dict[str, list[str]] = {}
    unknown = set(row) - set(FIELDS)
    if unknown:
        errors[path] = [_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}]
    for name in ("our_code", "peer_code"):
        if not isinstance(row.get(name), str) or not row[name].strip():
            errors[f"{path}.{name}"] = [_("A node code is required.")]
    for name, value in row.items():
        kinds = _TYPES.get(name, (str,))
        if name in FIELDS and not (isinstance(value, kinds) and not (int in kinds and isinstance(value, bool))):
            errors.setdefault(f"{path}.{name}", []).append(_("A value of another kind is expected."))
    if "transport" in row and row["transport"] not in Transport.values:
        errors.setdefault(f"{path}.transport", []).append(
            _("Unknown transport %(name)s: folder, ftp or ws.") % {"name": row["transport"]})
    return errors


def section_import(*, user, node: ExchangeNode, row: dict[str, Any]) -> EnterpriseDataPeer:
    """Set the node's EnterpriseData settings from the file's section, through `peer_setup` (which refuses
    what it refuses on the page and the command line); the stored passwords are kept."""
    peer = EnterpriseDataPeer.objects.filter(node=node).first()
    transport = row.get("transport", Transport.FOLDER)
    ftp = ws = None
    if transport == Transport.FTP:
        ftp = tr.FtpSettings(host=row.get("ftp_host", ""), port=row.get("ftp_port", 21), user=row.get("ftp_user", ""),
                             password=peer.ftp_password if peer else "", directory=row.get("ftp_dir", ""),
                             tls=row.get("ftp_tls", False))
    elif transport == Transport.WS:
        ws = webservice.WsSettings(url=row.get("ws_url", ""), user=row.get("ws_user", ""),
                                   password=peer.ws_password if peer else "")
    return peer_setup(user=user, node=node, our_code=row["our_code"], peer_code=row["peer_code"],
                      prefix=row.get("prefix", "RC"), versions=row.get("versions") or None, transport=transport,
                      compress=row.get("compress"), ftp=ftp, ws=ws)
