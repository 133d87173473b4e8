"""What the parts of the catalog importer share, declared once so that each part says what it relies on.

CatalogImporter is made of parts (reference data, products, offers, life cycle), each a base class in
its own module. `ImporterState` names the state `CatalogImporter.__init__` sets and, for type checkers
only, the methods one part calls of another.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from raccordo.catalog.models import PriceType, Unit, Warehouse
from raccordo.exchange.conflicts import MergeRules
from raccordo.exchange.engine import RunRecorder, Source
from raccordo.exchange.formats.commerceml import records as cml
from raccordo.exchange.mappings import MappingPlan
from raccordo.exchange.models import ExchangeNode
from raccordo.exchange.upsert import BindingUpsert

from .seen import SeenIds


class ImporterState:
    """The catalog importer's state (set by CatalogImporter.__init__; see there what each holds)."""

    node: ExchangeNode
    recorder: RunRecorder
    batch_size: int
    file: str
    root: Path | None
    groups: list[cml.Group]
    props: list[cml.Property]
    products: list[cml.ProductRec]
    offers: list[cml.OfferRec]
    group_ids: dict[str, Any]
    units: dict[str, Unit]
    properties: dict[str, tuple[str, dict[str, str]]] | None
    price_types: dict[str, PriceType]
    warehouses: dict[str, Warehouse]
    scope: str
    listed_catalogs: set[str]
    full_catalogs: set[str]
    seen: SeenIds
    seen_offers: SeenIds
    deleted_products: set[str]
    skipped_products: set[str]
    group_filter: set[str] | None
    plan: MappingPlan
    rules: MergeRules
    upsert_products: BindingUpsert
    _pictures_stored: bool | None
    _targets: dict[Any, Any]
    _target_keys: dict[Any, str]
    _created_offers: set[str]
    _revived: set

    if TYPE_CHECKING:   # the methods the parts call of one another, defined in their own part
        def flush(self) -> None: ...
        def _source(self, rec: Any, ext: str = "") -> Source: ...
        def _skipped(self, rec: Any, object_type: str, code: str, message: str) -> None: ...
        def _unit(self, code: str | None, name: str | None, full_name: str | None = None) -> Unit | None: ...
        def _property_names(self) -> dict[str, tuple[str, dict[str, str]]]: ...
        def _resolve_price_type(self, ext: str | None) -> PriceType | None: ...
        def _resolve_warehouse(self, ext: str) -> Warehouse | None: ...
        def _switch_products(self, switch: dict[Any, bool]) -> None: ...
        def _deactivate_variants(self, product_ids: list) -> None: ...
