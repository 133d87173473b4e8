"""Mappings of a node per object type: checked when saved, so the errors show on the form before any run.

A mapping says, for one node and one object type, which incoming field (as the CommerceML reader gives it)
goes to which of our fields, how a record without a binding is found (matching keys), whether new records
are created, which side owns each field, which records are taken at all (a filter), who becomes responsible
for new counterparties, and what happens on a conflict. `mapping_plan()` compiles it for an importer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raccordo.access.policy import node_visible
from raccordo.access.records import record_create, record_update
from raccordo.catalog.models import Product, ProductGroup
from raccordo.core.ids import parse_uuid
from raccordo.parties.models import Counterparty

from .models import Binding, ConflictPolicy, ExchangeNode, Mapping

PRODUCT = "catalog.product"
COUNTERPARTY = "parties.counterparty"
GROUP = "catalog.productgroup"
REQUISITE = "requisite:"   # an incoming field named after a requisite: "requisite:Код" (ЗначенияРеквизитов)

# Kinds of values: an incoming field may go only to a field of the same kind (text to any text field).
TEXT, GROUP_REF, UNIT_REF, VAT, ACTIVE, SERVICE, PROPS, ADDRESS, CONTACTS = (
    "text", "group", "unit", "vat", "active", "service", "properties", "address", "contacts")


@dataclass(frozen=True)
class IncomingField:
    """A field of a record the CommerceML reader yields: its name, the element it comes from, its kind and
    the field of ours it goes to by default ("" for none)."""

    name: str
    element: str
    kind: str
    default: str = ""


# Per object type: the incoming fields (see formats/commerceml/records.py: ProductRec, Counterparty), our
# fields that can receive a value with their kinds, and what accounting may own besides them.
OBJECT_TYPES: dict[str, dict[str, Any]] = {
    PRODUCT: {
        "label": gettext_lazy("Products"),
        "incoming": (
            IncomingField("name", "Наименование", TEXT, "name"),
            IncomingField("full_name", "ПолноеНаименование", TEXT, "full_name"),
            IncomingField("article", "Артикул", TEXT, "article"),
            IncomingField("barcode", "Штрихкод", TEXT, "barcode"),
            IncomingField("description", "Описание", TEXT, "description"),
            IncomingField("manufacturer", "Изготовитель", TEXT),
            IncomingField("group_ids", "Группы", GROUP_REF, "group"),
            IncomingField("unit", "БазоваяЕдиница", UNIT_REF, "unit"),
            IncomingField("tax_rates", "СтавкиНалогов", VAT, "vat_rate"),
            IncomingField("deleted", "ПометкаУдаления / Статус", ACTIVE, "is_active"),
            IncomingField("service", "ВидНоменклатуры / ТипНоменклатуры", SERVICE, "is_service"),
            IncomingField("properties", "ЗначенияСвойств", PROPS, "properties"),
        ),
        "targets": {"name": TEXT, "full_name": TEXT, "article": TEXT, "barcode": TEXT, "description": TEXT,
                    "group": GROUP_REF, "unit": UNIT_REF, "vat_rate": VAT, "is_active": ACTIVE,
                    "is_service": SERVICE, "properties": PROPS},
        "extra_owned": ("prices", "stock"),
        "crm_owned": (),
        "default_keys": ["article"],
    },
    COUNTERPARTY: {
        "label": gettext_lazy("Counterparties"),
        "incoming": (
            IncomingField("name", "Наименование", TEXT, "name"),
            IncomingField("full_name", "ПолноеНаименование / ОфициальноеНаименование", TEXT, "full_name"),
            IncomingField("inn", "ИНН", TEXT, "inn"),
            IncomingField("kpp", "КПП", TEXT, "kpp"),
            IncomingField("okpo", "ОКПО", TEXT),
            IncomingField("last_name", "Фамилия", TEXT),
            IncomingField("first_name", "Имя", TEXT),
            IncomingField("middle_name", "Отчество", TEXT),
            IncomingField("address", "АдресРегистрации / ЮридическийАдрес / Адрес", ADDRESS, "addresses"),
            IncomingField("contacts", "Контакты", CONTACTS, "contacts"),
            IncomingField("deleted", "ПометкаУдаления", ACTIVE),
        ),
        "targets": {"name": TEXT, "full_name": TEXT, "inn": TEXT, "kpp": TEXT, "ogrn": TEXT, "vat_number": TEXT,
                    "tax_code": TEXT, "segment": TEXT, "website": TEXT, "notes": TEXT, "is_active": ACTIVE,
                    "addresses": ADDRESS, "contacts": CONTACTS},
        "extra_owned": ("bank_accounts",),
        # The CRM owns what its managers keep up to date: contacts, addresses, bank accounts.
        "crm_owned": ("contacts", "addresses", "bank_accounts"),
        "default_keys": ["inn", "kpp"],
    },
}
FILTERS = {PRODUCT: "groups", COUNTERPARTY: "managers"}
_SKIPPED = {"id", "created_at", "updated_at"}
_KEY_TYPES = {"CharField", "SlugField", "EmailField", "IntegerField", "BigIntegerField", "PositiveIntegerField"}
OWNERS = ("accounting", "crm")


class MappingInvalid(Exception):
    """A mapping that may not be saved: `errors` maps a field of the form (or "__all__") to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))
        self.errors = errors


def model_of(object_type: str) -> type[models.Model]:
    return apps.get_model(object_type)


def incoming_fields(object_type: str) -> tuple[IncomingField, ...]:
    return OBJECT_TYPES[object_type]["incoming"]


def target_fields(object_type: str) -> dict[str, str]:
    """Our fields an incoming value can go to, with their kinds."""
    return OBJECT_TYPES[object_type]["targets"]


def default_field_map(object_type: str) -> dict[str, str]:
    return {f.name: f.default for f in incoming_fields(object_type) if f.default}


def key_choices(object_type: str) -> list[str]:
    """Fields that can find a record: the model's own plain fields (no relations, no dates)."""
    return [f.name for f in model_of(object_type)._meta.concrete_fields
            if f.name not in _SKIPPED and f.get_internal_type() in _KEY_TYPES]


def owned_choices(object_type: str) -> list[str]:
    """Fields one side or the other owns: the fields incoming values go to, and the related records."""
    spec = OBJECT_TYPES[object_type]
    return list(spec["targets"]) + [name for name in spec["extra_owned"] if name not in spec["targets"]]


def default_owned(object_type: str) -> list[str]:
    """Accounting owns everything it sends, but what the CRM keeps (contacts of counterparties)."""
    crm = set(OBJECT_TYPES[object_type]["crm_owned"])
    return [name for name in owned_choices(object_type) if name not in crm]


def required_targets(object_type: str) -> list[str]:
    """Our fields a record cannot be created without (not blank, no default): they must be mapped."""
    meta = model_of(object_type)._meta
    return [name for name in target_fields(object_type)
            if (f := _model_field(meta, name)) is not None and not f.blank and not f.has_default() and not f.null]


def _model_field(meta, name: str):
    try:
        f = meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return f if f.concrete else None   # related records (contacts, addresses) are not fields of the model


def incoming_kind(object_type: str, name: str) -> str | None:
    """The kind of an incoming field; requisites ("requisite:Код") are text; None: unknown."""
    if name.startswith(REQUISITE) and object_type == PRODUCT and name[len(REQUISITE):].strip():
        return TEXT
    return next((f.kind for f in incoming_fields(object_type) if f.name == name), None)


def group_choices(node: ExchangeNode | None = None) -> list[tuple[str, str]]:
    """Product groups a filter can name: (accounting's id, "Parent / Child"), the node's own first.

    A filter keeps accounting's ids, not ours, so it works before the groups arrive and carries to
    another database; groups of other nodes are offered when this node has sent none yet."""
    bindings = Binding.objects.filter(object_type=GROUP)
    if node is not None and bindings.filter(node=node).exists():
        bindings = bindings.filter(node=node)
    ext_of: dict[Any, str] = {}
    for object_id, ext in bindings.order_by("external_id").values_list("object_id", "external_id"):
        ext_of.setdefault(object_id, ext)
    groups = {pk: (name, parent) for pk, name, parent in ProductGroup.objects.values_list("pk", "name", "parent_id")}

    def path(pk, depth=0) -> str:
        name, parent = groups[pk]
        return f"{path(parent, depth + 1)} / {name}" if parent in groups and depth < 20 else name

    return sorted(((ext, path(pk)) for pk, ext in ext_of.items() if pk in groups), key=lambda c: c[1].lower())


def manager_choices():
    """People a counterparty filter or a responsible can name: active users."""
    return get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")


def group_subtree(external_ids, node: ExchangeNode | None = None) -> tuple[set, set]:
    """The groups named by accounting's ids and every group below them: (our ids, accounting's ids)."""
    names = set(external_ids)
    bindings = Binding.objects.filter(object_type=GROUP)
    if node is not None:
        bindings = bindings.filter(node=node)
    pairs = list(bindings.values_list("object_id", "external_id"))
    roots = {pk for pk, ext in pairs if ext in names}
    children: dict[Any, list] = {}
    for pk, parent in ProductGroup.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    pks, todo = set(), list(roots)
    while todo:
        pk = todo.pop()
        if pk not in pks:
            pks.add(pk)
            todo.extend(children.get(pk, ()))
    return pks, names | {ext for pk, ext in pairs if pk in pks}


@dataclass
class MappingData:
    object_type: str
    match_keys: list[str] = field(default_factory=list)
    allow_create: bool = True
    owned_fields: list[str] | None = None   # None: the type's default owners
    conflict_policy: str = ConflictPolicy.ACCOUNTING_WINS
    field_map: dict[str, str] = field(default_factory=dict)   # empty: the format's defaults
    filters: dict[str, list[str]] = field(default_factory=dict)
    responsible: Any = None   # a user's id (counterparties)

    def __post_init__(self):
        if self.owned_fields is None:
            self.owned_fields = default_owned(self.object_type) if self.object_type in OBJECT_TYPES else []

    def effective_map(self) -> dict[str, str]:
        return dict(self.field_map) if self.field_map else default_field_map(self.object_type)


def mapping_check(data: MappingData, *, filters_in_data: bool = True) -> dict[str, list[str]]:
    """Everything wrong with a mapping, against the model and against the data in the database now.

    filters_in_data=False (a settings file moving to another database): the records a filter would take
    need not exist yet — groups and counterparties arrive with the exchange — so what a filter matches is not
    checked, nor whether its product groups exist (its managers must).
    """
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if data.object_type not in OBJECT_TYPES:
        add("object_type", _("Unknown object type: %(type)s.") % {"type": data.object_type})
        return errors
    model = model_of(data.object_type)
    plural = str(model._meta.verbose_name_plural)
    keys, owned = list(data.match_keys or []), list(data.owned_fields or [])
    targets = target_fields(data.object_type)
    field_map = data.effective_map()

    by_target = _check_field_map(data, targets, field_map, add)
    _check_keys(data, keys, owned, by_target, add)
    if keys and "match_keys" not in errors:
        _check_keys_unique(model, keys, plural, add)
    _check_filters(data, errors, add, filters_in_data)
    _check_responsible(data, add)
    return errors


def _check_field_map(data: MappingData, targets: dict, field_map: dict[str, str], add) -> dict[str, list[str]]:
    """The field map: known fields on both sides, of the same kind, no target twice, nothing required missing.
    Returns the incoming fields of each target."""
    by_target: dict[str, list[str]] = {}
    for incoming, target in field_map.items():
        kind = incoming_kind(data.object_type, incoming)
        if kind is None:
            add("field_map", _("Unknown incoming field: %(field)s.") % {"field": incoming})
            continue
        if not target:
            continue
        if target not in targets:
            add("field_map", _("Unknown field: %(field)s.") % {"field": target})
            continue
        if targets[target] != kind:
            add("field_map", _("%(incoming)s cannot go to %(field)s: they hold different kinds of values.") % {
                "incoming": incoming, "field": target})
            continue
        by_target.setdefault(target, []).append(incoming)
    for target, sources in by_target.items():
        if len(sources) > 1:
            add("field_map", _("%(sources)s all go to %(field)s: map one incoming field to each field.") % {
                "sources": ", ".join(sorted(sources)), "field": target})
    for target in required_targets(data.object_type):
        if target not in by_target:
            add("field_map", _("%(field)s is required: map an incoming field to it.") % {"field": target})
    return by_target


def _check_keys(data: MappingData, keys: list[str], owned: list[str], by_target: dict[str, list[str]], add) -> None:
    """The matching keys and owned fields are known and fed; the policy is known; update-only has a key."""
    for key in keys:
        if key not in key_choices(data.object_type):
            add("match_keys", _("Unknown field: %(field)s.") % {"field": key})
        elif key not in by_target:
            add("match_keys", _("%(field)s receives no incoming value, so it cannot find a record: "
                                "map an incoming field to it.") % {"field": key})
    if len(set(keys)) != len(keys):
        add("match_keys", _("A matching key is chosen twice."))
    for name in owned:
        if name not in owned_choices(data.object_type):
            add("owned_fields", _("Unknown field: %(field)s.") % {"field": name})
    if data.conflict_policy not in ConflictPolicy.values:
        add("conflict_policy", _("Unknown conflict policy: %(policy)s.") % {"policy": data.conflict_policy})
    if not data.allow_create and not keys:
        add("match_keys", _("Update-only needs a matching key: without one no record can be found to update."))


def _check_keys_unique(model, keys: list[str], plural: str, add) -> None:
    """The keys together must find one record: count the existing records sharing a (non-empty) key."""
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
    if total and model is Counterparty:
        # Issue #17: the way out of duplicate clients, rather than a dead end.
        add("match_keys", _("Search Counterparties for the INN, open the one to keep and merge the others into it "
                            "(“Merge a duplicate”)."))


def _check_filters(data: MappingData, errors: dict, add, filters_in_data: bool) -> None:
    filters = data.filters or {}
    if not isinstance(filters, dict):
        add("filters", _("A filter is a set of named lists."))
        return
    allowed = FILTERS[data.object_type]
    for name, values in filters.items():
        if name != allowed:
            add("filters", _("Unknown filter: %(name)s.") % {"name": name})
        elif not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            add("filters", _("A filter lists ids as text."))
    if "filters" in errors:
        return
    values = filters.get(allowed) or []
    if not values:
        return
    if allowed == "groups":
        if not filters_in_data:
            return
        known = set(Binding.objects.filter(object_type=GROUP, external_id__in=values)
                    .values_list("external_id", flat=True))
        unknown = [v for v in values if v not in known]
        for value in unknown:
            add("filters", _("Unknown product group: %(id)s.") % {"id": value})
        if not unknown:
            pks, _ext = group_subtree(values)
            if not Product.objects.filter(group_id__in=pks).exists():
                add("filters", _("No product is in the chosen groups (or below them): the filter would take "
                                 "nothing."))
    else:
        users = {str(pk) for pk in manager_choices().filter(pk__in=_uuids(values)).values_list("pk", flat=True)}
        unknown = [v for v in values if v not in users]
        for value in unknown:
            add("filters", _("Unknown or inactive user: %(id)s.") % {"id": value})
        if not unknown and filters_in_data and not Counterparty.objects.filter(responsible_id__in=list(users)).exists():
            add("filters", _("None of the chosen managers is responsible for a counterparty: the filter would "
                             "take nothing."))


def _uuids(values) -> list:
    return [pk for pk in map(parse_uuid, values) if pk is not None]


def _check_responsible(data: MappingData, add) -> None:
    if data.responsible in (None, ""):
        return
    if data.object_type != COUNTERPARTY:
        add("responsible", _("Only counterparties have a responsible manager."))
        return
    ids = _uuids([data.responsible])
    if not ids or not manager_choices().filter(pk=ids[0]).exists():
        add("responsible", _("Unknown or inactive user: %(id)s.") % {"id": data.responsible})
        return
    managers = (data.filters or {}).get("managers") if isinstance(data.filters, dict) else None
    if managers and isinstance(managers, list) and str(ids[0]) not in {str(m) for m in managers}:
        add("responsible", _("New counterparties would go to a manager the filter leaves out, so none would be "
                             "taken: choose one of the filter's managers."))


@transaction.atomic
def mapping_save(*, user, node: ExchangeNode, data: MappingData, filters_in_data: bool = True) -> Mapping:
    """Create or change the node's mapping of one object type, after checking it; journaled."""
    errors = mapping_check(data, filters_in_data=filters_in_data)
    if errors:
        raise MappingInvalid(errors)
    responsible = _uuids([data.responsible])[0] if data.responsible not in (None, "") else None
    values = {"match_keys": list(data.match_keys), "allow_create": bool(data.allow_create),
              "owned_fields": list(data.owned_fields),  # type: ignore[arg-type]  # a list after __post_init__
              "conflict_policy": data.conflict_policy,
              "field_map": {k: v for k, v in data.field_map.items() if v},
              "filters": {k: list(v) for k, v in (data.filters or {}).items() if v},
              "responsible_id": responsible}
    found = Mapping.objects.select_for_update().filter(node=node, object_type=data.object_type).first()
    if found is None:
        return record_create(Mapping, user=user, data={"node": node, "object_type": data.object_type, **values},
                             fields=("node", "object_type", *values))
    return record_update(found, user=user, data=values, fields=tuple(values))


def mapping_for(node: ExchangeNode, object_type: str) -> MappingData:
    """The node's mapping of a type, or the defaults for 1C CommerceML when none is saved yet."""
    found = Mapping.objects.filter(node=node, object_type=object_type).first()
    if found is not None:
        return MappingData(object_type=object_type, match_keys=list(found.match_keys),
                           allow_create=found.allow_create, owned_fields=list(found.owned_fields),
                           conflict_policy=found.conflict_policy, field_map=dict(found.field_map or {}),
                           filters={k: list(v) for k, v in (found.filters or {}).items()},
                           responsible=str(found.responsible_id) if found.responsible_id else None)
    return MappingData(object_type=object_type, match_keys=list(OBJECT_TYPES[object_type]["default_keys"]),
                       owned_fields=default_owned(object_type), field_map=default_field_map(object_type))


@dataclass
class MappingPlan:
    """A mapping compiled for an importer: what it needs per record, computed once per run."""

    object_type: str
    pairs: list[tuple[str, str]]          # (incoming field, our field), mapped ones only
    identity: bool                        # the default map: incoming values need no renaming
    match_keys: list[str]
    allow_create: bool
    crm_owned: frozenset[str]             # not overwritten on update
    conflict_policy: str
    filter_values: list[str]              # accounting's group ids, or managers' ids
    responsible_id: Any = None

    def wants(self, name: str) -> bool:
        return any(target == name for _incoming, target in self.pairs)

    def remap(self, values: dict[str, Any]) -> dict[str, Any]:
        """Incoming values (by incoming field) -> ours (by our field), as the map says."""
        return {target: values[incoming] for incoming, target in self.pairs if incoming in values}


def mapping_plan(node: ExchangeNode, object_type: str) -> MappingPlan:
    """The node's mapping of a type (or the defaults), ready for an importer."""
    data = mapping_for(node, object_type)
    field_map = data.effective_map()
    pairs = [(incoming, target) for incoming, target in field_map.items() if target]
    identity = field_map == default_field_map(object_type)
    owned = set(data.owned_fields)  # type: ignore[arg-type]  # a list after __post_init__
    responsible = data.responsible or (str(node.default_responsible_id) if node.default_responsible_id else None)
    return MappingPlan(object_type=object_type, pairs=pairs, identity=identity, match_keys=list(data.match_keys),
                       allow_create=data.allow_create,
                       crm_owned=frozenset(n for n in owned_choices(object_type) if n not in owned),
                       conflict_policy=data.conflict_policy,
                       filter_values=list((data.filters or {}).get(FILTERS[object_type]) or []),
                       responsible_id=responsible)


def node_managers(node: ExchangeNode) -> list[str]:
    """The managers a node's counterparty mapping is limited to (its filter), as ids; empty: no limit.
    The node's scope for every record hanging off a counterparty (see `access.policy.node_visible`)."""
    return list(mapping_plan(node, COUNTERPARTY).filter_values)


def node_scoped(node: ExchangeNode, queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` narrowed to what ``node`` may be sent: its scope, the managers of its counterparty mapping."""
    return node_visible(queryset, managers=node_managers(node))


def responsible_for_new(node: ExchangeNode | None):
    """Who gets the new counterparties a node brings: its counterparty mapping's responsible, else the node's
    default; None without a node (a file imported by hand keeps its importer's own rule)."""
    if node is None:
        return None
    pk = mapping_plan(node, COUNTERPARTY).responsible_id
    return get_user_model().objects.filter(pk=pk, is_active=True).first() if pk else None
