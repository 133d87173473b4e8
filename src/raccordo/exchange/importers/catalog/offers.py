"""Offers of a catalog exchange: the products they stand for, their prices and their stock.

An offer's prices and its stock each keep a binding (object types OFFER_PRICES, OFFER_STOCK) whose
content hash is the digest of what was last exchanged; only a part whose digest changed is written,
through the catalog's bulk services (`PRICES` and `STOCK`, `catalog.bulk.ValueRows.set_bulk`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.catalog.bulk import PRICES, STOCK, ValueRows
from raccordo.catalog.models import Product
from raccordo.core.rows import RowView
from raccordo.exchange.binding_rows import NewBinding, update_bindings, write_bindings
from raccordo.exchange.engine import content_hash, validation_message
from raccordo.exchange.formats.commerceml import records as cml
from raccordo.exchange.models import Binding
from raccordo.exchange.upsert import BindingUpsert, Incoming

from .kinds import OFFER_PRICES, OFFER_STOCK, OFFERS_SCOPE, PRODUCT, TOTAL_WAREHOUSE_ID
from .state import ImporterState


class OfferPart:
    """The prices or the stock of offers: a row per (product, target) holding one value (`rows`, the catalog's
    bulk service), and per offer a binding whose content hash is the digest of what was last exchanged."""

    def __init__(self, kind: str, rows: ValueRows, owned: str):
        self.kind = kind            # the binding's object type
        self.rows = rows
        self.owned = owned          # its name among the mapping's CRM-owned fields

    def write(self, entries: list[tuple[Any, dict[Any, Decimal]]], targets: dict[Any, Any],
              keep_existing: bool) -> set[int]:
        """Through the catalog's bulk service of this part; the indexes of the entries that changed a row."""
        return self.rows.set_bulk(entries, targets=targets, keep_existing=keep_existing)


PRICE_PART = OfferPart(OFFER_PRICES, PRICES, "prices")
STOCK_PART = OfferPart(OFFER_STOCK, STOCK, "stock")
OFFER_PARTS = (PRICE_PART, STOCK_PART)


class _OfferProducts:
    """What an offers batch does to products: the ones found or created, activity switches, binding marks."""

    def __init__(self):
        self.found: dict[str, Any] = {}
        self.to_create: list[Incoming] = []
        self.switch: dict[Any, bool] = {}   # product pk -> is_active it must now have
        self.marked: list[str] = []         # offers marked deleted: their bindings keep the mark
        self.rescoped: list[str] = []
        self.unmarked: list[str] = []       # offers of characteristics whose mark was taken off


class Offers(ImporterState):
    """CatalogImporter's part that writes offers: their products, prices and stock."""

    def _flush_offers(self) -> None:
        if not self.offers:
            return
        batch, self.offers = self.offers, []
        with transaction.atomic():
            self._created_offers = set()
            self._revived = set()
            bound, deleted, scopes, bindings = self._offer_bindings(batch)
            products = self._offer_products(batch, bound, deleted, scopes)
            plans = self._offer_plans(batch, products, bindings)
            changed = self._offer_values_write(plans)
            self._offer_bindings_write(plans, bindings, changed)
            self.recorder.save()

    def _offer_bindings(self, batch: list[cml.OfferRec]) -> tuple[dict, set, dict, dict]:
        """One bindings query for the batch: its products (id, deletion mark, scope), and per part what was
        last exchanged of its prices and stock ([binding pk, digest])."""
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
        return bound, deleted, scopes, bindings

    def _offer_products(self, batch: list[cml.OfferRec], bound: dict[str, Any], deleted: set[str],
                        scopes: dict[str, str]) -> dict[str, Any]:
        """Our product for each offer (a RowView: pk, name, article, enough for the journal); a variant or a
        product is created from the offer when it is new.

        An offer for a good marked deleted (in this exchange or an earlier one: `deleted`, the bindings'
        marks) or for a good this node did not take is skipped, listed with its reason. An offer listed
        for an inactive product makes it active again (it is in 1C's catalog again), unless its good is
        marked deleted; an offer marked deleted deactivates the product it stands for.
        """
        products, inactive = self._bound_products(bound)
        todo = _OfferProducts()
        missing = [o for o in batch if bound.get(o.id) not in products]
        bases = Product.objects.in_bulk([bound[o.product_id] for o in missing  # type: ignore[index]  # only offers of a characteristic, which name their product
                                         if o.characteristic_id and bound.get(o.product_id) in products])  # type: ignore[arg-type]
        revive = "is_active" not in self.plan.crm_owned
        for offer in batch:
            self.seen_offers.add(offer.id)
            pk = bound.get(offer.id)
            if self._offer_gone(offer, pk if pk in products else None, pk not in inactive, deleted, todo):
                continue
            if pk in products:
                todo.found[offer.id] = products[pk]
                self._offer_known(offer, pk, pk in inactive and revive, deleted, scopes, todo)
                continue
            item = self._offer_new_product(offer, bases.get(bound.get(offer.product_id))  # type: ignore[arg-type]  # an offer of a characteristic names its product
                                           if offer.characteristic_id else None)
            if item is not None:
                todo.to_create.append(item)
        self._offer_products_write(todo)
        return todo.found

    def _bound_products(self, bound: dict[str, Any]) -> tuple[dict[Any, RowView], set]:
        """The batch's bound products as RowViews (pk, name, article: enough for the journal), and the inactive."""
        products: dict[Any, Any] = {}
        inactive: set = set()
        for pk, name, article, active in Product.objects.filter(pk__in=list(bound.values())).values_list(
                "pk", "name", "article", "is_active"):
            products[pk] = RowView(Product, pk=pk, name=name, article=article)
            if not active:
                inactive.add(pk)
        return products, inactive

    def _offer_gone(self, offer: cml.OfferRec, pk: Any, active: bool, deleted: set[str],
                    todo: _OfferProducts) -> bool:
        """An offer of a good marked deleted, or marked deleted itself: skipped, its product (`pk`, None when
        there is none yet) inactive. Whether it was."""
        good = offer.product_id or offer.id
        if good in self.deleted_products or good in deleted:
            if pk is not None and active:
                todo.switch[pk] = False
            self._skipped(offer, "catalog.offer", "exchange.cml.deleted_good",
                          _("Its good is marked deleted in accounting: the offer is not taken and the product "
                            "stays inactive."))
            return True
        if offer.deleted:
            if pk is not None:
                todo.marked.append(offer.id)
                if active:
                    todo.switch[pk] = False
            self._skipped(offer, "catalog.offer", "exchange.cml.deleted_offer",
                          _("The offer is marked deleted in accounting: its product is inactive."))
            return True
        return False

    def _offer_known(self, offer: cml.OfferRec, pk: Any, revivable: bool, deleted: set[str], scopes: dict[str, str],
                     todo: _OfferProducts) -> None:
        """An offer of a bound product: its binding's mark and scope set right, the product revived if it may be."""
        if offer.id in deleted:   # a characteristic no longer marked deleted in accounting
            todo.unmarked.append(offer.id)
        scope = scopes.get(offer.id, "")
        if scope == "" and offer.characteristic_id:
            todo.rescoped.append(offer.id)   # a variant bound before scopes were kept: the offers' own
            scope = OFFERS_SCOPE
        # Listed again, a product born of an offer is active again; a good's own activity is its
        # catalog's to say (the goods file), not its offers'.
        if revivable and scope.endswith(OFFERS_SCOPE):
            todo.switch[pk] = True

    def _offer_new_product(self, offer: cml.OfferRec, base: Product | None) -> Incoming | None:
        """The product an offer of no bound product stands for (a variant of `base`, or a named offer), to
        create; None when it is not taken (recorded)."""
        if offer.id in self.skipped_products or offer.product_id in self.skipped_products:
            self._skipped(offer, "catalog.offer", "exchange.record.product_not_taken",
                          _("Its product was not taken by this node (see the product's entry)."))
            return None
        if not self.plan.allow_create:
            self._skipped(offer, PRODUCT, "exchange.record.not_created",
                          _("The offer names a product this node has not bound, and the mapping only updates "
                            "records."))
            return None
        if self.plan.filter_values and base is None:
            # An offer says nothing of its product's group: under a group filter it creates nothing.
            self._skipped(offer, "catalog.offer", "exchange.record.filtered",
                          _("The offer names a product this node has not taken, and the mapping takes only "
                            "some groups."))
            return None
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
            return None
        return Incoming(offer.id, fields, self._source(offer, offer.id),
                        hash=content_hash({"offer": offer.id, "name": fields["name"]}),
                        scope=self.scope + OFFERS_SCOPE)

    def _offer_products_write(self, todo: _OfferProducts) -> None:
        """Create the offers' new products, switch activities and keep the bindings' marks and scopes."""
        if todo.to_create:
            upsert = BindingUpsert(node=self.node, model=Product, object_type=PRODUCT, recorder=self.recorder,
                                   count=False)
            created = upsert.apply(todo.to_create)
            for ext, obj in created.objects.items():
                todo.found[ext] = obj
                self._created_offers.add(ext)
        if todo.switch:
            self._switch_products(todo.switch)
            self._revived.update(pk for pk, active in todo.switch.items() if active)
        for ids, mark in ((todo.marked, True), (todo.unmarked, False)):
            if ids:
                Binding.objects.filter(node=self.node, object_type=PRODUCT, external_id__in=ids).update(
                    peer_deleted=mark)
        if todo.rescoped:
            Binding.objects.filter(node=self.node, object_type=PRODUCT, external_id__in=todo.rescoped).update(
                scope=self.scope + OFFERS_SCOPE)

    # --- prices and stock -------------------------------------------------------------------------------------

    def _offer_value(self, offer: cml.OfferRec, rows: ValueRows, value: Decimal) -> Decimal | None:
        """A price or quantity as its field keeps it (places, max digits); None when it does not fit (recorded)."""
        try:
            return rows.clean(value)
        except ValidationError as exc:
            self.recorder.fail(object_type="catalog.offer", source=self._source(offer, offer.id),
                               code="exchange.record.invalid",
                               message=f"{rows.field.name}: {validation_message(exc)}")
            return None

    def _offer_fail(self, offer: cml.OfferRec, code: str, message: str) -> None:
        self.recorder.fail(object_type="catalog.offer", source=self._source(offer, offer.id), code=code,
                           message=message)

    def _offer_wants(self, offer: cml.OfferRec) -> dict[OfferPart, dict[Any, Decimal]] | None:
        """What an offer wants of each part (target pk -> value), validated; None when it failed (recorded)."""
        targets = self._targets
        prices: dict[Any, Decimal] = {}
        for price in offer.prices:
            price_type = self._resolve_price_type(price.price_type_id)
            if price_type is None:
                self._offer_fail(offer, "exchange.cml.unknown_price_type",
                                 _("Offer %(id)s has a price of unknown price type %(pt)s.")
                                 % {"id": offer.id, "pt": price.price_type_id})
                return None
            if price.value < 0:
                self._offer_fail(offer, "exchange.cml.negative_price", _("Offer %(id)s has a negative price %(v)s.")
                                 % {"id": offer.id, "v": price.value})
                return None
            value = self._offer_value(offer, PRICES, price.value)
            if value is None:
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
                self._offer_fail(offer, "exchange.cml.unknown_warehouse",
                                 _("Offer %(id)s has stock in unknown warehouse %(w)s.")
                                 % {"id": offer.id, "w": row.warehouse_id})
                return None
            quantity = self._offer_value(offer, STOCK, row.quantity or Decimal("0"))
            if quantity is None:
                return None
            targets[warehouse.pk] = warehouse
            stock[warehouse.pk] = quantity
        return {PRICE_PART: prices, STOCK_PART: stock}

    def _offer_digest(self, wanted: dict[Any, Decimal]) -> str:
        """The content hash kept in an offer part's binding: `{str(target pk): str(value)}`."""
        keys = self._target_keys
        text = {}
        for pk, value in wanted.items():
            key = keys.get(pk)
            if key is None:
                key = keys[pk] = str(pk)
            text[key] = str(value)
        return content_hash(text)

    def _offer_plans(self, batch: list[cml.OfferRec], products: dict[str, Any],
                     bindings: dict[str, dict[str, list]]) -> list[tuple]:
        """What each offer wants; only the parts that differ from last time go further:
        (offer, product, [(part, values, binding, digest)])."""
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
        return plans

    def _offer_values_write(self, plans: list[tuple]) -> set[int]:
        """Write the plans' prices and stock through the catalog's bulk services; the plans that changed a row.

        Owned by the CRM, accounting's prices or stock fill what is missing and change nothing existing."""
        entries: dict[OfferPart, list] = {part: [] for part in OFFER_PARTS}
        plan_of: dict[OfferPart, list[int]] = {part: [] for part in OFFER_PARTS}
        for index, (_offer, product, todo) in enumerate(plans):
            for part, desired, _binding, _digest in todo:
                entries[part].append((product, desired))
                plan_of[part].append(index)
        changed: set[int] = set()
        for part in OFFER_PARTS:
            written = part.write(entries[part], self._targets, part.owned in self.plan.crm_owned)
            changed.update(plan_of[part][i] for i in written)
        return changed

    def _offer_bindings_write(self, plans: list[tuple], bindings: dict[str, dict[str, list]],
                              changed: set[int]) -> None:
        """Keep in each part's binding the digest of what was exchanged, and count each offer's outcome."""
        new_bindings: list[NewBinding] = []
        touched_bindings: list[tuple] = []
        for index, (offer, product, todo) in enumerate(plans):
            for part, _desired, binding, digest in todo:
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
                revived_or_changed = index in changed or product.pk in self._revived
                self.recorder.count("updated" if revived_or_changed else "unchanged")
        write_bindings(new_bindings)
        update_bindings(["content_hash"], touched_bindings)
