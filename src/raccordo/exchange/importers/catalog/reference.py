"""Reference data of a catalog exchange: units, price types, warehouses, properties and groups.

Few records, written as they come (groups and properties a batch at a time, groups a level at a time).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.catalog.models import PriceType, ProductGroup, Property, Unit, Warehouse
from raccordo.catalog.selectors import default_price_type
from raccordo.catalog.services import unit_ensure
from raccordo.core.money import default_currency, normalize_currency
from raccordo.exchange.engine import Source, content_hash
from raccordo.exchange.formats.commerceml import records as cml
from raccordo.exchange.models import Binding
from raccordo.exchange.upsert import BindingUpsert, Incoming

from .kinds import GROUP, PRICE_TYPE, PROPERTY, TOTAL_WAREHOUSE_ID, WAREHOUSE, bound_ids
from .state import ImporterState


class ReferenceData(ImporterState):
    """CatalogImporter's part that writes and resolves reference data."""

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
        unit = self.units[key] = unit_ensure(code=code, name=name, full_name=full_name or "")
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
                                  "currency": normalize_currency(rec.currency, default_currency()) or (rec.currency or "")[:3]}
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
            return default_price_type()
        if ext not in self.price_types:
            pk = bound_ids(self.node, PRICE_TYPE, [ext]).get(ext)
            obj = PriceType.objects.filter(pk=pk).first() if pk else None
            if obj is None:
                return None
            self.price_types[ext] = obj
        return self.price_types[ext]

    def _resolve_warehouse(self, ext: str) -> Warehouse | None:
        if ext not in self.warehouses:
            pk = bound_ids(self.node, WAREHOUSE, [ext]).get(ext)
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
        self.group_ids.update(bound_ids(self.node, GROUP, missing_parents))
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
