"""Our side of an EnterpriseData message: what changed here since 1C's last confirmation.

:func:`outgoing_objects` gathers the counterparties (with their bank accounts) changed in the journal by
anyone but the node itself, the contracts (:mod:`.catalogs`), the contact persons in 1.17 (:mod:`.contacts`) and the issued invoices (:mod:`.documents`),
as XDTO elements, and records under which GUID each travels (:class:`OutgoingRefs`) with the content hash
of what 1C will send back, so that 1C's echo is recognised as unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import cast

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet
from lxml import etree

from raccordo.core.models import ChangeJournal, Operation
from raccordo.exchange.engine import RunRecorder, content_hash
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.mappings import node_scoped
from raccordo.exchange.models import Binding, ExchangeNode
from raccordo.parties.models import Address, BankAccount, Counterparty, CounterpartyKind, Email, Phone

from . import catalogs, contacts, documents
from .bindings import known_deletions
from .chunks import CHUNK, chunked, contact_prefetches, release


def _counterparty_rec(cp: Counterparty, ref_of) -> fmt.CounterpartyRec:
    phones = getattr(cp, "ed_phones", None)    # prefetched (contact_prefetches), else asked here
    emails = getattr(cp, "ed_emails", None)
    addresses = getattr(cp, "ed_addresses", None)
    rec = fmt.CounterpartyRec(
        ref=ref_of(fmt.COUNTERPARTY, cp), name=cp.name, legal=cp.kind == CounterpartyKind.LEGAL,
        sole_trader=None if cp.kind == CounterpartyKind.LEGAL else cp.kind == CounterpartyKind.SOLE_TRADER,
        full_name=cp.full_name, inn=cp.inn, kpp=cp.kpp, country=cp.country or "RU",
        phones=[(p.kind, p.number) for p in (phones if phones is not None else
                                             cp.phones.filter(contact__isnull=True).order_by("created_at", "id"))],
        emails=[e.address for e in (emails if emails is not None else
                                    cp.emails.filter(contact__isnull=True).order_by("created_at", "id"))],
        addresses=[(a.kind, a.text) for a in (addresses if addresses is not None else
                                              cp.addresses.order_by("created_at", "id"))], website=cp.website)
    return rec


def _account_rec(acc: BankAccount, ref_of) -> fmt.BankAccountRec:
    return fmt.BankAccountRec(ref=ref_of(fmt.BANK_ACCOUNT, acc), number=acc.account_number or acc.iban,
                              bank_name=acc.bank_name, bic=acc.bic if acc.bic.isdigit() else "",
                              swift=acc.bic if acc.bic and not acc.bic.isdigit() else "",
                              correspondent_account=acc.correspondent_account, currency=acc.currency)


def _changed_counterparties(node: ExchangeNode, after: int, upto: int) -> tuple[QuerySet, set[uuid.UUID]]:
    """Counterparties changed in the journal in (after, upto] by anyone but this node: (the alive ones, the ids of
    the deleted ones).

    The counterparties' own changes are matched by the database (a subquery): a set of every id, and a query
    naming each, grew with the message. Only the owners of changed phones, e-mails, addresses and accounts
    (read from each row's changes) and the deleted ids are gathered here.
    """
    counterparty_type = ContentType.objects.get_for_model(Counterparty).pk
    journal = ChangeJournal.objects.filter(seq__gt=after, seq__lte=upto).exclude(node=node.code)
    direct = journal.filter(content_type_id=counterparty_type).exclude(operation=Operation.DELETE).values("object_id")
    gone = set(journal.filter(content_type_id=counterparty_type, operation=Operation.DELETE)
               .values_list("object_id", flat=True))
    children = [ContentType.objects.get_for_model(m).pk for m in (Phone, Email, Address, BankAccount)]
    owners: set[uuid.UUID] = set()
    for changes in (journal.filter(content_type_id__in=children).values_list("changes", flat=True)
                    .iterator(chunk_size=2000)):   # streamed: only the owners' ids are kept
        owner_id = next((v for v in ((changes or {}).get("counterparty") or []) if v), None)
        if owner_id:
            owners.add(uuid.UUID(str(owner_id)))
    gone -= set(Counterparty.objects.filter(pk__in=gone).values_list("pk", flat=True))
    return Counterparty.objects.filter(Q(pk__in=direct) | Q(pk__in=owners - gone)), gone


class OutgoingRefs:
    """The GUID each record travels under: its binding's, or its own id (bound as it is first sent).

    The bindings of a chunk of records are looked up in one query (`preload`); what is to be bound (`new`) and
    the content hashes to store (`digests`) are written every chunk (`flush`), not kept to the message's end:
    both grew with the message.
    """

    def __init__(self, node: ExchangeNode):
        self.node = node
        self.new: dict[tuple[str, uuid.UUID], str] = {}
        self.digests: dict[tuple[str, uuid.UUID], str] = {}
        self._held: dict[tuple[str, uuid.UUID], str | None] = {}

    def preload(self, object_type: str, pks) -> None:
        """Look up the bindings of these records of ``object_type`` at once."""
        pks = list({pk for pk in pks if pk is not None})
        found = dict(Binding.objects.filter(node=self.node, object_type=object_type, object_id__in=pks)
                     .values_list("object_id", "external_id"))
        for pk in pks:
            self._held[(object_type, pk)] = found.get(pk)

    def __call__(self, object_type: str, obj) -> str:
        """The GUID ``obj`` of ``object_type`` travels under."""
        key = (object_type, obj.pk)
        if key in self._held:
            ext = self._held[key]
        else:
            ext = (Binding.objects.filter(node=self.node, object_type=object_type, object_id=obj.pk)
                   .values_list("external_id", flat=True).first())
        if ext is None:
            ext = str(obj.pk)
            self.new[key] = ext
        return ext

    def flush(self) -> None:
        """Bind what travelled under its own id, store the hashes of what was sent; forget the chunk."""
        Binding.objects.bulk_create([
            Binding(node=self.node, object_type=object_type, external_id=ext, object_id=object_id,
                    content_hash=self.digests.get((object_type, object_id), ""))
            for (object_type, object_id), ext in self.new.items()], ignore_conflicts=True, batch_size=500)
        by_type: dict[str, dict[uuid.UUID, str]] = {}
        for (object_type, object_id), digest in self.digests.items():
            by_type.setdefault(object_type, {})[object_id] = digest
        for object_type, hashes in by_type.items():
            rows = [b for b in Binding.objects.filter(node=self.node, object_type=object_type,
                                                      object_id__in=list(hashes))
                    if b.content_hash != hashes[b.object_id]]
            for b in rows:
                b.content_hash = hashes[b.object_id]
            Binding.objects.bulk_update(rows, ["content_hash"], batch_size=500)
        # Emptied in place: the sections' generators hold `digests` itself.
        self.new.clear()
        self.digests.clear()
        self._held.clear()


def _flushing(elements: Iterable[etree._Element], refs: OutgoingRefs) -> Iterator[etree._Element]:
    """The elements, with what they bind written every CHUNK of them and at the end (between two objects)."""
    for i, el in enumerate(elements, 1):
        yield el
        if i % CHUNK == 0:
            refs.flush()
    refs.flush()


def outgoing_objects(node: ExchangeNode, version: str, after: int, upto: int,
                     recorder: RunRecorder) -> Iterator[etree._Element]:
    """The XDTO elements of what changed in the journal in (after, upto], deletions included; the GUIDs and
    content hashes they travel with are bound every CHUNK objects, inside the caller's transaction.

    A generator, so that the message is written one object at a time: a list of every element (and of every
    model instance behind them) grew with the message (enterprisedata_bench: +20 MB per 1,000 counterparties
    with their invoices). Records are fetched a chunk at a time with what their elements need (phones,
    e-mails, addresses, accounts, lines, bindings), and what is to be bound is written with each chunk.
    """
    refs = OutgoingRefs(node)
    yield from _flushing(_counterparties(node, version, after, upto, refs), refs)
    yield from _flushing(catalogs.outgoing_contracts(node, version, after, upto, refs, _counterparty_rec,
                                                     refs.digests), refs)
    yield from _flushing(contacts.outgoing_contacts(node, version, after, upto, refs, _counterparty_rec,
                                                    refs.digests), refs)
    yield from _flushing(documents.outgoing_invoices(node, version, after, upto, refs, _counterparty_rec,
                                                     refs.digests, recorder), refs)


def _counterparties(node: ExchangeNode, version: str, after: int, upto: int,
                    refs: OutgoingRefs) -> Iterator[etree._Element]:
    """Our changed counterparties with their bank accounts, a chunk at a time; deletions of those 1C knows."""
    alive, gone = _changed_counterparties(node, after, upto)
    # The node's scope (its counterparty mapping's managers) decides what it is sent, as for CommerceML orders.
    rows = (node_scoped(node, alive).order_by("created_at", "id")
            .prefetch_related(*contact_prefetches(), Prefetch(
                "bank_accounts", queryset=BankAccount.objects.order_by("-is_primary", "created_at", "id"),
                to_attr="ed_accounts")).iterator(chunk_size=CHUNK))
    for chunk in chunked(rows, CHUNK):
        refs.preload(fmt.COUNTERPARTY, [cp.pk for cp in chunk])
        refs.preload(fmt.BANK_ACCOUNT, [acc.pk for cp in chunk for acc in cp.ed_accounts])
        for cp in chunk:
            yield from _counterparty_elements(cp, version, refs)
        release(chunk)
    yield from known_deletions(node, fmt.COUNTERPARTY, gone, "КонтрагентыСсылка", version)


def _counterparty_elements(cp: Counterparty, version: str, refs: OutgoingRefs) -> Iterator[etree._Element]:
    rec = _counterparty_rec(cp, refs)
    accounts: list[BankAccount] = cp.ed_accounts  # type: ignore[attr-defined]  # prefetched by _counterparties
    account_recs = [(acc, _account_rec(acc, refs)) for acc in accounts if acc.account_number or acc.iban]
    if account_recs:
        rec.main_account = account_recs[0][1]
    el = fmt.counterparty_element(rec, version)
    # The hash is of what 1C will send back (read as we read it), so an echo is recognised as unchanged.
    back = cast(fmt.CounterpartyRec, fmt.read_object(el, version))  # a counterparty element: read as one
    refs.digests[(fmt.COUNTERPARTY, cp.pk)] = content_hash(asdict(back) | {"line": None, "main_account": None})
    yield el
    for acc, arec in account_recs:
        ael = fmt.bank_account_element(arec, rec, version)
        aback = cast(fmt.BankAccountRec, fmt.read_object(ael, version))  # a bank account's: read as one
        refs.digests[(fmt.BANK_ACCOUNT, acc.pk)] = content_hash(asdict(aback) | {
            "line": None, "owner": aback.owner.ref})  # type: ignore[union-attr]  # written with its owner, read with it
        yield ael
    if not cp.is_active:
        yield fmt.deletion_element("КонтрагентыСсылка", rec.ref, version)
