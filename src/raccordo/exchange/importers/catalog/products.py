"""Products of a catalog exchange: the goods file's records, mapped, filtered and written a batch at a time."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.catalog.models import Product, ProductGroup, ProductImage
from raccordo.exchange.engine import content_hash
from raccordo.exchange.formats.commerceml import records as cml
from raccordo.exchange.importers.pictures import picture_paths, product_images_attach
from raccordo.exchange.mappings import REQUISITE, group_subtree
from raccordo.exchange.models import RunItem
from raccordo.exchange.upsert import Incoming

from .kinds import GROUP, PRODUCT, bound_ids, vat_rate_from
from .state import ImporterState


class Products(ImporterState):
    """CatalogImporter's part that writes the goods (products and their variants)."""

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
            fingerprint["unit"] = unit.pk if unit else None  # type: ignore[assignment]  # a fingerprint holds plain values
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
        self.group_ids.update(bound_ids(self.node, GROUP, wanted_groups))
        groups = ProductGroup.objects.in_bulk([pk for pk in (self.group_ids.get(p.group_ids[0]) for p in batch
                                                             if p.group_ids) if pk])
        bases = bound_ids(self.node, PRODUCT, {p.product_id for p in batch if p.characteristic_id and p.product_id})
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
