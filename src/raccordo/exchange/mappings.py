"""Mappings of a node per object type: checked when saved, so the errors show on the form before any run."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raccordo.core.services import record_create, record_update

from .models import ConflictPolicy, ExchangeNode, Mapping

# Object types a mapping can be set for, and what accounting may own besides the model's own fields.
OBJECT_TYPES = {
    "catalog.product": {"label": gettext_lazy("Products"), "extra_owned": ("prices", "stock"),
                        "default_keys": ["article"], "default_owned": ["prices", "stock"]},
    "parties.counterparty": {"label": gettext_lazy("Counterparties"),
                             "extra_owned": ("contacts", "addresses", "bank_accounts"),
                             "default_keys": ["inn", "kpp"], "default_owned": []},
}
_SKIPPED = {"id", "created_at", "updated_at"}
_KEY_TYPES = {"CharField", "SlugField", "EmailField", "IntegerField", "BigIntegerField", "PositiveIntegerField"}


class MappingInvalid(Exception):
    """A mapping that may not be saved: `errors` maps a field of the form (or "__all__") to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))
        self.errors = errors


def model_of(object_type: str) -> type[models.Model]:
    return apps.get_model(object_type)


def key_choices(object_type: str) -> list[str]:
    """Fields that can find a record: the model's own plain fields (no relations, no dates)."""
    return [f.name for f in model_of(object_type)._meta.concrete_fields
            if f.name not in _SKIPPED and f.get_internal_type() in _KEY_TYPES]


def owned_choices(object_type: str) -> list[str]:
    fields = [f.name for f in model_of(object_type)._meta.concrete_fields if f.name not in _SKIPPED]
    return fields + list(OBJECT_TYPES[object_type]["extra_owned"])


@dataclass
class MappingData:
    object_type: str
    match_keys: list[str] = field(default_factory=list)
    allow_create: bool = True
    owned_fields: list[str] = field(default_factory=list)
    conflict_policy: str = ConflictPolicy.ACCOUNTING_WINS


def mapping_check(data: MappingData) -> dict[str, list[str]]:
    """Everything wrong with a mapping, against the model and against the data in the database now."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if data.object_type not in OBJECT_TYPES:
        add("object_type", _("Unknown object type: %(type)s.") % {"type": data.object_type})
        return errors
    model = model_of(data.object_type)
    plural = str(model._meta.verbose_name_plural)
    keys, owned = list(data.match_keys or []), list(data.owned_fields or [])
    for key in keys:
        if key not in key_choices(data.object_type):
            add("match_keys", _("Unknown field: %(field)s.") % {"field": key})
    if len(set(keys)) != len(keys):
        add("match_keys", _("A matching key is chosen twice."))
    for name in owned:
        if name not in owned_choices(data.object_type):
            add("owned_fields", _("Unknown field: %(field)s.") % {"field": name})
    if data.conflict_policy not in ConflictPolicy.values:
        add("conflict_policy", _("Unknown conflict policy: %(policy)s.") % {"policy": data.conflict_policy})
    if not data.allow_create and not keys:
        add("match_keys", _("Update-only needs a matching key: without one no record can be found to update."))
    if keys and "match_keys" not in errors:
        # The keys together must find one record: count the existing records sharing a (non-empty) key.
        filled = model.objects.all()
        for key in keys:
            filled = filled.exclude(**{key: ""}) if isinstance(model._meta.get_field(key), models.CharField) \
                else filled.exclude(**{f"{key}__isnull": True})
        dupes = filled.values(*keys).annotate(n=Count("pk")).filter(n__gt=1).order_by("-n")
        total = dupes.count()
        for row in dupes[:5]:
            add("match_keys", _("%(keys)s is not unique: %(count)d %(objects)s have %(value)s") % {
                "keys": "+".join(keys), "count": row["n"], "objects": plural,
                "value": "/".join(str(row[k]) for k in keys)})
        if total > 5:
            add("match_keys", _("… and %(more)d more values shared by several records.") % {"more": total - 5})
    return errors


@transaction.atomic
def mapping_save(*, user, node: ExchangeNode, data: MappingData) -> Mapping:
    """Create or change the node's mapping of one object type, after checking it; journaled."""
    errors = mapping_check(data)
    if errors:
        raise MappingInvalid(errors)
    values = {"match_keys": list(data.match_keys), "allow_create": bool(data.allow_create),
              "owned_fields": list(data.owned_fields), "conflict_policy": data.conflict_policy}
    found = Mapping.objects.select_for_update().filter(node=node, object_type=data.object_type).first()
    if found is None:
        return record_create(Mapping, user=user, data={"node": node, "object_type": data.object_type, **values})
    return record_update(found, user=user, data=values)


def mapping_for(node: ExchangeNode, object_type: str) -> MappingData:
    """The node's mapping of a type, or the defaults for 1C CommerceML when none is saved yet."""
    found = Mapping.objects.filter(node=node, object_type=object_type).first()
    if found is not None:
        return MappingData(object_type=object_type, match_keys=list(found.match_keys),
                           allow_create=found.allow_create, owned_fields=list(found.owned_fields),
                           conflict_policy=found.conflict_policy)
    spec = OBJECT_TYPES[object_type]
    return MappingData(object_type=object_type, match_keys=list(spec["default_keys"]),
                       owned_fields=list(spec["default_owned"]))
