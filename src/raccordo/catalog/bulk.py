"""Bulk write services of the catalog: products, prices and stock of many at once, as an exchange sends them.

`products_write_bulk` creates products from plain rows (core.bulk: the model's own field rules). A
catalog exchange sets a price per (product, price type) and a quantity per (product, warehouse) for
thousands of products a batch. `PRICES.set_bulk` and `STOCK.set_bulk` write them as plain rows
(core.rows: executemany) and journal them as plain rows (core.journal.JournalRows), which is what
`price_set` and `stock_set` do one record at a time. The rules of a value (its places and its digits,
`ValueRows.clean`) are here once, for both. The caller holds the transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from raccordo.core.bulk import rows_create_bulk
from raccordo.core.ids import new_id
from raccordo.core.journal import JournalRows, diff, row_snapshot
from raccordo.core.models import Operation
from raccordo.core.rows import RowView, RowWriter

from .models import Price, Product, StockLevel

# Products' foreign keys (group, unit, variant_of) are the caller's, resolved from its own records: not queried.
_PRODUCT_KEYS = [f.name for f in Product._meta.concrete_fields if f.is_relation]


def products_write_bulk(rows: list[dict[str, Any]], *, journal: JournalRows) -> list[dict | ValidationError]:
    """Create products from plain rows (attname -> value, with their new ids), validated by the model's fields;
    their creation is kept in `journal` for the caller to write. Per row: its changes, or its ValidationError."""
    return rows_create_bulk(Product, rows, journal=journal, skip=_PRODUCT_KEYS)


class ValueRows:
    """Rows holding one value per (product, target): a product's prices per price type, its stock per warehouse."""

    def __init__(self, model, target: str, value: str, places: Decimal):
        self.model = model
        self.target = target            # the row's other key: "price_type" / "warehouse"
        self.target_id = f"{target}_id"
        self.value = value              # the one value: "value" / "quantity"
        self.places = places
        self.field = model._meta.get_field(value)
        # Below this a value always fits its field (max_digits - decimal_places integer digits): no validator call.
        self.limit = Decimal(10) ** (self.field.max_digits - self.field.decimal_places)
        keys = {"id", "created_at", "updated_at", "product_id", self.target_id, value}
        self.defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields if f.attname not in keys}

    def clean(self, value: Decimal) -> Decimal:
        """The value rounded to the field's places and checked by its validators (ValidationError if it does
        not fit); cheap when it plainly fits."""
        value = value.quantize(self.places)
        if abs(value) >= self.limit:
            self.field.run_validators(value)
        return value

    def _text(self, product, target, value) -> str:
        # Only for a row that is written: an unchanged value (most of a re-import) never builds its journal text.
        return str(RowView(self.model, product=product, **{self.target: target, self.value: value}))

    def set_bulk(self, entries: list[tuple[Any, dict[Any, Decimal]]], *, targets: dict[Any, Any],
                 keep_existing: bool = False) -> set[int]:
        """Make each entry's product hold these values (target pk -> value, cleaned); journaled.

        `entries`: (product, values) where product is a Product or a RowView of one (pk, name, article);
        `targets`: target pk -> the price type or warehouse (for the journal's text). With
        `keep_existing` only missing rows are created and existing ones keep their values. Returns the
        indexes of the entries that changed a row.
        """
        if not entries:
            return set()
        rows = dict(((p, t), [pk, v]) for pk, p, t, v in self.model.objects.filter(
            product_id__in=list({product.pk for product, _values in entries}))
            .values_list("pk", "product_id", self.target_id, self.value))
        now = timezone.now()
        new_rows: list[dict[str, Any]] = []
        changed_rows: list[tuple] = []
        journal = JournalRows()
        changed: set[int] = set()
        for index, (product, values) in enumerate(entries):
            for target_pk, value in values.items():
                existing = rows.get((product.pk, target_pk))
                if existing is None:
                    row = {"id": new_id(), "created_at": now, "updated_at": now, "product_id": product.pk,
                           self.target_id: target_pk, self.value: value, **self.defaults}
                    rows[(product.pk, target_pk)] = [row["id"], value]
                    new_rows.append(row)
                    journal.add(self.model, row["id"], self._text(product, targets[target_pk], value), Operation.CREATE,
                                diff({}, row_snapshot(self.model, row)))
                    changed.add(index)
                elif existing[1] != value and not keep_existing:
                    journal.add(self.model, existing[0], self._text(product, targets[target_pk], value), Operation.UPDATE,
                                {self.value: [str(existing[1]), str(value)]})
                    existing[1] = value
                    changed_rows.append((existing[0], value, now))
                    changed.add(index)
        writer = RowWriter(self.model)
        writer.insert(new_rows)
        writer.update([self.value, "updated_at"], changed_rows)
        journal.write()
        return changed


PRICES = ValueRows(Price, "price_type", "value", Decimal("0.01"))
STOCK = ValueRows(StockLevel, "warehouse", "quantity", Decimal("0.001"))
