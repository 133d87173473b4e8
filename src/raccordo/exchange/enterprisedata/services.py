"""EnterpriseData exchange with one 1C base over a folder: read 1C's message, answer with ours.

One exchange (`enterprisedata_exchange`) follows SSL's rules on our side:

* 1C's message ``Message_<1C's code>_<our code>.xml`` is read if present. Its header must be addressed
  to us (1C's error 178) and come from the node's 1C base; its ReceivedNo confirms our messages up to
  that number (the acknowledged journal position advances); a MessageNo at or below the last one
  received is skipped, body and all (1C's warning 174). The body's counterparties, bank accounts,
  contracts, products, receipts, sales and deletions are written through the parties, catalog and sales
  services (`catalogs`, `documents`), in one transaction with the new ReceivedNo, so
  a run cut off half-way leaves nothing and the same file taken again gives the same state.
* Our answer ``Message_<our code>_<1C's code>.xml`` always follows (1C deletes what we confirmed only
  when we say so): MessageNo = last sent + 1, ReceivedNo = last received, and — like 1C's messages,
  cumulative — every counterparty, contract and issued invoice changed since 1C's last confirmation,
  except changes that came from this node. Written to a temporary name and renamed, so 1C never reads half a file.
* Until a version is agreed, both sides send settings-only messages (base Format, no Body); 1C's
  AvailableVersion list fixes the highest common version.

Identity: a counterparty travels under the GUID bound to it for this node (1C's `Ссылка`), or under its own
id, which is then bound too, so 1C's echo of it finds it again. An incoming one unknown by GUID is looked for
by our id (1C creates objects with the GUIDs we send), then by INN+KPP, then created.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import asdict
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.access.records import record_create, record_update
from raccordo.core.context import change_context
from raccordo.core.errors import ApplicationError
from raccordo.core.models import ChangeJournal, Operation, Origin
from raccordo.core.phones import normalize_phone
from raccordo.exchange.engine import (
    RunRecorder,
    Source,
    content_hash,
    finish_run,
    start_run,
    validation_message,
)
from raccordo.exchange.exporters.horizon import journal_horizon
from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc
from raccordo.exchange.formats.enterprisedata import envelope as env
from raccordo.exchange.models import Binding, ExchangeNode, NodeKind, Run, RunItem
from raccordo.parties.models import Address, BankAccount, Counterparty, CounterpartyKind, Email, Phone
from raccordo.parties.services import (
    address_add,
    bank_account_add,
    counterparty_create,
    counterparty_update,
    email_add,
    phone_add,
)

from . import catalogs, documents
from .models import EnterpriseDataPeer, SentMessage

# What we send and read ("" : not in that direction). 1C stalls on an empty list; listing what we do not
# read would make 1C send it for nothing.
OBJECT_TYPES = [env.ObjectTypeSupport(fmt.COUNTERPARTY), env.ObjectTypeSupport(fmt.BANK_ACCOUNT),
                env.ObjectTypeSupport(cat.CONTRACT), env.ObjectTypeSupport(cat.PRODUCT, sending=""),
                env.ObjectTypeSupport(doc.ORDER, receiving=""), env.ObjectTypeSupport(doc.PAYMENT, sending=""),
                env.ObjectTypeSupport(doc.SALE, sending="")]
RUN_KIND = "enterprisedata"


class ExchangeRefused(ApplicationError):
    """The exchange cannot go on (no folder, no peer settings, no common version); nothing was written."""

    code = "exchange.enterprisedata.refused"


def message_name(sender: str, recipient: str) -> str:
    """SSL's ИмяФайлаСообщенияОбмена for a plain (not zipped) message."""
    return f"Message_{sender}_{recipient}.xml"


@transaction.atomic
def peer_setup(*, user, node: ExchangeNode, our_code: str, peer_code: str, prefix: str = "RC",
               versions: list[str] | None = None) -> EnterpriseDataPeer:
    """Set (or change) the node codes of both sides and the versions we accept for an EnterpriseData node."""
    if node.kind != NodeKind.ENTERPRISEDATA:
        raise ExchangeRefused(_("Node %(code)s is not an EnterpriseData node.") % {"code": node.code},
                              code="exchange.node.kind")
    unknown = [v for v in versions or [] if v not in fmt.VERSIONS]
    if unknown:
        raise ExchangeRefused(_("Raccordo does not write EnterpriseData %(versions)s; it writes %(ours)s.") % {
            "versions": ", ".join(unknown), "ours": ", ".join(fmt.VERSIONS)}, code="exchange.enterprisedata.version")
    data: dict = {"our_code": our_code.strip(), "peer_code": peer_code.strip(), "prefix": prefix.strip()}
    if versions:
        data["versions"] = list(versions)
    peer = EnterpriseDataPeer.objects.filter(node=node).first()
    if peer is None:
        return record_create(EnterpriseDataPeer, user=user, data={**data, "node": node})
    return record_update(peer, user=user, data=data)


# ---------------------------------------------------------------------------------------------------- import


class _Importer:
    """Writes one message's objects through the parties services; counts each outcome on the run."""

    def __init__(self, node: ExchangeNode, recorder: RunRecorder, file: str, version: str):
        self.node, self.recorder, self.file, self.version = node, recorder, file, version
        self.catalogs = catalogs.CatalogImporter(self)
        self.documents = documents.DocumentImporter(self)

    def _binding(self, object_type: str, ref: str) -> Binding | None:
        return Binding.objects.filter(node=self.node, object_type=object_type, external_id=ref).first() if ref else None

    def _bind(self, object_type: str, ref: str, obj, digest: str, *, deleted: bool = False) -> None:
        if not ref:
            return
        Binding.objects.filter(node=self.node, object_type=object_type, object_id=obj.pk).exclude(
            external_id=ref).delete()
        Binding.objects.update_or_create(node=self.node, object_type=object_type, external_id=ref,
                                         defaults={"object_id": obj.pk, "content_hash": digest,
                                                   "peer_deleted": deleted})

    def find_counterparty(self, rec: fmt.CounterpartyRec) -> Counterparty | None:
        """By the binding of 1C's GUID, then by our own id (our GUIDs come back), then by INN+KPP (one match)."""
        binding = self._binding(fmt.COUNTERPARTY, rec.ref)
        if binding is not None:
            found = Counterparty.objects.filter(pk=binding.object_id).first()
            if found is not None:
                return found
        try:
            own = Counterparty.objects.filter(pk=uuid.UUID(rec.ref)).first() if rec.ref else None
        except ValueError:
            own = None
        if own is not None:
            return own
        if rec.inn:
            matches = list(Counterparty.objects.filter(inn=rec.inn, kpp=rec.kpp)[:2])
            if len(matches) == 1:
                return matches[0]
        return None

    def counterparty(self, rec: fmt.CounterpartyRec) -> Counterparty | None:
        digest = content_hash(asdict(rec) | {"line": None, "main_account": None})
        binding = self._binding(fmt.COUNTERPARTY, rec.ref)
        found = self.find_counterparty(rec)
        if found is not None and binding is not None and binding.content_hash == digest and found.is_active:
            self.recorder.count("unchanged")
            return found
        if rec.legal:
            kind: str = CounterpartyKind.LEGAL
        elif rec.sole_trader is not None:
            kind = CounterpartyKind.SOLE_TRADER if rec.sole_trader else CounterpartyKind.INDIVIDUAL
        elif found is not None and found.kind != CounterpartyKind.LEGAL:
            kind = found.kind    # ≤ 1.16 cannot tell a sole trader from a person: ours stands
        else:
            kind = CounterpartyKind.SOLE_TRADER if rec.inn else CounterpartyKind.INDIVIDUAL
        # Receiving an object clears its deletion mark, as in 1C.
        data = {"name": rec.name[:255], "full_name": rec.full_name[:500], "inn": rec.inn, "kpp": rec.kpp,
                "kind": kind, "country": rec.country or "RU", "is_active": True}
        created = found is None
        if created:
            found = counterparty_create(user=None, data={**data, "responsible": self.node.default_responsible})
            changed = True
        else:
            before = found.updated_at  # type: ignore[union-attr]  # not created: found
            found = counterparty_update(user=None, counterparty=found, data=data)  # type: ignore[arg-type]
            changed = found.updated_at != before
        changed = self._contacts(found, rec) or changed
        self.recorder.count("created" if created else "updated" if changed else "unchanged")
        self._bind(fmt.COUNTERPARTY, rec.ref, found, digest)
        return found

    def _contacts(self, cp: Counterparty, rec: fmt.CounterpartyRec) -> bool:
        """Add the phones, e-mails and addresses 1C has and we lack (ours are kept: the CRM may know more)."""
        added = False
        phones = set(Phone.objects.filter(counterparty=cp).values_list("number", flat=True))
        for kind, number in rec.phones:
            try:
                normal = normalize_phone(number)
            except ValidationError:   # an unreadable number is reported, the counterparty still comes in
                self._note(rec, "exchange.enterprisedata.phone", _("Phone %(number)s cannot be read.") % {
                    "number": number})
                continue
            if normal not in phones:
                phone_add(user=None, counterparty=cp, number=number, kind=kind)
                phones.add(normal)
                added = True
        emails = set(Email.objects.filter(counterparty=cp).values_list("address", flat=True))
        for address in rec.emails:
            if address.strip().lower() not in emails:
                email_add(user=None, counterparty=cp, address=address)
                emails.add(address.strip().lower())
                added = True
        addresses = set(Address.objects.filter(counterparty=cp).values_list("kind", "text"))
        for kind, text in rec.addresses:
            if (kind, text[:500]) not in addresses:
                address_add(user=None, counterparty=cp, data={"kind": kind, "text": text[:500]})
                addresses.add((kind, text[:500]))
                added = True
        if rec.website and cp.website != rec.website:
            counterparty_update(user=None, counterparty=cp, data={"website": rec.website})
            added = True
        return added

    def _note(self, rec, code: str, message: str) -> None:
        self.recorder.add(RunItem(outcome="skipped", object_type=fmt.COUNTERPARTY, external_id=rec.ref[:255],
                                  code=code, message=message, file=self.file, line=rec.line))

    def bank_account(self, acc: fmt.BankAccountRec) -> None:
        owner = self.find_counterparty(acc.owner) if acc.owner is not None else None
        if owner is None:
            raise fmt.ObjectInvalid(_("the bank account's owner is no counterparty known here"), line=acc.line,
                                    ref=acc.ref)
        digest = content_hash(asdict(acc) | {"line": None, "owner": acc.owner.ref if acc.owner else ""})
        binding = self._binding(fmt.BANK_ACCOUNT, acc.ref)
        found = BankAccount.objects.filter(pk=binding.object_id).first() if binding is not None else None
        if found is None:
            try:
                found = BankAccount.objects.filter(pk=uuid.UUID(acc.ref)).first()
            except ValueError:
                found = None
        if found is None:
            found = BankAccount.objects.filter(counterparty=owner, account_number=acc.number).first()
        if found is not None and binding is not None and binding.content_hash == digest:
            self.recorder.count("unchanged")
            return
        data = {"bank_name": acc.bank_name or acc.bic or "?", "bic": acc.bic, "account_number": acc.number,
                "correspondent_account": acc.correspondent_account, "currency": acc.currency}
        if found is None:
            found = bank_account_add(user=None, data={**data, "counterparty": owner})
            self.recorder.count("created")
        else:
            before = found.updated_at
            found = record_update(found, user=None, data={**data, "counterparty": owner})
            self.recorder.count("updated" if found.updated_at != before else "unchanged")
        self._bind(fmt.BANK_ACCOUNT, acc.ref, found, digest)

    def deletion(self, rec: fmt.DeletionRec) -> None:
        """1C deleted (or marked deleted) a counterparty: ours is made inactive, never deleted."""
        if self.catalogs.deletion(rec) or self.documents.deletion(rec):
            return
        if rec.object_type != "КонтрагентыСсылка":
            self.recorder.count("skipped")
            return
        binding = self._binding(fmt.COUNTERPARTY, rec.ref)
        found = Counterparty.objects.filter(pk=binding.object_id).first() if binding is not None else None
        if found is None:
            self.recorder.count("skipped")
            return
        if found.is_active:
            counterparty_update(user=None, counterparty=found, data={"is_active": False})
            self.recorder.count("updated")
        else:
            self.recorder.count("unchanged")
        binding.peer_deleted = True  # type: ignore[union-attr]  # a counterparty was found through its binding
        binding.content_hash = ""  # type: ignore[union-attr]
        binding.save(update_fields=["peer_deleted", "content_hash", "updated_at"])  # type: ignore[union-attr]

    def take(self, el) -> None:
        try:
            rec = (fmt.read_object(el, self.version) or cat.read_catalog_object(el, self.version)
                   or doc.read_document(el, self.version))
            if rec is None:
                self.recorder.count("skipped")
                return
            with transaction.atomic():   # one object's writes stand or fall together
                if isinstance(rec, fmt.CounterpartyRec):
                    self.counterparty(rec)
                elif isinstance(rec, fmt.BankAccountRec):
                    self.bank_account(rec)
                elif isinstance(rec, cat.ContractRec):
                    self.catalogs.contract(rec)
                elif isinstance(rec, cat.ProductRec):
                    self.catalogs.product(rec)
                elif isinstance(rec, doc.PaymentRec):
                    self.documents.payment(rec)
                elif isinstance(rec, doc.SaleRec):
                    self.documents.sale(rec)
                elif isinstance(rec, doc.OrderRec):
                    self.documents.order(rec)
                else:
                    self.deletion(rec)
        except fmt.ObjectInvalid as exc:
            self.recorder.fail(object_type=el.tag.rpartition("}")[2], code="exchange.enterprisedata.object",
                               source=Source(file=self.file, line=exc.line or el.sourceline, external_id=exc.ref),
                               message=exc.message)
        except (ValidationError, ApplicationError) as exc:   # a record the services refuse: reported, not fatal
            text = validation_message(exc) if isinstance(exc, ValidationError) else exc.message
            self.recorder.fail(object_type=el.tag.rpartition("}")[2], code="exchange.record.invalid",
                               source=Source(file=self.file, line=el.sourceline), message=text)


# ---------------------------------------------------------------------------------------------------- export


def _counterparty_rec(cp: Counterparty, ref_of) -> fmt.CounterpartyRec:
    rec = fmt.CounterpartyRec(
        ref=ref_of(fmt.COUNTERPARTY, cp), name=cp.name, legal=cp.kind == CounterpartyKind.LEGAL,
        sole_trader=None if cp.kind == CounterpartyKind.LEGAL else cp.kind == CounterpartyKind.SOLE_TRADER,
        full_name=cp.full_name, inn=cp.inn, kpp=cp.kpp, country=cp.country or "RU",
        phones=[(p.kind, p.number) for p in cp.phones.filter(contact__isnull=True).order_by("created_at", "id")],
        emails=[e.address for e in cp.emails.filter(contact__isnull=True).order_by("created_at", "id")],
        addresses=[(a.kind, a.text) for a in cp.addresses.order_by("created_at", "id")], website=cp.website)
    return rec


def _account_rec(acc: BankAccount, ref_of) -> fmt.BankAccountRec:
    return fmt.BankAccountRec(ref=ref_of(fmt.BANK_ACCOUNT, acc), number=acc.account_number or acc.iban,
                              bank_name=acc.bank_name, bic=acc.bic if acc.bic.isdigit() else "",
                              swift=acc.bic if acc.bic and not acc.bic.isdigit() else "",
                              correspondent_account=acc.correspondent_account, currency=acc.currency)


def _changed_counterparties(node: ExchangeNode, after: int, upto: int) -> tuple[set, set]:
    """Counterparties changed in the journal in (after, upto] by anyone but this node: (alive ids, deleted ids)."""
    types = {ContentType.objects.get_for_model(m).pk: m for m in (Counterparty, Phone, Email, Address, BankAccount)}
    rows = (ChangeJournal.objects.filter(seq__gt=after, seq__lte=upto, content_type_id__in=list(types))
            .exclude(node=node.code).values_list("content_type_id", "object_id", "operation", "changes"))
    alive: set = set()
    gone: set = set()
    for ct, object_id, operation, changes in rows:
        model = types[ct]
        if model is Counterparty:
            (gone if operation == Operation.DELETE else alive).add(object_id)
            continue
        owner = (changes or {}).get("counterparty")
        owner_id = next((v for v in (owner or []) if v), None)
        if owner_id:
            alive.add(uuid.UUID(str(owner_id)))
    gone -= set(Counterparty.objects.filter(pk__in=gone).values_list("pk", flat=True))
    return alive - gone, gone


class _Refs:
    """The GUID each record travels under: its binding's, or its own id (bound as it is first sent)."""

    def __init__(self, node: ExchangeNode):
        self.node = node
        self.new: dict[tuple[str, object], str] = {}

    def __call__(self, object_type: str, obj) -> str:
        ext = (Binding.objects.filter(node=self.node, object_type=object_type, object_id=obj.pk)
               .values_list("external_id", flat=True).first())
        if ext is None:
            ext = str(obj.pk)
            self.new[(object_type, obj.pk)] = ext
        return ext


def _outgoing_objects(node: ExchangeNode, version: str, after: int, upto: int, recorder: RunRecorder) -> list:
    refs = _Refs(node)
    alive, gone = _changed_counterparties(node, after, upto)
    out = []
    digests: dict[tuple[str, object], str] = {}
    for cp in Counterparty.objects.filter(pk__in=alive).order_by("created_at", "id"):
        rec = _counterparty_rec(cp, refs)
        accounts = list(cp.bank_accounts.order_by("-is_primary", "created_at", "id"))
        account_recs = [(acc, _account_rec(acc, refs)) for acc in accounts if acc.account_number or acc.iban]
        if account_recs:
            rec.main_account = account_recs[0][1]
        el = fmt.counterparty_element(rec, version)
        # The hash is of what 1C will send back (read as we read it), so an echo is recognised as unchanged.
        back = fmt.read_object(el, version)
        digests[(fmt.COUNTERPARTY, cp.pk)] = content_hash(asdict(back) | {"line": None, "main_account": None})  # type: ignore[arg-type]  # a counterparty element reads back as a CounterpartyRec
        out.append(el)
        for acc, arec in account_recs:
            ael = fmt.bank_account_element(arec, rec, version)
            aback = fmt.read_object(ael, version)
            digests[(fmt.BANK_ACCOUNT, acc.pk)] = content_hash(asdict(aback) | {"line": None,  # type: ignore[arg-type]  # a bank account element reads back as a BankAccountRec
                                                                               "owner": aback.owner.ref})  # type: ignore[union-attr]
            out.append(ael)
        if not cp.is_active:
            out.append(fmt.deletion_element("КонтрагентыСсылка", rec.ref, version))
    for object_id in gone:
        ext = (Binding.objects.filter(node=node, object_type=fmt.COUNTERPARTY, object_id=object_id)
               .values_list("external_id", flat=True).first())
        if ext:   # 1C is told of a deletion only for what it knows (SSL sends it only with a public id)
            out.append(fmt.deletion_element("КонтрагентыСсылка", ext, version))
    out.extend(catalogs.outgoing_contracts(node, version, after, upto, refs, _counterparty_rec, digests))
    out.extend(documents.outgoing_invoices(node, version, after, upto, refs, _counterparty_rec, digests, recorder))
    for (object_type, object_id), ext in refs.new.items():
        Binding.objects.get_or_create(node=node, object_type=object_type, external_id=ext,  # type: ignore[misc]  # refs hold model ids
                                      defaults={"object_id": object_id,
                                                "content_hash": digests.get((object_type, object_id), "")})
    for (object_type, object_id), digest in digests.items():
        Binding.objects.filter(node=node, object_type=object_type, object_id=object_id).update(content_hash=digest)  # type: ignore[misc]  # refs hold model ids
    return out


def _write_atomically(folder: Path, name: str, write) -> Path:
    """Write a file under a temporary name in the same folder, then rename it: 1C never sees half of it."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".raccordo-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        target = folder / name
        os.replace(tmp, target)
        return target
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    if not node.path or not Path(node.path).is_dir():
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


def _read_incoming(node: ExchangeNode, peer: EnterpriseDataPeer, path: Path, run: Run, recorder: RunRecorder) -> str:
    """Take 1C's message; return a note for the run (what happened to it)."""
    with path.open("rb") as raw:
        reader = env.MessageReader(raw, file=path.name)
        header = reader.header
        env.check_addressed(header, our_codes=[peer.our_code], peer_codes=[peer.peer_code], file=path.name)
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
                    "exchange.enterprisedata.version", file=path.name, line=header.line)
            peer.format_version = common
            peer.save(update_fields=["peer_versions", "peer_prefix", "peer_exchange_plan", "peer_object_types",
                                     "format_version", "updated_at"])
            if header.settings_only:
                return _("1C's settings read; version %(version)s agreed.") % {"version": common}
            if header.version not in peer.versions:
                raise env.EnvelopeError(_("EnterpriseData %(version)s is not accepted from this node.") % {
                    "version": header.version}, "exchange.enterprisedata.version", file=path.name, line=header.line)
            # Its ReceivedNo is honoured even when the message itself was received before (1C does the same).
            _acknowledge(node, header.received_no)
            if env.already_received(header, node.last_received_no):
                recorder.add(RunItem(outcome="skipped", object_type="message", code="exchange.enterprisedata.174",
                                     message=_("Message %(no)s was already received; its data is skipped.") % {
                                         "no": header.message_no}, file=path.name, line=header.line))
                recorder.save()
                return _("Message %(no)s was already received (1C's warning 174).") % {"no": header.message_no}
            importer = _Importer(node, recorder, path.name, header.version)  # type: ignore[arg-type]  # the header was checked: it has a version
            for el in reader.objects():
                importer.take(el)
            if header.message_no and header.message_no > 0:
                node.last_received_no = header.message_no
                ExchangeNode.objects.filter(pk=node.pk).update(last_received_no=header.message_no)
            recorder.save()
    return _("Message %(no)s from 1C taken.") % {"no": header.message_no or 0}


def _write_outgoing(node: ExchangeNode, peer: EnterpriseDataPeer, recorder: RunRecorder) -> tuple[Path, int]:
    folder = Path(node.path)
    name = message_name(peer.our_code, peer.peer_code)
    version = peer.format_version
    header = env.Header(format=env.format_uri(version or None), sender=peer.our_code, recipient=peer.peer_code,
                        versions=list(peer.versions), object_types=OBJECT_TYPES, prefix=peer.prefix,
                        exchange_plan=peer.peer_exchange_plan or env.EXCHANGE_PLAN)
    if not version:
        _write_atomically(folder, name, lambda out: env.write_message(out, header))
        return folder / name, 0
    with transaction.atomic():
        locked = ExchangeNode.objects.select_for_update().get(pk=node.pk)
        upto = journal_horizon(locked.export_cursor)
        objects = _outgoing_objects(locked, version, locked.export_cursor, upto, recorder)
        header.message_no = locked.last_sent_no + 1
        header.received_no = locked.last_received_no
        path = _write_atomically(folder, name, lambda out: env.write_message(out, header, objects))
        SentMessage.objects.create(node=locked, number=header.message_no, journal_seq=upto,
                                   objects_count=len(objects))
        ExchangeNode.objects.filter(pk=node.pk).update(last_sent_no=header.message_no)
        node.last_sent_no = header.message_no
    return path, len(objects)


def enterprisedata_exchange(*, node: ExchangeNode, user=None) -> Run:
    """One exchange with the node's 1C base over its folder: read 1C's message (if any), write ours; the run."""
    peer = _peer(node)
    folder = Path(node.path)
    incoming = folder / message_name(peer.peer_code, peer.our_code)
    run = start_run(node=node, kind=RUN_KIND, files=[incoming.name] if incoming.is_file() else [], user=user)
    recorder = RunRecorder(run)
    notes = []
    with change_context(origin=Origin.EXCHANGE, node=node.code, request_id=f"run-{run.pk}"):
        if incoming.is_file() and incoming.stat().st_size > 0:
            try:
                notes.append(_read_incoming(node, peer, incoming, run, recorder))
            except env.EnvelopeError as exc:
                run.refresh_from_db()
                recorder.add(RunItem(outcome="failed", object_type="message", code=exc.code[:64], message=exc.message,
                                     file=exc.file or incoming.name, line=exc.line))
                run.failed += 1
                recorder.save()
                return finish_run(run, error=str(exc))
            peer.refresh_from_db()
            node.refresh_from_db()
        path, count = _write_outgoing(node, peer, recorder)
        notes.append(_("%(name)s written with %(count)s object(s).") % {"name": path.name, "count": count})
    recorder.save()
    return finish_run(run, note=" ".join(notes))
