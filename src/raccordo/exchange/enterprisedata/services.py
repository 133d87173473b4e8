"""EnterpriseData exchange with one 1C base over a folder, FTP or 1C's web service: read 1C's message, answer.

One exchange (`enterprisedata_exchange`) follows SSL's rules on our side:

* 1C's message ``Message_<1C's code>_<our code>.xml`` (or ``.zip``, or 1C's long name with its prefix; the
  newest, see `transport`) is read if present, from the folder or FTP directory the peer names, or asked of
  1C's web service EnterpriseDataExchange_1_0_1_1 (`webservice`). Its header must be addressed
  to us (1C's error 178) and come from the node's 1C base; its ReceivedNo confirms our messages up to
  that number (the acknowledged journal position advances); a MessageNo at or below the last one
  received is skipped, body and all (1C's warning 174). The body's counterparties, bank accounts,
  contracts, products, receipts, sales and deletions are written through the parties, catalog and sales
  services (`incoming`, `catalogs`, `documents`), in one transaction with the new ReceivedNo, so
  a run cut off half-way leaves nothing and the same file taken again gives the same state.
* Our answer ``Message_<our code>_<1C's code>.xml`` always follows (1C deletes what we confirmed only
  when we say so): MessageNo = last sent + 1, ReceivedNo = last received, and — like 1C's messages,
  cumulative — every counterparty, contract and issued invoice changed since 1C's last confirmation,
  except changes that came from this node (`outgoing`). Written to a temporary name and renamed, so 1C
  never reads half a file; zipped when the peer says so.
* Until a version is agreed, both sides send settings-only messages (base Format, no Body); 1C's
  AvailableVersion list fixes the highest common version.

Identity: a counterparty travels under the GUID bound to it for this node (1C's `Ссылка`), or under its own
id, which is then bound too, so 1C's echo of it finds it again. An incoming one unknown by GUID is looked for
by our id (1C creates objects with the GUIDs we send), then by INN+KPP, then created.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.access.records import record_create, record_update
from raccordo.core.context import change_context
from raccordo.core.errors import ApplicationError
from raccordo.core.models import Origin
from raccordo.exchange.engine import RunRecorder, finish_run, start_run
from raccordo.exchange.exporters.horizon import journal_horizon
from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import contacts as ct
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc
from raccordo.exchange.formats.enterprisedata import envelope as env
from raccordo.exchange.models import ExchangeNode, NodeKind, Run, RunItem

from . import transport as tr
from . import webservice
from .incoming import MessageImporter
from .models import EnterpriseDataPeer, SentMessage, Transport
from .outgoing import outgoing_objects

# What we send and read ("" : not in that direction). 1C stalls on an empty list; listing what we do not
# read would make 1C send it for nothing.
OBJECT_TYPES = [env.ObjectTypeSupport(fmt.COUNTERPARTY), env.ObjectTypeSupport(fmt.BANK_ACCOUNT),
                env.ObjectTypeSupport(cat.CONTRACT), env.ObjectTypeSupport(cat.PRODUCT, sending=""),
                env.ObjectTypeSupport(doc.ORDER, receiving=""), env.ObjectTypeSupport(doc.PAYMENT, sending=""),
                env.ObjectTypeSupport(doc.SALE, sending=""),
                # Contact persons exist in the format from 1.17 only: listed for that version alone.
                env.ObjectTypeSupport(ct.CONTACT, sending=",".join(ct.CONTACT_VERSIONS),
                                      receiving=",".join(ct.CONTACT_VERSIONS))]
RUN_KIND = "enterprisedata"
DRY_RUN_KIND = "dry-run"


class ExchangeRefused(ApplicationError):
    """The exchange cannot go on (no folder, no peer settings, no common version); nothing was written."""

    code = "exchange.enterprisedata.refused"


def message_name(sender: str, recipient: str) -> str:
    """SSL's ИмяФайлаСообщенияОбмена for a plain (not zipped) message."""
    return f"Message_{sender}_{recipient}.xml"


# What peer_setup sets on a node's EnterpriseData peer (its node is set once, at creation).
PEER_FIELDS = ("our_code", "peer_code", "prefix", "versions")
TRANSPORT_FIELDS = ("transport", "compress", "ftp_host", "ftp_port", "ftp_user", "ftp_password", "ftp_dir", "ftp_tls",
                    "ws_url", "ws_user", "ws_password")


def _refused_transport(message: str) -> ExchangeRefused:
    return ExchangeRefused(message, code="exchange.enterprisedata.transport")


def _ftp_data(ftp: tr.FtpSettings | None) -> dict[str, Any]:
    if ftp is None or not ftp.host.strip():
        raise _refused_transport(_("The FTP transport needs a server (host:port)."))
    if not 0 < ftp.port < 65536:
        raise _refused_transport(_("FTP port %(port)s is not a port (1-65535).") % {"port": ftp.port})
    return {"ftp_host": ftp.host.strip(), "ftp_port": ftp.port, "ftp_user": ftp.user, "ftp_password": ftp.password,
            "ftp_dir": ftp.directory, "ftp_tls": ftp.tls}


def _ws_data(ws: webservice.WsSettings | None) -> dict[str, Any]:
    if ws is None or not ws.url.strip():
        raise _refused_transport(_("The web-service transport needs the address of 1C's web publication."))
    problem = webservice.url_problem(ws.url)
    if problem:
        raise _refused_transport(problem)
    if not ws.user.strip():
        raise _refused_transport(_("The web-service transport needs the 1C user it logs in as."))
    return {"ws_url": webservice.service_url(ws.url), "ws_user": ws.user.strip(), "ws_password": ws.password}


def _transport_data(transport: str | None, compress: bool | None, ftp: tr.FtpSettings | None,
                    ws: webservice.WsSettings | None = None) -> dict[str, Any]:
    """The peer fields a transport choice sets; an FTP transport without a server, a web service without an
    address or a user, is refused."""
    data: dict[str, Any] = {}
    if compress is not None:
        data["compress"] = compress
    if transport is None:
        return data
    if transport not in Transport.values:
        raise _refused_transport(_("Unknown transport %(name)s: folder, ftp or ws.") % {"name": transport})
    data["transport"] = transport
    if transport == Transport.FTP:
        data.update(_ftp_data(ftp))
    elif transport == Transport.WS:
        data.update(_ws_data(ws))
    return data


@transaction.atomic
def peer_setup(*, user, node: ExchangeNode, our_code: str, peer_code: str, prefix: str = "RC",
               versions: list[str] | None = None, transport: str | None = None, compress: bool | None = None,
               ftp: tr.FtpSettings | None = None, ws: webservice.WsSettings | None = None) -> EnterpriseDataPeer:
    """Set (or change) the node codes of both sides, the versions we accept and where messages travel.

    `transport` (folder, ftp or ws; None keeps the current one) with `ftp` for an FTP directory or `ws` for 1C's
    web service; `compress` zips our messages (None keeps the setting). The FTP and web-service passwords are
    stored as given: they are sent to the server.
    """
    if node.kind != NodeKind.ENTERPRISEDATA:
        raise ExchangeRefused(_("Node %(code)s is not an EnterpriseData node.") % {"code": node.code},
                              code="exchange.node.kind")
    unknown = [v for v in versions or [] if v not in fmt.VERSIONS]
    if unknown:
        raise ExchangeRefused(_("Raccordo does not write EnterpriseData %(versions)s; it writes %(ours)s.") % {
            "versions": ", ".join(unknown), "ours": ", ".join(fmt.VERSIONS)}, code="exchange.enterprisedata.version")
    data: dict[str, Any] = {"our_code": our_code.strip(), "peer_code": peer_code.strip(),
                            "prefix": prefix.strip()}
    if versions:
        data["versions"] = list(versions)
    data.update(_transport_data(transport, compress, ftp, ws))
    fields = (*PEER_FIELDS, *TRANSPORT_FIELDS)
    peer = EnterpriseDataPeer.objects.filter(node=node).first()
    if peer is None:
        return record_create(EnterpriseDataPeer, user=user, data={**data, "node": node}, fields=("node", *fields))
    return record_update(peer, user=user, data=data, fields=fields)


# ---------------------------------------------------------------------------------------------------- exchange


def _peer(node: ExchangeNode) -> EnterpriseDataPeer:
    if node.kind != NodeKind.ENTERPRISEDATA:
        raise ExchangeRefused(_("Node %(code)s is not an EnterpriseData node.") % {"code": node.code},
                              code="exchange.node.kind")
    peer = EnterpriseDataPeer.objects.filter(node=node).first()
    if peer is None:
        raise ExchangeRefused(_("Node %(code)s has no EnterpriseData codes yet: set them with "
                                "`raccordo exchange enterprisedata setup`.") % {"code": node.code},
                              code="exchange.enterprisedata.not_set_up")
    if peer.transport == Transport.FOLDER and (not node.path or not Path(node.path).is_dir()):
        raise ExchangeRefused(_("The folder %(path)s of node %(code)s does not exist.") % {
            "path": node.path or "-", "code": node.code}, code="exchange.enterprisedata.folder")
    return peer


def _acknowledge(node: ExchangeNode, received_no: int | None) -> None:
    """1C confirmed our messages up to `received_no`: the journal position they carried is acknowledged."""
    if not received_no:
        return
    confirmed = SentMessage.objects.filter(node=node, number__lte=received_no)
    top = max(confirmed.values_list("journal_seq", flat=True), default=None)
    if top is not None and top > node.export_cursor:
        node.export_cursor = top
        ExchangeNode.objects.filter(pk=node.pk).update(export_cursor=top)
    confirmed.delete()


def _open(node: ExchangeNode, peer: EnterpriseDataPeer) -> tr.MessageTransport:
    """The peer's transport, open: an FTP login, or the web service's Ping and TestConnection, is made here."""
    if peer.transport == Transport.FTP:
        return tr.FtpTransport(tr.FtpSettings(host=peer.ftp_host, port=peer.ftp_port, user=peer.ftp_user,
                                              password=peer.ftp_password, directory=peer.ftp_dir,
                                              tls=peer.ftp_tls)).open()
    if peer.transport == Transport.WS:
        return webservice.WebServiceTransport(
            webservice.WsSettings(url=peer.ws_url, user=peer.ws_user, password=peer.ws_password),
            exchange_plan=peer.peer_exchange_plan or env.EXCHANGE_PLAN, our_code=peer.our_code,
            peer_code=peer.peer_code).open()
    return tr.FolderTransport(node.path)


@contextmanager
def _transport(node: ExchangeNode, peer: EnterpriseDataPeer) -> Iterator[tr.MessageTransport]:
    """The peer's transport, open; a refusal is an ExchangeRefused, nothing written. Closed afterwards."""
    try:
        opened = _open(node, peer)
    except tr.TransportError as exc:
        raise ExchangeRefused(str(exc), code="exchange.enterprisedata.transport") from exc
    try:
        yield opened
    finally:
        opened.close()


def transport_where(node: ExchangeNode, peer: EnterpriseDataPeer) -> str:
    """Where the peer's messages travel, for people: the folder, ftp://host:port/dir or the service's address."""
    if peer.transport == Transport.FTP:
        return tr.FtpSettings(host=peer.ftp_host, port=peer.ftp_port, directory=peer.ftp_dir, tls=peer.ftp_tls).where
    if peer.transport == Transport.WS:
        return peer.ws_url
    return node.path


def transport_check(*, node: ExchangeNode) -> str:
    """Open the node's transport and close it again, reading and writing nothing: the folder is there, the FTP
    login and directory work, 1C's web service answers Ping and TestConnection. Where it is; else ExchangeRefused."""
    peer = _peer(node)
    with _transport(node, peer):
        pass
    return transport_where(node, peer)


def _read_incoming(node: ExchangeNode, peer: EnterpriseDataPeer, raw: IO[bytes], name: str, run: Run,
                   recorder: RunRecorder) -> str:
    """Take 1C's message (a readable stream of its XML); return a note for the run (what happened to it)."""
    reader = env.MessageReader(raw, file=name)
    header = reader.header
    env.check_addressed(header, our_codes=[peer.our_code], peer_codes=[peer.peer_code], file=name)
    with transaction.atomic():
        peer.peer_versions = header.versions
        peer.peer_prefix = header.prefix[:8]
        peer.peer_exchange_plan = header.exchange_plan[:150]
        if header.object_types is not None:
            peer.peer_object_types = [[o.name, o.sending, o.receiving] for o in header.object_types]
        common = env.highest_common_version(peer.versions, header.versions)
        if common is None:
            raise env.EnvelopeError(
                _("1C lists versions %(theirs)s, none of which Raccordo accepts (%(ours)s).") % {
                    "theirs": ", ".join(header.versions), "ours": ", ".join(peer.versions)},
                "exchange.enterprisedata.version", file=name, line=header.line)
        peer.format_version = common
        peer.save(update_fields=["peer_versions", "peer_prefix", "peer_exchange_plan", "peer_object_types",
                                 "format_version", "updated_at"])
        if header.settings_only:
            return _("1C's settings read; version %(version)s agreed.") % {"version": common}
        if header.version not in peer.versions:
            raise env.EnvelopeError(_("EnterpriseData %(version)s is not accepted from this node.") % {
                "version": header.version}, "exchange.enterprisedata.version", file=name, line=header.line)
        # Its ReceivedNo is honoured even when the message itself was received before (1C does the same).
        _acknowledge(node, header.received_no)
        if env.already_received(header, node.last_received_no):
            recorder.add(RunItem(outcome="skipped", object_type="message", code="exchange.enterprisedata.174",
                                 message=_("Message %(no)s was already received; its data is skipped.") % {
                                     "no": header.message_no}, file=name, line=header.line))
            recorder.save()
            return _("Message %(no)s was already received (1C's warning 174).") % {"no": header.message_no}
        importer = MessageImporter(node, recorder, name, header.version)  # type: ignore[arg-type]  # in peer.versions: a version
        importer.take_all(reader.objects())
        if header.message_no and header.message_no > 0:
            node.last_received_no = header.message_no
            ExchangeNode.objects.filter(pk=node.pk).update(last_received_no=header.message_no)
        recorder.save()
    return _("Message %(no)s from 1C taken.") % {"no": header.message_no or 0}


def _outgoing_name(peer: EnterpriseDataPeer) -> tuple[str, str]:
    """Our message's file name and, when zipped, the name of the XML inside (1C's ИмяФайлаСообщенияОбмена)."""
    stem = tr.message_stem(peer.our_code, peer.peer_code, peer.prefix)
    return (f"{stem}.zip" if peer.compress else f"{stem}.xml"), f"{stem}.xml"


def _put(transport: tr.MessageTransport, peer: EnterpriseDataPeer, write: tr.Writer) -> str:
    """Write our message atomically, zipped if the peer says so; drop our older file of the other form."""
    name, inner = _outgoing_name(peer)
    transport.put(name, tr.zipped(inner, write) if peer.compress else write)
    # 1C takes the newest of Message*_<us>_<it>.*: a stale file of the other form must not linger.
    other = inner if peer.compress else f"{inner[:-4]}.zip"
    try:
        if any(f.name == other for f in transport.listing()):
            transport.remove(other)
    except tr.TransportError:
        pass    # ours is written and newer: failing the run now would number the next message twice
    return name


def _write_outgoing(node: ExchangeNode, peer: EnterpriseDataPeer, transport: tr.MessageTransport,
                    recorder: RunRecorder) -> tuple[str, int]:
    """Write our answer through the transport; the message number advances only if it was written."""
    version = peer.format_version
    header = env.Header(format=env.format_uri(version or None), sender=peer.our_code, recipient=peer.peer_code,
                        versions=list(peer.versions), object_types=OBJECT_TYPES, prefix=peer.prefix,
                        exchange_plan=peer.peer_exchange_plan or env.EXCHANGE_PLAN)
    if not version:
        return _put(transport, peer, lambda out: env.write_message(out, header)), 0
    with transaction.atomic():
        locked = ExchangeNode.objects.select_for_update().get(pk=node.pk)
        upto = journal_horizon(locked.export_cursor)
        objects = outgoing_objects(locked, version, locked.export_cursor, upto, recorder)
        header.message_no = locked.last_sent_no + 1
        header.received_no = locked.last_received_no
        written: list[int] = []   # the objects are a generator, written one at a time: counted as written
        name = _put(transport, peer, lambda out: written.append(env.write_message(out, header, objects)))
        SentMessage.objects.create(node=locked, number=header.message_no, journal_seq=upto,
                                   objects_count=written[0])
        ExchangeNode.objects.filter(pk=node.pk).update(last_sent_no=header.message_no)
        node.last_sent_no = header.message_no
    return name, written[0]


def enterprisedata_exchange(*, node: ExchangeNode, user=None, dry_run: bool = False) -> Run:
    """One exchange with the node's 1C base over its folder, FTP or web service: read 1C's message (if any),
    write ours.

    An FTP server or web service that cannot be reached or refuses the login, and 1C's failure to give its
    message, is an ExchangeRefused before anything is written (not even a run); a transport failure later
    fails the run and rolls back our message's number. A dry run (`dry_run=True`) does all of it but the
    writing of our message, inside a transaction that is rolled back: its run says what 1C's message would
    change (counters, conflicts, refusals) and how many objects ours would carry, and neither side's message
    numbers move.
    """
    peer = _peer(node)
    with _transport(node, peer) as transport:
        try:
            found = tr.newest_message(transport.listing(), peer.peer_code, peer.our_code)
        except tr.TransportError as exc:
            raise ExchangeRefused(str(exc), code="exchange.enterprisedata.transport") from exc
        run = start_run(node=node, kind=DRY_RUN_KIND if dry_run else RUN_KIND, files=[found.name] if found else [],
                        user=user)
        recorder = RunRecorder(run, dry_run=dry_run)
        with change_context(origin=Origin.EXCHANGE, node=node.code, request_id=f"run-{run.pk}"):
            try:
                if dry_run:
                    return _rehearse(node, peer, transport, found, run, recorder)
                return _exchange(node, peer, transport, found, run, recorder)
            except tr.TransportError as exc:
                return _failed(run, recorder, env.EnvelopeError(str(exc), "exchange.enterprisedata.transport"),
                               found.name if found else "")


def _failed(run: Run, recorder: RunRecorder, exc: env.EnvelopeError, name: str) -> Run:
    run.refresh_from_db()
    recorder.add(RunItem(outcome="failed", object_type="message", code=exc.code[:64], message=exc.message,
                         file=exc.file or name, line=exc.line))
    run.failed += 1
    recorder.save()
    return finish_run(run, error=str(exc))


def _exchange(node: ExchangeNode, peer: EnterpriseDataPeer, transport: tr.MessageTransport, found: tr.Found | None,
              run: Run, recorder: RunRecorder) -> Run:
    notes = []
    if found is not None:
        try:
            with tr.open_message(transport, found) as stream:
                notes.append(_read_incoming(node, peer, stream, found.name, run, recorder))
        except env.EnvelopeError as exc:
            return _failed(run, recorder, exc, found.name)
        peer.refresh_from_db()
        node.refresh_from_db()
    name, count = _write_outgoing(node, peer, transport, recorder)
    notes.append(_("%(name)s written with %(count)s object(s).") % {"name": name, "count": count})
    recorder.save()
    return finish_run(run, note=" ".join(notes))


def _rehearse(node: ExchangeNode, peer: EnterpriseDataPeer, transport: tr.MessageTransport, found: tr.Found | None,
              run: Run, recorder: RunRecorder) -> Run:
    """The dry run of an exchange: 1C's message taken and our answer gathered, then all of it rolled back."""
    notes, error = [], ""
    try:
        with transaction.atomic():
            if found is not None:
                with tr.open_message(transport, found) as stream:
                    notes.append(_read_incoming(node, peer, stream, found.name, run, recorder))
                peer.refresh_from_db()
                node.refresh_from_db()
            version = peer.format_version
            count = sum(1 for _el in outgoing_objects(node, version, node.export_cursor,
                                                      journal_horizon(node.export_cursor), recorder)) if version else 0
            notes.append(_("Raccordo's message would carry %(count)s object(s).") % {"count": count})
            transaction.set_rollback(True)
    except env.EnvelopeError as exc:
        recorder.add(RunItem(outcome="failed", object_type="message", code=exc.code[:64], message=exc.message,
                             file=exc.file or (found.name if found else ""), line=exc.line))
        recorder.count("failed")
        error = str(exc)
    finally:
        recorder.persist()
    node.refresh_from_db()
    notes.append(_("Dry run: nothing was written and neither side's message numbers moved."))
    return finish_run(run, error=error, note=" ".join(notes))
