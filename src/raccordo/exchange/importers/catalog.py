"""CommerceML catalog import: groups, properties, units, price types, warehouses, products, offers.

Records arrive from the streaming reader one by one; they are buffered into batches and written
through `BindingUpsert` (one transaction per batch, journaled with origin = exchange and the node).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.catalog.models import (
    Price,
    PriceType,
    Product,
    ProductGroup,
    ProductImage,
    Property,
    StockLevel,
    Unit,
    Warehouse,
)
from raccordo.core.ids import new_id
from raccordo.core.journal import JournalRows, diff, journal_bulk, row_snapshot, snapshot
from raccordo.core.models import Operation
from raccordo.core.money import normalize_currency
from raccordo.core.rows import RowView, RowWriter
from raccordo.exchange.binding_rows import NewBinding, write_bindings
from raccordo.exchange.conflicts import MergeRules, parse_exchange_time
from raccordo.exchange.engine import RunRecorder, Source, content_hash, validation_message
from raccordo.exchange.formats.commerceml import records as cml
from raccordo.exchange.importers.pictures import picture_paths, product_images_attach
from raccordo.exchange.mappings import REQUISITE, group_subtree, mapping_plan
from raccordo.exchange.models import Binding, ExchangeNode, RunItem
from raccordo.exchange.upsert import BindingUpsert, Incoming

PRODUCT = "catalog.product"
GROUP = "catalog.productgroup"
PROPERTY = "catalog.property"
PRICE_TYPE = "catalog.pricetype"
WAREHOUSE = "catalog.warehouse"
OFFER_PRICES = "catalog.offer.prices"
OFFER_STOCK = "catalog.offer.stock"
TOTAL_WAREHOUSE_ID = "__total__"
# The scope of the products born of a catalog's offers (variants, named offers without a good): its Ид + this.
OFFERS_SCOPE = "/offers"

_RATE = re.compile(r"(\d+(?:[.,]\d+)?)")
_CENT, _MILLI = Decimal("0.01"), Decimal("0.001")
_PRICE_VALUE = Price._meta.get_field("value")
_STOCK_QUANTITY = StockLevel._meta.get_field("quantity")
# Below these a value always fits its field (max_digits - decimal_places integer digits): no validator call.
_LIMITS = {f: Decimal(10) ** (f.max_digits - f.decimal_places) for f in (_PRICE_VALUE, _STOCK_QUANTITY)}


class OfferPart:
    """The prices or the stock of offers: a row per (product, target) holding one value, and per offer a
    binding whose content hash is the digest of what was last exchanged. Both go through one code path."""

    def __init__(self, kind: str, model, target: str, value: str, owned: str):
        self.kind = kind            # the binding's object type
        self.model = model
        self.target = target        # the row's other key: "price_type" / "warehouse"
        self.target_id = f"{target}_id"
        self.value = value          # the one value exchanged: "value" / "quantity"
        self.owned = owned          # its name among the mapping's CRM-owned fields
        keys = {"id", "created_at", "updated_at", "product_id", self.target_id, value}
        self.defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields if f.attname not in keys}


PRICES = OfferPart(OFFER_PRICES, Price, "price_type", "value", "prices")
STOCK = OfferPart(OFFER_STOCK, StockLevel, "warehouse", "quantity", "stock")
OFFER_PARTS = (PRICES, STOCK)


def vat_rate_from(tax_rates: dict[str, str]) -> Decimal | None:
    """The VAT rate among a product's tax rates ("НДС": "20" / "20%" / "Без налога")."""
    for name, value in tax_rates.items():
        if "НДС" in name.upper() or "VAT" in name.upper() or "IVA" in name.upper() or len(tax_rates) == 1:
            match = _RATE.search(value or "")
            if match is None:
                return None
            try:
                return Decimal(match.group(1).replace(",", "."))
            except InvalidOperation:
                return None
    return None


def _bound(node: ExchangeNode, object_type: str, external_ids) -> dict[str, Any]:
    return dict(Binding.objects.filter(node=node, object_type=object_type, external_id__in=list(external_ids))
                .values_list("external_id", "object_id"))


class SeenIds:
    """The external ids an exchange listed, in a temporary table of the connection rather than in memory.

    Buffered in memory up to `buffer` ids, then written with one executemany; `exclude_seen()` leaves out
    of a Binding queryset the bindings whose external id is in the table. Dropped by `drop()` (a
    temporary table also disappears with its connection, and with a transaction rolled back).
    """

    def __init__(self, buffer: int = 5000):
        self.buffer = buffer
        self.pending: list[str] = []
        self.table: str | None = None

    def add(self, external_id: str) -> None:
        self.pending.append(external_id)
        if len(self.pending) >= self.buffer:
            self.flush()

    def update(self, external_ids) -> None:
        for external_id in external_ids:
            self.add(external_id)

    def flush(self) -> None:
        conn = connections[DEFAULT_DB_ALIAS]
        # One transaction for the rows (without one, SQLite commits each INSERT of the executemany on its own).
        with transaction.atomic(savepoint=False), conn.cursor() as cursor:
            if self.table is None:
                self.table = conn.ops.quote_name(f"raccordo_seen_{uuid.uuid4().hex[:16]}")
                cursor.execute(f"CREATE TEMPORARY TABLE {self.table} (external_id VARCHAR(255) PRIMARY KEY)")
            if self.pending:
                cursor.executemany(f"INSERT INTO {self.table} (external_id) VALUES (%s) ON CONFLICT DO NOTHING",
                                   [(ext,) for ext in set(self.pending)])
        self.pending = []

    def exclude_seen(self, bindings):
        if self.table is None:
            self.flush()
        binding_table = connections[DEFAULT_DB_ALIAS].ops.quote_name(Binding._meta.db_table)
        return bindings.extra(where=[f"NOT EXISTS (SELECT 1 FROM {self.table} seen "  # noqa: S610 - names only
                                     f"WHERE seen.external_id = {binding_table}.external_id)"])

    def contains(self, external_ids) -> set[str]:
        """Those of these ids that were listed."""
        wanted = list(set(external_ids))
        if not wanted:
            return set()
        self.flush()
        found: set[str] = set()
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            for start in range(0, len(wanted), 500):
                part = wanted[start:start + 500]
                cursor.execute(f"SELECT external_id FROM {self.table} WHERE external_id IN "  # noqa: S608 - names only
                               f"({', '.join(['%s'] * len(part))})", part)
                found.update(row[0] for row in cursor.fetchall())
        return found

    def drop(self) -> None:
        self.pending = []
        if self.table is not None:
            table, self.table = self.table, None
            try:
                with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
            except (DatabaseError, TransactionManagementError):
                pass   # a broken transaction is its caller's error to report; the table goes with it


def _set_active(products: list[Product], active: bool) -> None:
    """Make these products active or inactive, journaled; written with one UPDATE batch (the caller holds
    the transaction). The one path of the life cycle's switches: deactivation, deletion, revival."""
    if not products:
        return
    now = timezone.now()
    for product in products:
        product.is_active, product.updated_at = active, now
    Product.objects.bulk_update(products, ["is_active", "updated_at"])
    journal_bulk(entries=[(p, Operation.UPDATE, {"is_active": [not active, active]}) for p in products])


class CatalogImporter:
    """Feeds CommerceML records into the catalog for one exchange node."""

    def __init__(self, *, node: ExchangeNode, recorder: RunRecorder, batch_size: int = 1000):
        self.node = node
        self.recorder = recorder
        self.batch_size = batch_size
        self.file = ""
        self.root: Path | None = None   # the directory of the file being read: where its pictures are
        self._pictures_stored: bool | None = None   # whether any product has a picture yet (asked once)
        self.groups: list[cml.Group] = []
        self.props: list[cml.Property] = []
        self.products: list[cml.ProductRec] = []
        self.offers: list[cml.OfferRec] = []
        self.group_ids: dict[str, Any] = {}
        self.units: dict[str, Unit] = {}
        self.properties: dict[str, tuple[str, dict[str, str]]] | None = None
        self.price_types: dict[str, PriceType] = {}
        self.warehouses: dict[str, Warehouse] = {}
        # The scopes this exchange listed, and those it sent whole: a catalog's goods (scope: Каталог/Ид)
        # and the products born of its offers (variants, named offers without a good; scope: the catalog's
        # Ид + OFFERS_SCOPE). Only a scope sent whole deactivates, and only its own products (see
        # docs/commerceml.md, "Life cycle of a good").
        self.scope = ""                           # the catalog of the container being read
        self.listed_catalogs: set[str] = set()
        self.full_catalogs: set[str] = set()
        self.seen = SeenIds()         # ids of the goods listed
        self.seen_offers = SeenIds()  # ids of the offers listed
        self.deleted_products: set[str] = set()   # deleted in the catalog: their offers must not revive them
        self._targets: dict[Any, Any] = {}        # pk -> price type or warehouse an offer named (for the journal)
        self._target_keys: dict[Any, str] = {}    # pk -> its text in the offers' digests
        # The node's mapping of products: field map, keys, create or update only, owners, filter, conflicts.
        self.plan = mapping_plan(node, PRODUCT)
        self.rules = MergeRules(node=node, object_type=PRODUCT, crm_owned=self.plan.crm_owned,
                                policy=self.plan.conflict_policy, run=recorder.run)
        self.group_filter: set[str] | None = None     # accounting's ids of the groups taken (filter and below)
        self.skipped_products: set[str] = set()       # not taken (filter, update-only): their offers neither
        self.upsert_products = BindingUpsert(node=node, model=Product, object_type=PRODUCT, recorder=recorder,
                                             match=self._match_products, rows=True, rules=self.rules)

    # --- entry points --------------------------------------------------------------------------------------------

    def feed(self, rec) -> None:
        if isinstance(rec, cml.PackageInfo):
            self.flush()
            # "Newer wins" weighs the CRM's change against the time the file was made, when it says.
            self.rules.exchange_time = parse_exchange_time(rec.generated_at)
            self.note_package(rec)
            for price_type in rec.price_types:
                self._price_type(price_type)
            for warehouse in rec.warehouses:
                self._warehouse(warehouse)
        elif isinstance(rec, cml.Group):
            self.groups.append(rec)   # parents before children: _flush_groups writes a batch level by level
            if len(self.groups) >= self.batch_size:
                self._flush_groups()
        elif isinstance(rec, cml.Property):
            self.props.append(rec)
            if len(self.props) >= self.batch_size:
                self._flush_properties()
        elif isinstance(rec, cml.PriceTypeRec):
            self._price_type(rec)
        elif isinstance(rec, cml.WarehouseRec):
            self._warehouse(rec)
        elif isinstance(rec, cml.UnitRec):
            self._unit(rec.code, rec.name, rec.full_name)
        elif isinstance(rec, cml.ProductRec):
            self._flush_properties()
            self._flush_groups()
            self.products.append(rec)
            if len(self.products) >= self.batch_size:
                self._flush_products()
        elif isinstance(rec, cml.OfferRec):
            self._flush_products()
            self.offers.append(rec)
            if len(self.offers) >= self.batch_size:
                self._flush_offers()
        elif isinstance(rec, cml.ErrorRec):
            self.recorder.fail(object_type=f"cml.{rec.element or 'element'}",
                               source=Source(self.file, rec.line, rec.path or "", rec.element_id or ""),
                               code=rec.code, message=rec.message)
            self.recorder.save()

    def note_package(self, rec: cml.PackageInfo) -> None:
        """Which catalog the records that follow belong to, and whether this exchange sends it whole."""
        if rec.kind == "catalog":
            self.scope = rec.id or ""
            self.listed_catalogs.add(self.scope)
            if not rec.only_changes:
                self.full_catalogs.add(self.scope)
        elif rec.kind == "offers":
            self.scope = rec.catalog_id or ""
            self.listed_catalogs.add(self.scope + OFFERS_SCOPE)
            if not rec.only_changes:
                self.full_catalogs.add(self.scope + OFFERS_SCOPE)

    @property
    def full_snapshot(self) -> bool:
        return bool(self.full_catalogs)

    def flush(self) -> None:
        self._flush_properties()
        self._flush_groups()
        self._flush_products()
        self._flush_offers()

    def finish(self, *, all_files_ok: bool, every_catalog: bool = False) -> int:
        """After the whole exchange: each catalog sent whole deactivates its own products it did not list.

        every_catalog=True (1C's `mode=deactivate`, a package export's end) takes every catalog the
        exchange listed as whole, whatever its files said of themselves. A variant counts as listed
        when its good is. Products whose catalog is not known yet (imported before catalogs were
        kept) belong to the node's only catalog, if it has one. The listed ids are in a temporary
        table (`SeenIds`), so the absent products are found by the database in chunks of 500, and
        memory stays flat however large the catalog.
        """
        self.flush()
        try:
            scopes = set(self.listed_catalogs if every_catalog else self.full_catalogs)
            if not (scopes and all_files_ok):
                return 0
            goods = {c for c in scopes if not c.endswith(OFFERS_SCOPE)}
            offers = scopes - goods
            deactivated = 0
            if goods:
                known = set(Binding.objects.filter(node=self.node, object_type=PRODUCT).exclude(scope="")
                            .exclude(scope__endswith=OFFERS_SCOPE).values_list("scope", flat=True).distinct()[:2])
                if known <= goods and len(known) <= 1:
                    goods.add("")   # imported before catalogs were kept: the node's only catalog
                deactivated += self._deactivate_absent(goods, self.seen, variants=True)
            if offers:
                deactivated += self._deactivate_absent(offers, self.seen_offers, variants=False)
            return deactivated
        finally:
            self.seen.drop()
            self.seen_offers.drop()

    def _deactivate_absent(self, scopes: set[str], seen: SeenIds, *, variants: bool) -> int:
        """Deactivate the active products of these scopes whose ids `seen` does not hold."""
        seen.flush()
        deactivated = 0
        after = None
        while True:
            with transaction.atomic():
                absent = Binding.objects.filter(
                    node=self.node, object_type=PRODUCT, scope__in=sorted(scopes),
                    object_id__in=Product.objects.filter(is_active=True).values("pk"))
                if after is not None:
                    absent = absent.filter(object_id__gt=after)
                ids = list(seen.exclude_seen(absent).order_by("object_id").values_list("object_id", flat=True)[:500])
                if not ids:
                    break
                after = ids[-1]
                chunk = list(Product.objects.filter(pk__in=ids, is_active=True))
                if variants:
                    chunk = self._without_listed_variants(chunk)
                _set_active(chunk, False)
                deactivated += len(chunk)
                self.recorder.count("deactivated", len(chunk))
                self.recorder.save()
        return deactivated

    def _without_listed_variants(self, products: list[Product]) -> list[Product]:
        """Leave out the variants whose good this exchange listed: a catalog file lists goods, not their
        characteristics, which only the offers name; a good still there keeps its variants."""
        bases = {p.variant_of_id for p in products if p.variant_of_id}
        if not bases:
            return products
        ext = dict(Binding.objects.filter(node=self.node, object_type=PRODUCT, object_id__in=list(bases))
                   .values_list("object_id", "external_id"))
        listed = self.seen.contains(ext.values())
        return [p for p in products if not (p.variant_of_id and ext.get(p.variant_of_id) in listed)]

    # --- reference data: few records, written as they come -----------------------------------------------------------

    def _source(self, rec, ext: str = "") -> Source:
        return Source(self.file, getattr(rec, "line", None), getattr(rec, "path", None) or "", ext)

    def _one(self, upsert: BindingUpsert, item: Incoming):
        with transaction.atomic():
            result = upsert.apply([item])
            self.recorder.save()
        return result.objects.get(item.external_id)

    def _unit(self, code: str | None, name: str | None, full_name: str | None = None) -> Unit | None:
        code = (code or "").strip()
        name = (name or "").strip() or (full_name or "").strip() or code
        if not name:
            return None
        key = code or name.lower()
        if key in self.units:
            return self.units[key]
        unit = (Unit.objects.filter(code=code).first() if code else None) or Unit.objects.filter(name=name[:64]).first()
        if unit is None:
            unit = Unit.objects.create(code=code[:10], name=name[:64], full_name=(full_name or "")[:150])
            journal_bulk(entries=[(unit, Operation.CREATE, diff({}, snapshot(unit)))])
        self.units[key] = unit
        return unit

    def _match_by_name(self, model):
        def match(items: list[Incoming]) -> dict[str, Any]:
            names = {item.fields["name"]: item.external_id for item in items}
            return {names[obj.name]: obj for obj in model.objects.filter(name__in=list(names))}
        return match

    def _price_type(self, rec: cml.PriceTypeRec) -> None:
        if rec.id in self.price_types:
            return
        fields: dict[str, Any] = {"name": (rec.name or rec.id)[:150],
                                  "currency": normalize_currency(rec.currency, "RUB") or (rec.currency or "")[:3]}
        if rec.vat_included is not None:
            fields["vat_included"] = rec.vat_included
        upsert = BindingUpsert(node=self.node, model=PriceType, object_type=PRICE_TYPE, recorder=self.recorder,
                               match=self._match_by_name(PriceType))
        obj = self._one(upsert, Incoming(rec.id, fields, self._source(rec, rec.id)))
        if obj is not None:
            self.price_types[rec.id] = obj

    def _warehouse(self, rec: cml.WarehouseRec, *, counted: bool = True) -> None:
        if rec.id in self.warehouses:
            return
        fields = {"name": (rec.name or rec.id)[:150], "address": (rec.address or "")[:500], "is_active": not rec.deleted}
        upsert = BindingUpsert(node=self.node, model=Warehouse, object_type=WAREHOUSE, recorder=self.recorder,
                               match=self._match_by_name(Warehouse), count=counted)
        obj = self._one(upsert, Incoming(rec.id, fields, self._source(rec, rec.id)))
        if obj is not None:
            self.warehouses[rec.id] = obj

    def _flush_properties(self) -> None:
        if not self.props:
            return
        batch, self.props = self.props, []
        items = [Incoming(rec.id, {"name": (rec.name or rec.id)[:255], "kind": (rec.type or "")[:32],
                                   "values": dict(rec.values)}, self._source(rec, rec.id)) for rec in batch]
        upsert = BindingUpsert(node=self.node, model=Property, object_type=PROPERTY, recorder=self.recorder)
        with transaction.atomic():
            upsert.apply(items)
            self.recorder.save()
        if self.properties is not None:
            for item in items:
                self.properties[item.external_id] = (item.fields["name"], item.fields["values"])

    def _property_names(self) -> dict[str, tuple[str, dict[str, str]]]:
        if self.properties is None:
            bound = dict(Binding.objects.filter(node=self.node, object_type=PROPERTY)
                         .values_list("object_id", "external_id"))
            self.properties = {bound[p.pk]: (p.name, p.values) for p in Property.objects.filter(pk__in=list(bound))}
        return self.properties

    def _resolve_price_type(self, ext: str | None) -> PriceType | None:
        if ext is None:
            return PriceType.objects.filter(is_default=True).first()
        if ext not in self.price_types:
            pk = _bound(self.node, PRICE_TYPE, [ext]).get(ext)
            obj = PriceType.objects.filter(pk=pk).first() if pk else None
            if obj is None:
                return None
            self.price_types[ext] = obj
        return self.price_types[ext]

    def _resolve_warehouse(self, ext: str) -> Warehouse | None:
        if ext not in self.warehouses:
            pk = _bound(self.node, WAREHOUSE, [ext]).get(ext)
            obj = Warehouse.objects.filter(pk=pk).first() if pk else None
            if obj is None and ext == TOTAL_WAREHOUSE_ID:
                # Not a record the peer sent: where its warehouse-less totals are kept; not counted.
                self._warehouse(cml.WarehouseRec(id=ext, name=_("Stock in accounting (%(node)s)") % {
                    "node": self.node.code}), counted=False)
                return self.warehouses.get(ext)
            if obj is None:
                return None
            self.warehouses[ext] = obj
        return self.warehouses[ext]

    # --- groups ---------------------------------------------------------------------------------------------------

    def _flush_groups(self) -> None:
        """Write the buffered groups a level at a time: a group waits while its parent is still to be written,
        so a whole tree takes a transaction per level rather than one per parent."""
        rest, self.groups = self.groups, []
        while rest:
            waiting = {g.id for g in rest}
            level = [g for g in rest if not g.parent_id or g.parent_id == g.id or g.parent_id not in waiting]
            if not level:   # parents in a cycle: the first one alone, as if it came last
                level = rest[:1]
            taken = {id(g) for g in level}
            rest = [g for g in rest if id(g) not in taken]
            self._write_groups(level)

    def _write_groups(self, batch: list[cml.Group]) -> None:
        missing_parents = {g.parent_id for g in batch if g.parent_id and g.parent_id not in self.group_ids}
        self.group_ids.update(_bound(self.node, GROUP, missing_parents))
        parents = ProductGroup.objects.in_bulk([pk for pk in (self.group_ids.get(g.parent_id) for g in batch
                                                              if g.parent_id) if pk])
        items = []
        for g in batch:
            parent = parents.get(self.group_ids.get(g.parent_id)) if g.parent_id else None
            fields = {"name": (g.name or g.id)[:255], "parent": parent, "is_active": not g.deleted}
            items.append(Incoming(g.id, fields, self._source(g, g.id),
                                  hash=content_hash({"name": fields["name"], "parent": g.parent_id,
                                                     "deleted": g.deleted})))
        upsert = BindingUpsert(node=self.node, model=ProductGroup, object_type=GROUP, recorder=self.recorder)
        with transaction.atomic():
            result = upsert.apply(items)
            self.recorder.save()
        self.group_ids.update(result.ids)
        self.group_filter = None   # new groups may fall under the filter's groups

    # --- products -------------------------------------------------------------------------------------------------

    def _match_products(self, items: list[Incoming]) -> dict[str, Product]:
        """No binding yet: the one product with the same matching keys (the mapping's; article by default),
        if exactly one has them and one incoming record asks for them. Records with an empty key match nothing."""
        keys = self.plan.match_keys
        if not keys:
            return {}
        by_key: dict[tuple, list[str]] = {}
        for item in items:
            values = tuple(item.fields.get(k) for k in keys)
            if all(v not in (None, "") for v in values):
                by_key.setdefault(values, []).append(item.external_id)
        if not by_key:
            return {}
        candidates: dict[tuple, list[Product]] = {}
        for product in Product.objects.filter(**{f"{keys[0]}__in": list({v[0] for v in by_key})}):
            candidates.setdefault(tuple(getattr(product, k) for k in keys), []).append(product)
        matched = {}
        for values, ext_ids in by_key.items():
            found = candidates.get(values, [])
            if len(found) == 1 and len(ext_ids) == 1:
                matched[ext_ids[0]] = found[0]
        return matched

    def _groups_taken(self) -> set[str]:
        """Accounting's ids of the groups the mapping's filter takes: the chosen ones and all below them."""
        if self.group_filter is None:
            _pks, self.group_filter = group_subtree(self.plan.filter_values, self.node)
        return self.group_filter

    def _product_fields(self, rec: cml.ProductRec, properties) -> tuple[dict[str, Any], dict[str, Any]]:
        """Our fields of a product as the mapping's field map says, and the fingerprint its hash is made of."""
        plan = self.plan
        group_ext = rec.group_ids[0] if rec.group_ids else None
        unit = self._unit(rec.unit_code, rec.unit_name, rec.unit_full_name) \
            if plan.identity or plan.wants("unit") else None
        incoming = {
            "name": (rec.name or rec.full_name or "").strip(),
            "full_name": (rec.full_name or rec.requisites.get("Полное наименование") or "").strip(),
            "article": (rec.article or "").strip(),
            "barcode": (rec.barcode or "").strip(),
            "group_ids": None,   # resolved per batch from the group bindings
            "unit": unit,
            "tax_rates": vat_rate_from(rec.tax_rates),
            "description": rec.description or "",
            "deleted": not rec.deleted,   # as our "active" flag
            "service": (rec.requisites.get("ВидНоменклатуры", "") + rec.requisites.get("ТипНоменклатуры", ""))
            .lower().find("услуг") >= 0,
            "properties": self._properties(rec, properties) if plan.identity or plan.wants("properties") else {},
        }
        if plan.identity:
            fields = {"name": incoming["name"], "full_name": incoming["full_name"], "article": incoming["article"],
                      "barcode": incoming["barcode"], "group": None, "unit": unit, "vat_rate": incoming["tax_rates"],
                      "description": incoming["description"], "is_active": incoming["deleted"],
                      "is_service": incoming["service"], "properties": incoming["properties"]}
        else:
            incoming["manufacturer"] = (rec.manufacturer or "").strip()
            for name, _target in plan.pairs:
                if name.startswith(REQUISITE):
                    incoming[name] = (rec.requisites.get(name[len(REQUISITE):]) or "").strip()
            fields = plan.remap(incoming)
        # What the peer said, as it said it: the hash changes only when the peer's record changes.
        fingerprint = {**fields, "variant_of": rec.product_id if rec.characteristic_id else None}
        if "group" in fields:
            fingerprint["group"] = group_ext
        if "unit" in fields:
            fingerprint["unit"] = unit.pk if unit else None
        if "vat_rate" in fields:
            fingerprint["vat_rate"] = str(fields["vat_rate"])
        return fields, fingerprint

    @staticmethod
    def _properties(rec: cml.ProductRec, properties) -> dict[str, str]:
        props: dict[str, str] = {}
        for prop_id, value in rec.properties.items():
            name, values = properties.get(prop_id, (prop_id, {}))
            texts = value if isinstance(value, tuple) else (value,)
            resolved = [values.get(v, v) for v in texts if v not in (None, "")]
            if resolved:
                props[name] = ", ".join(resolved)
        return props

    def _flush_products(self) -> None:
        if not self.products:
            return
        batch, self.products = self.products, []
        properties = self._property_names() if any(p.properties for p in batch) else {}
        wanted_groups = {g for p in batch for g in p.group_ids[:1] if g not in self.group_ids}
        self.group_ids.update(_bound(self.node, GROUP, wanted_groups))
        groups = ProductGroup.objects.in_bulk([pk for pk in (self.group_ids.get(p.group_ids[0]) for p in batch
                                                             if p.group_ids) if pk])
        bases = _bound(self.node, PRODUCT, {p.product_id for p in batch if p.characteristic_id and p.product_id})
        taken = self._groups_taken() if self.plan.filter_values else None
        create = self.plan.allow_create
        revive = "is_active" not in self.plan.crm_owned
        items = []
        for rec in batch:
            self.seen.add(rec.id)   # outside the filter too: a product accounting still has is not deactivated
            if taken is not None and not any(g in taken for g in rec.group_ids):
                # Outside the mapping's groups: not ours to take; listed in the report, not an error.
                self.skipped_products.add(rec.id)
                self._skipped(rec, PRODUCT, "exchange.record.filtered",
                              _("Not in the groups this node's mapping takes."))
                continue
            if rec.deleted:
                self.deleted_products.add(rec.id)
            fields, fingerprint = self._product_fields(rec, properties)
            if rec.group_ids and "group" in fields:
                fields["group"] = groups.get(self.group_ids.get(rec.group_ids[0]))
            if rec.characteristic_id and rec.product_id in bases:
                fields["variant_of_id"] = bases[rec.product_id]
            # Listed again, the good is active again even when unchanged; marked deleted, it never is. A new
            # good marked deleted is kept, inactive: its mark must outlive this file, so that no offer of
            # a later file or exchange makes an active product of it.
            if rec.deleted:
                fields["is_active"] = False   # whatever the field map says: deletion in accounting wins
            ensure = {"is_active": not rec.deleted} if revive else {}
            item = Incoming(rec.id, fields, self._source(rec, rec.id), hash=content_hash(fingerprint),
                            create=create, ensure=ensure, scope=self.scope, deleted=rec.deleted)
            if not create:
                self.skipped_products.add(rec.id)   # taken back below if it is bound or matched
                item.skip_reason = self._update_only_reason(fields)
            items.append(item)
        with transaction.atomic():
            result = self.upsert_products.apply(items)
            deleted = [result.ids[rec.id] for rec in batch if rec.deleted and rec.id in result.ids]
            if deleted:
                self._deactivate_variants(deleted)
            self.recorder.save()
        if not create:
            self.skipped_products.difference_update(result.ids)
        self._attach_pictures(batch, result.ids)

    def _attach_pictures(self, batch: list[cml.ProductRec], ids: dict[str, Any]) -> None:
        """Pictures (`Картинка`) of the batch's products, from the files beside the XML; a product whose record
        lists none loses those it had. Only products with pictures on either side are looked at, so a
        catalog without pictures costs one query a batch. Not in a dry run: files would outlive its rollback."""
        if self.root is None or self.recorder.dry_run or not ids:
            return
        wanted = {ids[rec.id]: picture_paths(self.root, rec.images) for rec in batch if rec.images and rec.id in ids}
        if self._pictures_stored is None:
            self._pictures_stored = ProductImage.objects.exists()   # a catalog without pictures: no query a batch
        if self._pictures_stored:
            had = set(ProductImage.objects.filter(product_id__in=[ids[rec.id] for rec in batch if rec.id in ids
                                                                  and not rec.images])
                      .values_list("product_id", flat=True))
            wanted.update({pk: [] for pk in had})
        if wanted:
            self._pictures_stored = True
        if wanted:
            product_images_attach(node=self.node, product_ids_to_paths=wanted, recorder=self.recorder, root=self.root)
            self.recorder.save()

    def _deactivate_variants(self, product_ids: list) -> None:
        """The variants of goods marked deleted follow them (the caller holds the transaction)."""
        _set_active(list(Product.objects.filter(variant_of_id__in=product_ids, is_active=True)), False)

    def _skipped(self, rec, object_type: str, code: str, message: str) -> None:
        """A record not taken, counted and listed one by one in the run report with where and why."""
        self.recorder.count("skipped")
        self.recorder.add(RunItem(outcome="skipped", object_type=object_type, external_id=rec.id[:255], code=code,
                                  message=message, file=self.file[:255], line=getattr(rec, "line", None),
                                  path=(getattr(rec, "path", None) or "")[:500]))

    def _update_only_reason(self, fields: dict[str, Any]) -> str:
        keys = ", ".join(f"{k} “{fields.get(k) or ''}”" for k in self.plan.match_keys)
        return _("No product is bound to it or has the same %(keys)s, and the mapping only updates records.") % {
            "keys": keys}

    # --- offers: prices and stock -----------------------------------------------------------------------------------

    def _offer_products(self, batch: list[cml.OfferRec], bound: dict[str, Any], deleted: set[str],
                        scopes: dict[str, str]) -> dict[str, Any]:
        """Our product for each offer (a RowView: pk, name, article, enough for the journal); a variant or a
        product is created from the offer when it is new.

        An offer for a good marked deleted (in this exchange or an earlier one: `deleted`, the bindings'
        marks) or for a good this node did not take is skipped, listed with its reason. An offer listed
        for an inactive product makes it active again (it is in 1C's catalog again), unless its good is
        marked deleted; an offer marked deleted deactivates the product it stands for.
        """
        products: dict[Any, Any] = {}
        inactive: set = set()
        for pk, name, article, active in Product.objects.filter(pk__in=list(bound.values())).values_list(
                "pk", "name", "article", "is_active"):
            products[pk] = RowView(Product, pk=pk, name=name, article=article)
            if not active:
                inactive.add(pk)
        found: dict[str, Any] = {}
        to_create: list[Incoming] = []
        switch: dict[Any, bool] = {}   # product pk -> is_active it must now have
        marked: list[str] = []         # offers marked deleted: their bindings keep the mark
        rescoped: list[str] = []
        unmarked: list[str] = []       # offers of characteristics whose mark was taken off
        missing = [o for o in batch if bound.get(o.id) not in products]
        bases = Product.objects.in_bulk([bound[o.product_id] for o in missing
                                         if o.characteristic_id and bound.get(o.product_id) in products])
        revive = "is_active" not in self.plan.crm_owned
        for offer in batch:
            self.seen_offers.add(offer.id)
            pk = bound.get(offer.id)
            good = offer.product_id or offer.id
            if good in self.deleted_products or good in deleted:
                if pk in products and pk not in inactive:
                    switch[pk] = False
                self._skipped(offer, "catalog.offer", "exchange.cml.deleted_good",
                              _("Its good is marked deleted in accounting: the offer is not taken and the product "
                                "stays inactive."))
                continue
            if offer.deleted:
                if pk in products:
                    marked.append(offer.id)
                    if pk not in inactive:
                        switch[pk] = False
                self._skipped(offer, "catalog.offer", "exchange.cml.deleted_offer",
                              _("The offer is marked deleted in accounting: its product is inactive."))
                continue
            if pk in products:
                found[offer.id] = products[pk]
                if offer.id in deleted:   # a characteristic no longer marked deleted in accounting
                    unmarked.append(offer.id)
                scope = scopes.get(offer.id, "")
                if scope == "" and offer.characteristic_id:
                    rescoped.append(offer.id)   # a variant bound before scopes were kept: the offers' own
                    scope = OFFERS_SCOPE
                # Listed again, a product born of an offer is active again; a good's own activity is its
                # catalog's to say (the goods file), not its offers'.
                if pk in inactive and revive and scope.endswith(OFFERS_SCOPE):
                    switch[pk] = True
                continue
            base = bases.get(bound.get(offer.product_id)) if offer.characteristic_id else None
            if offer.id in self.skipped_products or offer.product_id in self.skipped_products:
                self._skipped(offer, "catalog.offer", "exchange.record.product_not_taken",
                              _("Its product was not taken by this node (see the product's entry)."))
                continue
            if not self.plan.allow_create:
                self._skipped(offer, PRODUCT, "exchange.record.not_created",
                              _("The offer names a product this node has not bound, and the mapping only updates "
                                "records."))
                continue
            if self.plan.filter_values and base is None:
                # An offer says nothing of its product's group: under a group filter it creates nothing.
                self._skipped(offer, "catalog.offer", "exchange.record.filtered",
                              _("The offer names a product this node has not taken, and the mapping takes only "
                                "some groups."))
                continue
            if base is not None:
                suffix = ", ".join(v for _n, v in offer.characteristics) or offer.characteristic_id
                fields = {"name": (offer.name or f"{base.name} ({suffix})")[:500], "article": base.article,
                          "barcode": offer.barcode or "", "group": base.group, "unit": base.unit,
                          "vat_rate": base.vat_rate, "variant_of": base, "is_active": not offer.deleted,
                          "properties": dict(offer.characteristics)}
            elif offer.name:
                fields = {"name": offer.name[:500], "article": (offer.article or "")[:64],
                          "barcode": (offer.barcode or "")[:64], "is_active": not offer.deleted,
                          "unit": self._unit(offer.unit_code, offer.unit_name)}
            else:
                self.recorder.fail(object_type="catalog.offer", source=self._source(offer, offer.id),
                                   code="exchange.cml.unknown_product",
                                   message=_("Offer %(id)s names a product this exchange has not sent.")
                                   % {"id": offer.id})
                continue
            to_create.append(Incoming(offer.id, fields, self._source(offer, offer.id),
                                      hash=content_hash({"offer": offer.id, "name": fields["name"]}),
                                      scope=self.scope + OFFERS_SCOPE))
        if to_create:
            upsert = BindingUpsert(node=self.node, model=Product, object_type=PRODUCT, recorder=self.recorder,
                                   count=False)
            created = upsert.apply(to_create)
            for ext, obj in created.objects.items():
                found[ext] = obj
                self._created_offers.add(ext)
        if switch:
            self._switch_products(switch)
            self._revived.update(pk for pk, active in switch.items() if active)
        for ids, mark in ((marked, True), (unmarked, False)):
            if ids:
                Binding.objects.filter(node=self.node, object_type=PRODUCT, external_id__in=ids).update(
                    peer_deleted=mark)
        if rescoped:
            Binding.objects.filter(node=self.node, object_type=PRODUCT, external_id__in=rescoped).update(
                scope=self.scope + OFFERS_SCOPE)
        return found

    def _switch_products(self, switch: dict[Any, bool]) -> None:
        """Set products active or inactive as the offers say, journaled (the caller holds the transaction)."""
        chunk = list(Product.objects.filter(pk__in=list(switch)))
        for active in (False, True):
            _set_active([p for p in chunk if switch[p.pk] is active], active)

    def _offer_value(self, offer: cml.OfferRec, field, value: Decimal) -> bool:
        """The model field's own validation (max digits) for a price or quantity; cheap when it passes."""
        if abs(value) < _LIMITS[field]:
            return True
        try:
            field.run_validators(value)
            return True
        except ValidationError as exc:
            self.recorder.fail(object_type="catalog.offer", source=self._source(offer, offer.id),
                               code="exchange.record.invalid",
                               message=f"{field.name}: {validation_message(exc)}")
            return False

    def _offer_wants(self, offer: cml.OfferRec) -> dict[OfferPart, dict[Any, Decimal]] | None:
        """What an offer wants of each part (target pk -> value), validated; None when it failed (recorded)."""
        targets = self._targets
        prices: dict[Any, Decimal] = {}
        for price in offer.prices:
            price_type = self._resolve_price_type(price.price_type_id)
            if price_type is None:
                self.recorder.fail(object_type="catalog.offer", source=self._source(offer, offer.id),
                                   code="exchange.cml.unknown_price_type",
                                   message=_("Offer %(id)s has a price of unknown price type %(pt)s.")
                                   % {"id": offer.id, "pt": price.price_type_id})
                return None
            if price.value < 0:
                self.recorder.fail(object_type="catalog.offer", source=self._source(offer, offer.id),
                                   code="exchange.cml.negative_price",
                                   message=_("Offer %(id)s has a negative price %(v)s.")
                                   % {"id": offer.id, "v": price.value})
                return None
            value = price.value.quantize(_CENT)
            if not self._offer_value(offer, _PRICE_VALUE, value):
                return None
            targets[price_type.pk] = price_type
            prices[price_type.pk] = value
        stock: dict[Any, Decimal] = {}
        rows = offer.stock
        if not rows and offer.quantity is not None:
            rows = (cml.StockRow(TOTAL_WAREHOUSE_ID, offer.quantity),)
        for row in rows:
            warehouse = self._resolve_warehouse(row.warehouse_id)
            if warehouse is None:
                self.recorder.fail(object_type="catalog.offer", source=self._source(offer, offer.id),
                                   code="exchange.cml.unknown_warehouse",
                                   message=_("Offer %(id)s has stock in unknown warehouse %(w)s.")
                                   % {"id": offer.id, "w": row.warehouse_id})
                return None
            quantity = (row.quantity or Decimal("0")).quantize(_MILLI)
            if not self._offer_value(offer, _STOCK_QUANTITY, quantity):
                return None
            targets[warehouse.pk] = warehouse
            stock[warehouse.pk] = quantity
        return {PRICES: prices, STOCK: stock}

    def _offer_digest(self, wanted: dict[Any, Decimal]) -> str:
        """`content_hash({str(target pk): str(value)})`, the digest kept in an offer part's binding, without
        the JSON encoder: keys (UUIDs) and values (finite decimals) hold nothing JSON escapes, so the text
        is the one `json.dumps(sort_keys=True, ensure_ascii=False)` writes, and so is the digest."""
        keys = self._target_keys
        pairs = []
        for pk, value in wanted.items():
            key = keys.get(pk)
            if key is None:
                key = keys[pk] = str(pk)
            pairs.append((key, str(value)))
        pairs.sort()
        text = "{" + ", ".join(f'"{key}": "{value}"' for key, value in pairs) + "}"
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _flush_offers(self) -> None:
        if not self.offers:
            return
        batch, self.offers = self.offers, []
        with transaction.atomic():
            self._created_offers: set[str] = set()
            self._revived: set = set()
            # One bindings query for the batch: its products, and what was last exchanged of its prices and stock.
            wanted = {o.id for o in batch} | {o.product_id for o in batch if o.product_id}
            bound: dict[str, Any] = {}
            deleted: set[str] = set()
            scopes: dict[str, str] = {}
            bindings: dict[str, dict[str, list]] = {part.kind: {} for part in OFFER_PARTS}
            for pk, kind, ext, object_id, digest, peer_deleted, scope in Binding.objects.filter(
                    node=self.node, object_type__in=(PRODUCT, *bindings),
                    external_id__in=list(wanted)).values_list("pk", "object_type", "external_id", "object_id",
                                                              "content_hash", "peer_deleted", "scope"):
                if kind == PRODUCT:
                    bound[ext] = object_id
                    scopes[ext] = scope
                    if peer_deleted:
                        deleted.add(ext)
                else:
                    bindings[kind][ext] = [pk, digest]
            products = self._offer_products(batch, bound, deleted, scopes)

            # What each offer wants; only the parts that differ from last time go further.
            plans = []
            for offer in batch:
                product = products.get(offer.id)
                if product is None:
                    continue
                wants = self._offer_wants(offer)
                if wants is None:
                    continue
                todo = []
                for part, desired in wants.items():
                    if not desired:
                        continue
                    digest = self._offer_digest(desired)
                    binding = bindings[part.kind].get(offer.id)
                    if binding is not None and binding[1] == digest:
                        continue
                    todo.append((part, desired, binding, digest))
                plans.append((offer, product, todo))

            # Existing rows only of the products that have something new: (product, target) -> [pk, value].
            touched_pks = [product.pk for _offer, product, todo in plans if todo]
            existing_rows: dict[OfferPart, dict[tuple, list]] = {part: {} for part in OFFER_PARTS}
            if touched_pks:
                for part in OFFER_PARTS:
                    existing_rows[part] = {
                        (p, t): [pk, v] for pk, p, t, v in part.model.objects.filter(product_id__in=touched_pks)
                        .values_list("pk", "product_id", part.target_id, part.value)}
            now = timezone.now()
            new_rows: dict[OfferPart, list] = {part: [] for part in OFFER_PARTS}
            changed_rows: dict[OfferPart, list] = {part: [] for part in OFFER_PARTS}
            new_bindings, touched_bindings = [], []
            journal = JournalRows()
            # Owned by the CRM: accounting's prices or stock fill what is missing, and change nothing existing.
            owned = {part: part.owned in self.plan.crm_owned for part in OFFER_PARTS}
            targets = self._targets
            for offer, product, todo in plans:
                changed = offer.id in self._created_offers or product.pk in self._revived
                for part, desired, binding, digest in todo:
                    rows = existing_rows[part]
                    for target_pk, value in desired.items():
                        existing = rows.get((product.pk, target_pk))
                        view = RowView(part.model, product=product,
                                       **{part.target: targets[target_pk], part.value: value})
                        if existing is None:
                            row = {"id": new_id(), "created_at": now, "updated_at": now, "product_id": product.pk,
                                   part.target_id: target_pk, part.value: value, **part.defaults}
                            rows[(product.pk, target_pk)] = [row["id"], value]
                            new_rows[part].append(row)
                            journal.add(part.model, row["id"], str(view), Operation.CREATE,
                                        diff({}, row_snapshot(part.model, row)))
                            changed = True
                        elif existing[1] != value and not owned[part]:
                            journal.add(part.model, existing[0], str(view), Operation.UPDATE,
                                        {part.value: [str(existing[1]), str(value)]})
                            existing[1] = value
                            changed_rows[part].append((existing[0], value, now))
                            changed = True
                    if binding is None:
                        bindings[part.kind][offer.id] = [None, digest]
                        new_bindings.append(NewBinding(node=self.node, object_type=part.kind, external_id=offer.id,
                                                       object_id=product.pk, content_hash=digest))
                    elif binding[0] is None:   # the same offer twice in one batch: its binding is new
                        binding[1] = digest
                        for b in new_bindings:
                            if b.object_type == part.kind and b.external_id == offer.id:
                                b.content_hash = digest
                    else:
                        binding[1] = digest
                        touched_bindings.append((binding[0], digest))
                if offer.id in self._created_offers:
                    self.recorder.count("created")
                else:
                    self.recorder.count("updated" if changed else "unchanged")
            for part in OFFER_PARTS:
                writer = RowWriter(part.model)
                writer.insert(new_rows[part])
                writer.update([part.value, "updated_at"], changed_rows[part])
            write_bindings(new_bindings)
            RowWriter(Binding).update(["content_hash"], touched_bindings)
            journal.write()
            self.recorder.save()


def products_of_node(node: ExchangeNode):
    """Our products bound to this node."""
    return Product.objects.filter(pk__in=Binding.objects.filter(node=node, object_type=PRODUCT).values("object_id"))

