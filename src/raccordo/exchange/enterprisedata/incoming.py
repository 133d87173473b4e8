"""1C's objects from one EnterpriseData message, written through our services.

:class:`MessageImporter` takes the body's objects one by one (each in its own savepoint: one object's
writes stand or fall together) and counts each outcome on the run. Counterparties and bank accounts are
written here; contracts and products by :mod:`.catalogs`, contact persons by :mod:`.contacts`, payments, sales and orders by
:mod:`.documents`, which use this importer's bindings. 1C's deletions make ours inactive, never deleted.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.access.policy import node_can
from raccordo.core.errors import ApplicationError
from raccordo.core.journal import diff, snapshot
from raccordo.core.phones import normalize_phone
from raccordo.exchange.conflicts import MergeRules
from raccordo.exchange.engine import RunRecorder, Source, content_hash, validation_message
from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import contacts as ct
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc
from raccordo.exchange.mappings import COUNTERPARTY as MAPPED_COUNTERPARTY
from raccordo.exchange.mappings import mapping_plan, responsible_for_new
from raccordo.exchange.models import Binding, ExchangeNode, RunItem
from raccordo.parties.models import (
    Address,
    BankAccount,
    ContactPerson,
    Counterparty,
    CounterpartyKind,
    Email,
    Phone,
)
from raccordo.parties.search import deferred
from raccordo.parties.services import (
    address_add,
    bank_account_add,
    bank_account_update,
    counterparty_create,
    counterparty_update,
    email_add,
    phone_add,
)

from . import catalogs, contacts, documents
from .bindings import NodeBindings

REFUSED = "refused"
CHUNK = 500     # objects read ahead, whose bindings are loaded in one query (`MessageImporter.take_all`)


class OutOfScope(Exception):
    """An object about a record outside the node's scope (the managers its counterparty mapping is limited
    to, see `access.policy.node_can`): refused whole, listed on the node's page, nothing of it written."""

    def __init__(self, message: str, ref: str = ""):
        super().__init__(message)
        self.message, self.ref = message, ref


class MessageImporter:
    """Writes one message's objects through the parties services; counts each outcome on the run.

    The node's counterparty mapping steers it as it steers a CommerceML node: the fields the CRM owns are
    never overwritten, a field changed on both sides since 1C last sent it is a conflict for the mapping's
    policy (`conflicts.MergeRules`), its managers filter is the node's scope, and new counterparties get
    its responsible.
    """

    def __init__(self, node: ExchangeNode, recorder: RunRecorder, file: str, version: str):
        self.node, self.recorder, self.file, self.version = node, recorder, file, version
        plan = mapping_plan(node, MAPPED_COUNTERPARTY)
        self.managers = list(plan.filter_values)
        self.cp_rules = MergeRules(node=node, object_type=MAPPED_COUNTERPARTY, crm_owned=plan.crm_owned,
                                   policy=plan.conflict_policy, run=recorder.run)
        self.catalogs = catalogs.CatalogImporter(self)
        self.documents = documents.DocumentImporter(self)
        self.contacts = contacts.ContactImporter(self)
        self.bindings = NodeBindings(node)
        self._new_responsible: list = []     # responsible_for_new, asked once per message
        self._own_companies: dict[tuple[str, str, str], Any] = {}

    def binding(self, object_type: str, ref: str) -> Binding | None:
        """This node's binding of 1C's GUID ``ref`` for ``object_type``; None when there is none (or no ref)."""
        return self.bindings.get(object_type, ref)

    def bind(self, object_type: str, ref: str, obj, digest: str, *, deleted: bool = False) -> None:
        """Bind ``obj`` to 1C's GUID ``ref`` (one GUID per object) with the content hash of what 1C sent."""
        self.bindings.bind(object_type, ref, obj, digest, deleted=deleted)

    def own_company(self, org: cat.OrganizationRec, *, ref: str, line: int | None):
        """Our own company 1C names (`catalogs.own_company_for`), looked up once per message and kind of keys."""
        key = (org.inn, org.kpp, org.name)
        if key not in self._own_companies:
            self._own_companies[key] = catalogs.own_company_for(org, ref=ref, line=line)
        return self._own_companies[key]

    def in_scope(self, obj, *, ref: str, what: str) -> None:
        """Refuse (:class:`OutOfScope`) an object about ``obj`` when ``obj`` is outside the node's scope."""
        if obj is not None and not node_can(obj, managers=self.managers):
            raise OutOfScope(_("%(what)s is about a record whose counterparty is not one of the managers this "
                               "node is limited to: refused.") % {"what": what}, ref=ref)

    def find_counterparty(self, rec: fmt.CounterpartyRec) -> Counterparty | None:
        """By the binding of 1C's GUID, then by our own id (our GUIDs come back), then by INN+KPP (one match)."""
        binding = self.binding(fmt.COUNTERPARTY, rec.ref)
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
        """Create or update the counterparty 1C sent (found by :meth:`find_counterparty`) and bind it."""
        digest = content_hash(asdict(rec) | {"line": None, "main_account": None})
        binding = self.binding(fmt.COUNTERPARTY, rec.ref)
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
        if found is None:
            found = counterparty_create(user=None, data={**data, "responsible": self._responsible(rec)})
            changed = True
        else:
            self.in_scope(found, ref=rec.ref, what=_("Counterparty %(name)s") % {"name": rec.name})
            data = self._merged(found, data, rec.ref, bound=binding is not None, line=rec.line)
            before = found.updated_at
            if data:
                found = counterparty_update(user=None, counterparty=found, data=data)
            changed = found.updated_at != before
        changed = self._contacts(found, rec) or changed
        self.recorder.count("created" if created else "updated" if changed else "unchanged")
        self.bind(fmt.COUNTERPARTY, rec.ref, found, digest)
        return found

    def _responsible(self, rec: fmt.CounterpartyRec):
        """Who gets a counterparty 1C brings: the mapping's responsible, else the node's default; a node
        limited to some managers takes a new one only for one of them."""
        if not self._new_responsible:
            self._new_responsible.append(responsible_for_new(self.node))
        responsible = self._new_responsible[0]
        if self.managers and (responsible is None or str(responsible.pk) not in {str(m) for m in self.managers}):
            raise OutOfScope(_("Counterparty %(name)s is new, and its responsible would not be one of the "
                               "managers this node is limited to: refused.") % {"name": rec.name}, ref=rec.ref)
        return responsible

    def _merged(self, found: Counterparty, data: dict[str, Any], ref: str, *, bound: bool, line) -> dict[str, Any]:
        """What of 1C's ``data`` to write on ``found``: not the fields the CRM owns (the mapping), not what did
        not change, and of a field both sides changed since 1C last sent it, what the mapping's policy says
        (each such conflict is a RunItem of the run)."""
        data = {k: v for k, v in data.items() if k not in self.cp_rules.crm_owned}
        probe = copy.copy(found)
        before = snapshot(found)
        for key, value in data.items():
            setattr(probe, key, value)
        changes = diff(before, snapshot(probe))
        if changes and bound:
            history = self.cp_rules.histories(Counterparty, [found.pk]).get(found.pk)
            decided = self.cp_rules.decide(history=history, before=before, after=snapshot(probe), changes=changes)
            if decided:
                keep = self.cp_rules.record(self.recorder, conflicts=decided, external_id=ref, object_id=found.pk,
                                            source=Source(file=self.file, line=line, external_id=ref))
                changes = {k: v for k, v in changes.items() if k not in keep}
        return {k: data[k] for k in changes}

    def phones_emails_add(self, rec, *, object_type: str, counterparty: Counterparty,
                          contact: ContactPerson | None = None) -> bool:
        """Add the phones and e-mails 1C has and the counterparty (or its contact person) lacks; ours are kept,
        the CRM may know more. An unreadable number is reported and the record still comes in."""
        # A counterparty's numbers include its contact persons' (as before contact persons travelled).
        owner: dict[str, Any] = {"contact": contact} if contact is not None else {"counterparty": counterparty}
        added = False
        phones = set(Phone.objects.filter(**owner).values_list("number", flat=True))
        for kind, number in rec.phones:
            try:
                normal = normalize_phone(number)
            except ValidationError:
                self._note(rec, "exchange.enterprisedata.phone", _("Phone %(number)s cannot be read.") % {
                    "number": number}, object_type=object_type)
                continue
            if normal not in phones:
                phone_add(user=None, counterparty=counterparty, contact=contact, number=number, kind=kind)
                phones.add(normal)
                added = True
        emails = set(Email.objects.filter(**owner).values_list("address", flat=True))
        for address in rec.emails:
            if address.strip().lower() not in emails:
                email_add(user=None, counterparty=counterparty, contact=contact, address=address)
                emails.add(address.strip().lower())
                added = True
        return added

    def _contacts(self, cp: Counterparty, rec: fmt.CounterpartyRec) -> bool:
        """Add the phones, e-mails and addresses 1C has and we lack (ours are kept: the CRM may know more)."""
        added = self.phones_emails_add(rec, object_type=fmt.COUNTERPARTY, counterparty=cp)
        addresses = set(Address.objects.filter(counterparty=cp).values_list("kind", "text"))
        for kind, text in rec.addresses:
            if (kind, text[:500]) not in addresses:
                address_add(user=None, counterparty=cp, data={"kind": kind, "text": text[:500]})
                addresses.add((kind, text[:500]))
                added = True
        if rec.website and cp.website != rec.website and "website" not in self.cp_rules.crm_owned:
            counterparty_update(user=None, counterparty=cp, data={"website": rec.website})
            added = True
        return added

    def _note(self, rec, code: str, message: str, *, object_type: str = fmt.COUNTERPARTY) -> None:
        self.recorder.add(RunItem(outcome="skipped", object_type=object_type, external_id=rec.ref[:255],
                                  code=code, message=message, file=self.file, line=rec.line))

    def bank_account(self, acc: fmt.BankAccountRec) -> None:
        """Create or update a bank account of a counterparty known here, and bind it."""
        owner = self.find_counterparty(acc.owner) if acc.owner is not None else None
        if owner is None:
            raise fmt.ObjectInvalid(_("the bank account's owner is no counterparty known here"), line=acc.line,
                                    ref=acc.ref)
        self.in_scope(owner, ref=acc.ref, what=_("Bank account %(number)s") % {"number": acc.number})
        digest = content_hash(asdict(acc) | {"line": None, "owner": acc.owner.ref if acc.owner else ""})
        binding = self.binding(fmt.BANK_ACCOUNT, acc.ref)
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
        found = self.create_or_update(
            found, lambda: bank_account_add(user=None, data={**data, "counterparty": owner}),
            lambda obj: bank_account_update(user=None, account=obj, data={**data, "counterparty": owner}))
        self.bind(fmt.BANK_ACCOUNT, acc.ref, found, digest)

    def create_or_update(self, found, create, update):
        """Create the record (none found) or update it through its service; counted as created, updated or
        unchanged (a service that changes nothing leaves `updated_at` as it was). For bank accounts, contracts
        and products."""
        if found is None:
            found = create()
            self.recorder.count("created")
            return found
        before = found.updated_at
        found = update(found)
        self.recorder.count("updated" if found.updated_at != before else "unchanged")
        return found

    def deletion(self, rec: fmt.DeletionRec) -> None:
        """1C deleted (or marked deleted) a counterparty: ours is made inactive, never deleted."""
        if self.catalogs.deletion(rec) or self.documents.deletion(rec) or self.contacts.deletion(rec):
            return
        if rec.object_type != "КонтрагентыСсылка":
            self.recorder.count("skipped")
            return
        binding = self.binding(fmt.COUNTERPARTY, rec.ref)
        found = Counterparty.objects.filter(pk=binding.object_id).first() if binding is not None else None
        if found is None:
            self.recorder.count("skipped")
            return
        assert binding is not None  # found only through its binding
        self.in_scope(found, ref=rec.ref, what=_("The deletion of counterparty %(name)s") % {"name": found.name})
        if found.is_active:
            counterparty_update(user=None, counterparty=found, data={"is_active": False})
            self.recorder.count("updated")
        else:
            self.recorder.count("unchanged")
        binding.peer_deleted = True
        binding.content_hash = ""
        binding.save(update_fields=["peer_deleted", "content_hash", "updated_at"])

    def take(self, el) -> None:
        """Read one object of the body and write it; a record the format or the services refuse is reported
        on the run, and the message goes on."""
        self._write(self._read(el))

    def take_all(self, elements: Iterable) -> None:
        """Take the body's objects in chunks of CHUNK: each chunk's records are read (the reader drops each
        element as the next is asked for; the records stay), the bindings of every GUID they name are loaded
        in one query, then each is written in its own savepoint, in the message's order. The search
        documents of the counterparties a chunk touches are rewritten once, at the chunk's end, inside the
        message's transaction (`parties.search.deferred`), not once per phone, e-mail and counterparty."""
        chunk: list[_Read] = []
        for el in elements:
            chunk.append(self._read(el))
            if len(chunk) >= CHUNK:
                self._write_chunk(chunk)
                chunk = []
        if chunk:
            self._write_chunk(chunk)

    def _write_chunk(self, chunk: list[_Read]) -> None:
        refs: set[str] = set()
        for item in chunk:
            _collect_refs(item.rec, refs)
        self.bindings.preload(refs)
        with deferred():
            for item in chunk:
                self._write(item)
        self.bindings.forget()

    def _read(self, el) -> _Read:
        tag = el.tag.rpartition("}")[2]
        try:
            rec = (fmt.read_object(el, self.version) or cat.read_catalog_object(el, self.version)
                   or doc.read_document(el, self.version) or ct.read_contact(el, self.version))
        except (fmt.ObjectInvalid, ValidationError, ApplicationError) as exc:
            return _Read(tag, el.sourceline, None, exc)
        return _Read(tag, el.sourceline, rec, None)

    def _write(self, item: _Read) -> None:
        try:
            if item.error is not None:
                raise item.error
            if item.rec is None:
                self.recorder.count("skipped")
                return
            try:
                with transaction.atomic():   # one object's writes stand or fall together
                    self._dispatch(item.rec)
            except BaseException:
                self.bindings.forget()       # what it bound may have been rolled back with it
                raise
        except OutOfScope as exc:
            self.recorder.count("skipped")
            self.recorder.add(RunItem(outcome=REFUSED, object_type=item.tag[:64],
                                      external_id=exc.ref[:255], code="exchange.enterprisedata.out_of_scope",
                                      message=exc.message, file=self.file, line=item.line))
        except fmt.ObjectInvalid as exc:
            self.recorder.fail(object_type=item.tag, code="exchange.enterprisedata.object",
                               source=Source(file=self.file, line=exc.line or item.line, external_id=exc.ref),
                               message=exc.message)
        except (ValidationError, ApplicationError) as exc:   # a record the services refuse: reported, not fatal
            text = validation_message(exc) if isinstance(exc, ValidationError) else exc.message
            self.recorder.fail(object_type=item.tag, code="exchange.record.invalid",
                               source=Source(file=self.file, line=item.line), message=text)

    def _dispatch(self, rec) -> None:
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
        elif isinstance(rec, ct.ContactRec):
            self.contacts.contact(rec)
        else:
            self.deletion(rec)


class _Read(NamedTuple):
    """One object of the body as read: its element's name and line, its record, or why it could not be read."""

    tag: str
    line: int | None
    rec: Any
    error: Exception | None


def _collect_refs(value, out: set[str]) -> None:
    """Every 1C GUID (``ref``) a record names, its own and those of the records it refers to."""
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if field.name == "ref" and isinstance(item, str):
                out.add(item)
            elif isinstance(item, (list, tuple)) or dataclasses.is_dataclass(item):
                _collect_refs(item, out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_refs(item, out)
