"""The mapping forms of a node's page: what each form shows, and a posted form read back into a MappingData.

The form is plain HTML (see onec/_mapping_form.html); the truth is `mappings.mapping_check`, whose errors
are shown next to the parts they concern.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from raccordo.exchange import mappings
from raccordo.exchange.mappings import FILTERS, PRODUCT, REQUISITE, MappingData
from raccordo.exchange.models import ConflictPolicy

# Owned things that are not fields of the model: their names on the form.
EXTRA_LABELS = {"prices": _("prices"), "stock": _("stock"), "contacts": _("contacts (phones, e-mails)"),
                "addresses": _("addresses"), "bank_accounts": _("bank accounts")}
EMPTY_REQUISITE_ROWS = 2


def field_label(object_type: str, name: str) -> str:
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    model = mappings.model_of(object_type)
    try:
        return str(model._meta.get_field(name).verbose_name)  # type: ignore[union-attr]  # get_field() of a concrete field, not a reverse relation
    except FieldDoesNotExist:   # a name the model does not know is shown as it is
        return name


def _person(user) -> str:
    return user.get_full_name() or user.username


def mapping_forms(node, posted: tuple[str, MappingData, dict] | None = None) -> list[dict]:
    """One form per object type: the saved mapping (or 1C's defaults), or what was posted with its errors."""
    forms = []
    users = list(mappings.manager_choices())
    groups = None
    for object_type, spec in mappings.OBJECT_TYPES.items():
        if posted and posted[0] == object_type:
            data, errors = posted[1], posted[2]
        else:
            data, errors = mappings.mapping_for(node, object_type), {}
        field_map = data.effective_map()
        targets = mappings.target_fields(object_type)
        required = set(mappings.required_targets(object_type))

        def choices(kind: str, targets=targets, object_type=object_type) -> list[tuple[str, str]]:
            return [(name, field_label(object_type, name)) for name, k in targets.items() if k == kind]

        incoming = [{"name": f.name, "element": f.element, "target": field_map.get(f.name, ""),
                     "choices": choices(f.kind)} for f in mappings.incoming_fields(object_type)]
        requisites = []
        if object_type == PRODUCT:
            requisites = [{"name": name[len(REQUISITE):], "target": target}
                          for name, target in field_map.items() if name.startswith(REQUISITE)]
            requisites += [{"name": "", "target": ""} for _i in range(EMPTY_REQUISITE_ROWS)]
        owned = set(data.owned_fields)  # type: ignore[arg-type]  # owned_fields is a list after __post_init__
        owners = [{"name": name, "label": field_label(object_type, name),
                   "owner": "accounting" if name in owned else "crm"}
                  for name in mappings.owned_choices(object_type)]
        chosen = set(data.filters.get(FILTERS[object_type]) or []) if isinstance(data.filters, dict) else set()
        if FILTERS[object_type] == "groups":
            groups = mappings.group_choices(node) if groups is None else groups
            filter_choices = [(ext, label) for ext, label in groups]
            known = {ext for ext, _label in filter_choices}
            filter_choices += [(ext, ext) for ext in sorted(chosen - known)]   # ids no group has (yet)
        else:
            filter_choices = [(str(u.pk), _person(u)) for u in users]
        forms.append({
            "object_type": object_type, "label": spec["label"], "data": data, "errors": errors,
            "slug": object_type.replace(".", "-"),
            "incoming": incoming, "requisites": requisites, "owners": owners, "text_choices": choices(mappings.TEXT),
            "required": [field_label(object_type, name) for name in sorted(required)],
            "key_choices": [(name, field_label(object_type, name)) for name in mappings.key_choices(object_type)],
            "policies": ConflictPolicy.choices, "filter_kind": FILTERS[object_type],
            "filter_choices": filter_choices, "filter_chosen": chosen,
            "responsible_choices": [(str(u.pk), _person(u)) for u in users] if object_type != PRODUCT else [],
            "responsible": str(data.responsible or ""),
            "default_responsible": _person(node.default_responsible) if node.default_responsible_id else "",
        })
    return forms


def mapping_from_post(object_type: str, post) -> MappingData:
    """A posted mapping form as MappingData (checked by mapping_save, not here).

    The field map comes from "map-<incoming field>" selects and "req-name-N"/"req-target-N" rows of
    requisites; a form without any of them (an older form, a script) keeps the 1C defaults. Owners come
    from "owner-<field>" radios, or from a plain "owned_fields" list.
    """
    field_map: dict[str, str] = {}
    for key, value in post.items():
        if key.startswith("map-"):
            field_map[key[4:]] = value
    for key, value in post.items():
        if key.startswith("req-name-") and value.strip():
            target = post.get(f"req-target-{key[len('req-name-'):]}", "")
            field_map[REQUISITE + value.strip()] = target
    if any(k.startswith("owner-") for k in post):
        owned = [k[len("owner-"):] for k, v in post.items() if k.startswith("owner-") and v == "accounting"]
    else:
        owned = post.getlist("owned_fields")
    values = [v for v in post.getlist("filter") if v]
    return MappingData(object_type=object_type, match_keys=post.getlist("match_keys"),
                       allow_create=post.get("allow_create") == "on", owned_fields=owned,
                       conflict_policy=post.get("conflict_policy", ""),
                       field_map=field_map,
                       filters={FILTERS[object_type]: values} if values else {},
                       responsible=post.get("responsible") or None)
