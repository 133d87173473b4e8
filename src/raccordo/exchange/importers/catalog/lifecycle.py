"""The life cycle of the catalog's products: a catalog sent whole deactivates what it no longer lists.

See docs/commerceml.md, "Life cycle of a good". Every switch of a product's activity goes through
`set_active` (deactivation, deletion in accounting, revival by an offer).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.catalog.models import Product
from raccordo.core.journal import journal_bulk
from raccordo.core.models import Operation
from raccordo.exchange.models import Binding, ExchangeNode, RunItem

from .kinds import OFFERS_SCOPE, PRODUCT
from .seen import SeenIds
from .state import ImporterState

DROPPED = "dropped"   # a RunItem's outcome (10 characters at most): a product deactivated by a full export


def set_active(products: list[Product], active: bool) -> None:
    """Make these products active or inactive, journaled; written with one UPDATE batch (the caller holds
    the transaction). The one path of the life cycle's switches: deactivation, deletion, revival."""
    if not products:
        return
    now = timezone.now()
    for product in products:
        product.is_active, product.updated_at = active, now
    Product.objects.bulk_update(products, ["is_active", "updated_at"])
    journal_bulk(entries=[(p, Operation.UPDATE, {"is_active": [not active, active]}) for p in products])


class LifeCycle(ImporterState):
    """CatalogImporter's part that deactivates, at the end of an exchange, the products it did not list."""

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
                rows = list(seen.exclude_seen(absent).order_by("object_id")
                            .values_list("object_id", "external_id", "scope")[:500])
                if not rows:
                    break
                after = rows[-1][0]
                chunk = list(Product.objects.filter(pk__in=[r[0] for r in rows], is_active=True))
                if variants:
                    chunk = self._without_listed_variants(chunk)
                set_active(chunk, False)
                deactivated += len(chunk)
                self.recorder.count("deactivated", len(chunk))
                self._list_dropped(chunk, {r[0]: r for r in rows})
                self.recorder.save()
        return deactivated

    def _list_dropped(self, products: list[Product], bindings: dict[Any, tuple]) -> None:
        """Each deactivated product on the run's report, with 1C's id and the catalog whose full export did
        not list it: a number alone does not tell anyone which goods went (issue #13)."""
        for product in products:
            _pk, external_id, scope = bindings[product.pk]
            catalog = scope.removesuffix(OFFERS_SCOPE) or "-"
            self.recorder.add(RunItem(
                outcome=DROPPED, object_type=PRODUCT, external_id=(external_id or "")[:255], object_id=product.pk,
                code="exchange.catalog.absent", message=_("%(name)s is not in the full export of catalog "
                                                          "%(catalog)s: deactivated.") % {
                    "name": product.name, "catalog": catalog}))

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

    def _deactivate_variants(self, product_ids: list) -> None:
        """The variants of goods marked deleted follow them (the caller holds the transaction)."""
        set_active(list(Product.objects.filter(variant_of_id__in=product_ids, is_active=True)), False)

    def _switch_products(self, switch: dict[Any, bool]) -> None:
        """Set products active or inactive as the offers say, journaled (the caller holds the transaction)."""
        chunk = list(Product.objects.filter(pk__in=list(switch)))
        for active in (False, True):
            set_active([p for p in chunk if switch[p.pk] is active], active)


def products_of_node(node: ExchangeNode):
    """Our products bound to this node."""
    return Product.objects.filter(pk__in=Binding.objects.filter(node=node, object_type=PRODUCT).values("object_id"))
