"""CommerceML catalog import: groups, properties, units, price types, warehouses, products, offers.

Records arrive from the streaming reader one by one; they are buffered into batches and written
through `BindingUpsert` and the catalog's bulk services (one transaction per batch, journaled with
origin = exchange and the node). The work is in the importer's parts: reference data, products,
offers, and the products' life cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from raccordo.catalog.bulk import products_write_bulk
from raccordo.catalog.models import PriceType, Product, Unit, Warehouse
from raccordo.exchange.conflicts import MergeRules, parse_exchange_time
from raccordo.exchange.engine import RunRecorder, Source
from raccordo.exchange.formats.commerceml import records as cml
from raccordo.exchange.mappings import mapping_plan
from raccordo.exchange.models import ExchangeNode
from raccordo.exchange.upsert import BindingUpsert

from .kinds import OFFERS_SCOPE, PRODUCT
from .lifecycle import LifeCycle
from .offers import Offers
from .products import Products
from .reference import ReferenceData
from .seen import SeenIds


class CatalogImporter(ReferenceData, Products, Offers, LifeCycle):
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
        self._created_offers: set[str] = set()    # of the offers batch being written: products created for them
        self._revived: set = set()                # of that batch: product pks it made active again
        # The node's mapping of products: field map, keys, create or update only, owners, filter, conflicts.
        self.plan = mapping_plan(node, PRODUCT)
        self.rules = MergeRules(node=node, object_type=PRODUCT, crm_owned=self.plan.crm_owned,
                                policy=self.plan.conflict_policy, run=recorder.run)
        self.group_filter: set[str] | None = None     # accounting's ids of the groups taken (filter and below)
        self.skipped_products: set[str] = set()       # not taken (filter, update-only): their offers neither
        self.upsert_products = BindingUpsert(node=node, model=Product, object_type=PRODUCT, recorder=recorder,
                                             match=self._match_products, rows=True, rules=self.rules,
                                             write_rows=products_write_bulk)

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

    def note_listed(self, rec: cml.Record) -> None:
        """Remember what a file already imported lists (its catalog, goods and offers) without writing anything:
        how the end of a file-by-file exchange learns what the whole snapshot held before `finish`."""
        if isinstance(rec, cml.PackageInfo):
            self.note_package(rec)
        elif isinstance(rec, cml.ProductRec):
            self.seen.add(rec.id)
        elif isinstance(rec, cml.OfferRec):
            self.seen_offers.add(rec.id)

    @property
    def full_snapshot(self) -> bool:
        return bool(self.full_catalogs)

    def flush(self) -> None:
        self._flush_properties()
        self._flush_groups()
        self._flush_products()
        self._flush_offers()
