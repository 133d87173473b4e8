"""Contracts both ways and products from 1C, for `services`' importer and outgoing message.

Contracts are Raccordo's `sales.Contract` (a contract with a customer, signed by one of our own companies):
written through the sales services, sent from the change journal like counterparties. 1C's contracts
of another kind (with a supplier, a commission agent...) are not the CRM's and are passed over with a
note. Raccordo's contract has no deletion mark: 1C's УдалениеОбъекта of a contract is recorded on its
binding and reported, the contract stays.

Products come from 1C only, into the catalog through its services, under a binding of object type
"catalog.product" (the CommerceML importer's) holding 1C's Ссылка.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from raccordo.catalog.models import Product, Unit
from raccordo.catalog.services import product_create, product_update, unit_create
from raccordo.core.models import ChangeJournal, Operation
from raccordo.exchange.engine import content_hash
from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.mappings import node_scoped
from raccordo.exchange.models import ExchangeNode, RunItem
from raccordo.parties.models import OwnCompany
from raccordo.sales.models import Contract
from raccordo.sales.services import contract_create, contract_update

from .bindings import known_deletions

PRODUCT_BINDING = "catalog.product"   # the CommerceML importer's object type: one product, one binding per node


def digest(rec) -> str:
    """The hash of a record as read, without where it was read (lines), so an echo compares equal."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "line"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return content_hash(strip(dataclasses.asdict(rec)))


def _by_own_id(model, ref: str):
    try:
        return model.objects.filter(pk=uuid.UUID(ref)).first() if ref else None
    except ValueError:
        return None


def own_company_for(org: cat.OrganizationRec, *, ref: str = "", line: int | None = None) -> OwnCompany:
    """Our own company 1C names: by INN (and KPP when given, one match), else by exact name; else refused."""
    if org.inn:
        matches = OwnCompany.objects.filter(inn=org.inn)
        if org.kpp:
            matches = matches.filter(kpp=org.kpp)
        found = list(matches[:2])
        if len(found) == 1:
            return found[0]
    found = list(OwnCompany.objects.filter(name=org.name)[:2])
    if len(found) == 1:
        return found[0]
    raise fmt.ObjectInvalid(_("the organisation %(name)s (INN %(inn)s) is none of our own companies") % {
        "name": org.name, "inn": org.inn or "-"}, line=line, ref=ref)


def organization_rec(company: OwnCompany) -> cat.OrganizationRec:
    """Our own company's keys. No Ссылка: 1C finds its organisation by INN/KPP and name, never creates one."""
    return cat.OrganizationRec(name=company.name, full_name=company.full_name, inn=company.inn, kpp=company.kpp,
                               legal=len(company.inn) != 12)


class CatalogImporter:
    """Writes 1C's contracts and products through the sales and catalog services (the importer's part)."""

    def __init__(self, importer):
        self.importer = importer
        self.node: ExchangeNode = importer.node
        self.recorder = importer.recorder

    def _note(self, object_type: str, ref: str, line, code: str, message: str) -> None:
        self.recorder.count("skipped")
        self.recorder.add(RunItem(outcome="skipped", object_type=object_type, external_id=ref[:255], code=code,
                                  message=message, file=self.importer.file, line=line))

    def contract(self, rec: cat.ContractRec) -> Contract | None:
        if rec.kind != cat.BUYER:
            self._note(cat.CONTRACT, rec.ref, rec.line, "exchange.enterprisedata.contract_kind",
                       _("Contract %(number)s is of kind %(kind)s; Raccordo keeps contracts with customers only.")
                       % {"number": rec.number or rec.ref, "kind": rec.kind})
            return None
        counterparty = self.importer.find_counterparty(rec.counterparty)
        if counterparty is None:
            raise fmt.ObjectInvalid(_("the contract's counterparty %(name)s is no counterparty known here") % {
                "name": rec.counterparty.name}, line=rec.line, ref=rec.ref)
        self.importer.in_scope(counterparty, ref=rec.ref, what=_("Contract %(number)s") % {
            "number": rec.number or rec.ref})
        company = self.importer.own_company(rec.organization, ref=rec.ref, line=rec.line)
        if rec.date is None or not rec.number:
            raise fmt.ObjectInvalid(_("the contract has no Номер or no Дата"), line=rec.line, ref=rec.ref)
        hashed = digest(rec)
        binding = self.importer.binding(cat.CONTRACT, rec.ref)
        found = Contract.objects.filter(pk=binding.object_id).first() if binding is not None else None
        found = found or _by_own_id(Contract, rec.ref)
        if found is None:
            found = Contract.objects.filter(counterparty=counterparty, own_company=company, number=rec.number[:50],
                                            date=rec.date).first()
        if found is not None and binding is not None and binding.content_hash == hashed:
            self.recorder.count("unchanged")
            return found
        data = {"counterparty": counterparty, "own_company": company, "number": rec.number[:50], "date": rec.date,
                "title": rec.name[:255], "currency": rec.currency, "valid_until": rec.valid_until}
        found = self.importer.create_or_update(found, lambda: contract_create(user=None, data=data),
                                       lambda obj: contract_update(user=None, contract=obj, data=data))
        self.importer.bind(cat.CONTRACT, rec.ref, found, hashed)
        return found

    def _unit(self, rec: cat.ProductRec) -> Unit | None:
        name = (rec.unit_name or rec.unit_code).strip()
        if not name:
            return None
        unit = (Unit.objects.filter(code=rec.unit_code).first() if rec.unit_code else None) \
            or Unit.objects.filter(name=name[:64]).first()
        return unit or unit_create(user=None, data={"code": rec.unit_code[:10], "name": name[:64]})

    def product(self, rec: cat.ProductRec) -> Product:
        hashed = digest(rec)
        binding = self.importer.binding(PRODUCT_BINDING, rec.ref)
        found = Product.objects.filter(pk=binding.object_id).first() if binding is not None else None
        found = found or _by_own_id(Product, rec.ref)
        if found is None and rec.article:
            matches = list(Product.objects.filter(article=rec.article[:64], variant_of__isnull=True)[:2])
            found = matches[0] if len(matches) == 1 else None
        if found is not None and binding is not None and binding.content_hash == hashed and found.is_active:
            self.recorder.count("unchanged")
            return found
        # Receiving an object clears its deletion mark, as in 1C.
        data = {"name": rec.name[:500], "full_name": rec.full_name[:1000], "is_service": rec.is_service,
                "is_active": True}
        if rec.article:
            data["article"] = rec.article[:64]
        if rec.description:
            data["description"] = rec.description
        unit = self._unit(rec)
        if unit is not None:
            data["unit"] = unit
        if rec.vat_known:    # absent: 1C said nothing, the CRM's rate stands
            data["vat_rate"] = rec.vat_rate
        found = self.importer.create_or_update(found, lambda: product_create(user=None, data=data),
                                       lambda obj: product_update(user=None, product=obj, data=data))
        self.importer.bind(PRODUCT_BINDING, rec.ref, found, hashed)
        return found

    def deletion(self, rec: fmt.DeletionRec) -> bool:
        """1C's deletion of a product (made inactive) or a contract (kept, reported); False: not ours to read."""
        if rec.object_type == "НоменклатураСсылка":
            binding = self.importer.binding(PRODUCT_BINDING, rec.ref)
            found = Product.objects.filter(pk=binding.object_id).first() if binding is not None else None
            if found is None:
                self.recorder.count("skipped")
                return True
            if found.is_active:
                product_update(user=None, product=found, data={"is_active": False})
                self.recorder.count("updated")
            else:
                self.recorder.count("unchanged")
        elif rec.object_type == "ДоговорыСсылка":
            binding = self.importer.binding(cat.CONTRACT, rec.ref)
            if binding is None:
                self.recorder.count("skipped")
                return True
            self._note(cat.CONTRACT, rec.ref, rec.line, "exchange.enterprisedata.contract_deleted",
                       _("1C marked contract %(ref)s deleted; Raccordo keeps it (contracts have no deletion mark).")
                       % {"ref": rec.ref})
        else:
            return False
        self.importer.bindings.mark_peer_deleted(binding)
        return True


# ---------------------------------------------------------------------------------------------------- export


def changed_contracts(node: ExchangeNode, after: int, upto: int) -> tuple[set, set]:
    """Contracts changed in the journal in (after, upto] by anyone but this node: (alive ids, deleted ids)."""
    ct = ContentType.objects.get_for_model(Contract).pk
    rows = (ChangeJournal.objects.filter(seq__gt=after, seq__lte=upto, content_type_id=ct).exclude(node=node.code)
            .values_list("object_id", "operation"))
    alive: set = set()
    gone: set = set()
    for object_id, operation in rows:
        (gone if operation == Operation.DELETE else alive).add(object_id)
    gone -= set(Contract.objects.filter(pk__in=gone).values_list("pk", flat=True))
    return alive - gone, gone


def contract_rec(contract: Contract, refs, counterparty_rec) -> cat.ContractRec:
    """Raccordo's contract as the format's record (always a contract with a customer)."""
    return cat.ContractRec(ref=refs(cat.CONTRACT, contract), kind=cat.BUYER,
                           organization=organization_rec(contract.own_company),
                           counterparty=counterparty_rec(contract.counterparty, refs), number=contract.number,
                           date=contract.date, name=contract.title or str(contract), currency=contract.currency,
                           valid_until=contract.valid_until)


def outgoing_contracts(node: ExchangeNode, version: str, after: int, upto: int, refs, counterparty_rec,
                       digests: dict) -> Iterator:
    """Our changed contracts as Справочник.Договоры, and deletions of those 1C knows (a generator)."""
    alive, gone = changed_contracts(node, after, upto)
    for contract in (node_scoped(node, Contract.objects.filter(pk__in=alive)).select_related("counterparty", "own_company")
                     .order_by("created_at", "id").iterator(chunk_size=500)):
        el = cat.contract_element(contract_rec(contract, refs, counterparty_rec), version)
        digests[(cat.CONTRACT, contract.pk)] = digest(cat.read_catalog_object(el, version))
        yield el
    yield from known_deletions(node, cat.CONTRACT, gone, "ДоговорыСсылка", version)
