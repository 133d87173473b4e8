"""Contact persons both ways (Справочник.КонтактныеЛица, EnterpriseData 1.17 only), through the parties services.

* From 1C: the person is found by the binding of 1C's GUID, then by our own id (our GUIDs come back), then
  by the same name within the same counterparty (one match); else created with `contact_create`. A known
  person gets 1C's name parts and position through `contact_update`; phones and e-mails 1C has and we lack
  are added (ours are kept, as for counterparties). 1C's deletion makes the person inactive.
* To 1C: contact persons changed in the journal by anyone but the node (with their own phones and e-mails),
  under their bound GUID or their own id, hashed as 1C will send them back so the echo writes nothing.
  Only in a version that has the type (1.17); in 1.10 and 1.16 nothing is written for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from raccordo.core.models import ChangeJournal, Operation
from raccordo.exchange.formats.enterprisedata import contacts as ct
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.mappings import node_scoped
from raccordo.exchange.models import ExchangeNode
from raccordo.parties.models import ContactPerson, Email, Phone
from raccordo.parties.services import contact_create, contact_update

from .bindings import known_deletions
from .catalogs import digest


def name_parts(full: str) -> dict[str, str]:
    """1C's ФИО as our last, first and middle names (Russian order: surname first); one word is a first name."""
    words = full.split()
    if len(words) == 1:
        return {"last_name": "", "first_name": words[0][:100], "middle_name": ""}
    return {"last_name": words[0][:100], "first_name": words[1][:100], "middle_name": " ".join(words[2:])[:100]}


def full_name(contact: ContactPerson) -> str:
    """Our contact's name as one ФИО line (surname, name, patronymic)."""
    return " ".join(p for p in (contact.last_name, contact.first_name, contact.middle_name) if p)


class ContactImporter:
    """Writes 1C's contact persons through the parties services (the importer's part)."""

    def __init__(self, importer):
        self.importer = importer
        self.node: ExchangeNode = importer.node
        self.recorder = importer.recorder

    def find(self, rec: ct.ContactRec, counterparty) -> ContactPerson | None:
        """By the binding of 1C's GUID, then our own id, then the one person of that name in the counterparty."""
        binding = self.importer.binding(ct.CONTACT, rec.ref)
        found = ContactPerson.objects.filter(pk=binding.object_id).first() if binding is not None else None
        if found is None and rec.ref:
            try:
                found = ContactPerson.objects.filter(pk=uuid.UUID(rec.ref), counterparty=counterparty).first()
            except ValueError:
                found = None
        if found is None:
            wanted = " ".join(rec.name.split()).casefold()
            same = [c for c in ContactPerson.objects.filter(counterparty=counterparty)
                    if full_name(c).casefold() == wanted]
            found = same[0] if len(same) == 1 else None
        return found

    def contact(self, rec: ct.ContactRec) -> ContactPerson:
        counterparty = self.importer.find_counterparty(rec.counterparty) if rec.counterparty else None
        if counterparty is None:
            raise fmt.ObjectInvalid(_("the contact person's counterparty is none known here"), line=rec.line,
                                    ref=rec.ref)
        self.importer.in_scope(counterparty, ref=rec.ref, what=_("Contact person %(name)s") % {"name": rec.name})
        hashed = digest(rec)
        found = self.find(rec, counterparty)
        binding = self.importer.binding(ct.CONTACT, rec.ref)
        if found is not None and binding is not None and binding.content_hash == hashed:
            self.recorder.count("unchanged")
            return found
        data = {**name_parts(rec.name), "position": rec.position[:150], "is_active": True}
        if found is None:
            found = contact_create(user=None, counterparty=counterparty, data=data)
            changed, created = True, True
        else:
            before = found.updated_at
            found = contact_update(user=None, contact=found, data=data)
            changed, created = found.updated_at != before, False
        changed = self._points(found, rec) or changed
        self.recorder.count("created" if created else "updated" if changed else "unchanged")
        self.importer.bind(ct.CONTACT, rec.ref, found, hashed)
        return found

    def _points(self, contact: ContactPerson, rec: ct.ContactRec) -> bool:
        """Add the person's phones and e-mails 1C has and we lack (ours are kept)."""
        return self.importer.phones_emails_add(rec, object_type=ct.CONTACT, counterparty=contact.counterparty,
                                               contact=contact)

    def deletion(self, rec: fmt.DeletionRec) -> bool:
        """1C deleted a contact person: ours becomes inactive. False: not a contact person's deletion."""
        if rec.object_type != ct.CONTACT_REF:
            return False
        binding = self.importer.binding(ct.CONTACT, rec.ref)
        found = ContactPerson.objects.filter(pk=binding.object_id).first() if binding is not None else None
        if found is None or binding is None:
            self.recorder.count("skipped")
            return True
        was_active = found.is_active
        if was_active:
            contact_update(user=None, contact=found, data={"is_active": False})
        self.recorder.count("updated" if was_active else "unchanged")
        self.importer.bindings.mark_peer_deleted(binding)
        return True


# ---------------------------------------------------------------------------------------------------- export


def changed_contacts(node: ExchangeNode, after: int, upto: int) -> tuple[set, set]:
    """Contact persons changed (or their own phones, e-mails) in (after, upto] by anyone but this node."""
    types = {ContentType.objects.get_for_model(m).pk: m for m in (ContactPerson, Phone, Email)}
    rows = (ChangeJournal.objects.filter(seq__gt=after, seq__lte=upto, content_type_id__in=list(types))
            .exclude(node=node.code).values_list("content_type_id", "object_id", "operation", "changes"))
    alive: set = set()
    gone: set = set()
    for type_id, object_id, operation, changes in rows:
        if types[type_id] is ContactPerson:
            (gone if operation == Operation.DELETE else alive).add(object_id)
            continue
        owner = next((v for v in ((changes or {}).get("contact") or []) if v), None)
        if owner:
            alive.add(uuid.UUID(str(owner)))
    gone -= set(ContactPerson.objects.filter(pk__in=gone).values_list("pk", flat=True))
    return alive - gone, gone


def outgoing_contacts(node: ExchangeNode, version: str, after: int, upto: int, refs, counterparty_rec,
                      digests: dict) -> Iterator:
    """Our changed contact persons as Справочник.КонтактныеЛица (1.17 only), and deletions 1C knows of
    (a generator)."""
    if not ct.carries_contacts(version):
        return
    alive, gone = changed_contacts(node, after, upto)
    for contact in (node_scoped(node, ContactPerson.objects.filter(pk__in=alive)).select_related("counterparty")
                    .order_by("created_at", "id").iterator(chunk_size=500)):
        rec = ct.ContactRec(
            ref=refs(ct.CONTACT, contact), name=full_name(contact), position=contact.position,
            phones=[(p.kind, p.number) for p in contact.phones.order_by("created_at", "id")],
            emails=[e.address for e in contact.emails.order_by("created_at", "id")])
        el = ct.contact_element(rec, counterparty_rec(contact.counterparty, refs), version)
        digests[(ct.CONTACT, contact.pk)] = digest(ct.read_contact(el, version))
        yield el
        if not contact.is_active:
            yield fmt.deletion_element(ct.CONTACT_REF, rec.ref, version)
    yield from known_deletions(node, ct.CONTACT, gone, ct.CONTACT_REF, version)
