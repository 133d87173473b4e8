"""A node's settings as a file: export them from one Raccordo and import them into another.

The file is JSON with "format": "raccordo-exchange-settings/1": the node (kind and options), its mappings,
its 1C endpoint settings, its EnterpriseData codes and transport, and its tasks. No password is ever written
(the node's, an FTP server's, 1C's web service's); an import sets the node's only when one is given, and keeps
the transport passwords a node already has. An import checks everything first and writes nothing when anything is wrong.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.access.records import record_create, record_update
from raccordo.core.errors import ApplicationError
from raccordo.core.ids import parse_uuid

from .enterprisedata import settings_section as ed_section
from .enterprisedata.services import ExchangeRefused
from .mappings import OBJECT_TYPES, MappingData, mapping_check, mapping_save
from .models import ExchangeNode, ExchangeTask, Mapping
from .nodes import node_create
from .onec.models import OneCSettings
from .scheduling import task_check, task_save

FORMAT = "raccordo-exchange-settings/1"
NODE_FIELDS = ("name", "kind", "login", "path", "cml_version", "encoding", "unknown_orders", "object_types",
               "is_active")
MAPPING_FIELDS = ("match_keys", "allow_create", "owned_fields", "conflict_policy", "field_map", "filters",
                  "responsible")
TASK_FIELDS = ("steps", "cron", "is_active", "allowed_roles")
ONEC_FIELDS = tuple(f.name for f in OneCSettings._meta.concrete_fields
                    if f.name not in ("id", "created_at", "updated_at", "node"))


class SettingsInvalid(ApplicationError):
    """A settings file that cannot be imported; `errors` maps JSON paths to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in errors.items()),
                         code="exchange.settings.invalid", extra={"errors": errors})
        self.errors = errors


def settings_export(node: ExchangeNode) -> dict[str, Any]:
    """The node's settings as a JSON-ready dict (no password, no counters, no cursors)."""
    onec = OneCSettings.objects.filter(node=node).first()
    return {
        "format": FORMAT,
        "node": {"code": node.code, **{f: getattr(node, f) for f in NODE_FIELDS}},
        "mappings": [_mapping_export(m) for m in Mapping.objects.filter(node=node).select_related("responsible")
                     .order_by("object_type")],
        "onec": {f: getattr(onec, f) for f in ONEC_FIELDS} if onec else None,
        "enterprisedata": ed_section.section_export(node),
        "tasks": [{"name": t.name, **{f: getattr(t, f) for f in TASK_FIELDS}}
                  for t in ExchangeTask.objects.filter(node=node).order_by("name")],
    }


def _mapping_export(m: Mapping) -> dict[str, Any]:
    """A mapping as it travels: people by username, product groups by accounting's ids (as the mapping keeps
    them), so both mean the same in another database."""
    filters = {k: list(v) for k, v in (m.filters or {}).items()}
    if filters.get("managers"):
        names: dict[uuid.UUID | None, str] = dict(
            get_user_model().objects.filter(pk__in=filters["managers"]).values_list("pk", "username"))
        filters["managers"] = [names.get(parse_uuid(v), v) for v in filters["managers"]]
    return {"object_type": m.object_type, "match_keys": m.match_keys, "allow_create": m.allow_create,
            "owned_fields": m.owned_fields, "conflict_policy": m.conflict_policy, "field_map": m.field_map or {},
            "filters": filters, "responsible": m.responsible.username if m.responsible_id else None}  # type: ignore[union-attr]  # guarded by responsible_id


def _people(row: dict, path: str, errors: dict) -> dict[str, Any]:
    """Usernames of a mapping row (responsible, managers of a filter) -> ids; unknown ones are errors."""
    users = get_user_model().objects.filter(is_active=True)
    out: dict[str, Any] = {"responsible": None, "managers": None}
    name = row.get("responsible")
    if name not in (None, ""):
        if not isinstance(name, str):
            errors.setdefault(f"{path}.responsible", []).append(_("A username is expected."))
        else:
            found = users.filter(username=name).values_list("pk", flat=True).first()
            if found is None:
                errors.setdefault(f"{path}.responsible", []).append(
                    _("No active user has the username %(name)s.") % {"name": name})
            out["responsible"] = str(found) if found else None
    filters = row.get("filters") or {}
    managers = filters.get("managers") if isinstance(filters, dict) else None
    if isinstance(managers, list):
        found_ids = dict(users.filter(username__in=[m for m in managers if isinstance(m, str)])
                         .values_list("username", "pk"))
        for m in managers:
            if m not in found_ids:
                errors.setdefault(f"{path}.filters.managers", []).append(
                    _("No active user has the username %(name)s.") % {"name": m})
        out["managers"] = [str(found_ids[m]) for m in managers if m in found_ids]
    return out


def _model_errors(exc: ValidationError, path: str) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {f"{path}.{name}": [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
    return {path: [str(m) for m in exc.messages]}


def _refuse_unknown_keys(row: dict, allowed: set, path: str, errors: dict) -> None:
    unknown = set(row) - allowed
    if unknown:
        errors[path] = [_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}]


def _rows(data: dict, name: str, key: str, fields, duplicate: str, errors: dict):
    """(path, row) of each object in the list `data[name]` worth checking further: refuses a non-list, a row that is
    not an object, keys besides `key` and `fields`, and a `key` value given twice (with the message `duplicate`)."""
    rows = data.get(name, [])
    if not _expect(rows, list, name, errors, _("A list")):
        return
    seen = set()
    for i, row in enumerate(rows):
        path = f"{name}[{i}]"
        if not _expect(row, dict, path, errors, _("An object")):
            continue
        _refuse_unknown_keys(row, {key, *fields}, path, errors)
        if row.get(key) in seen:
            errors[f"{path}.{key}"] = [duplicate]
        seen.add(row.get(key))
        yield path, row


def _expect(value, kind, path: str, errors: dict, what: str) -> bool:
    if not isinstance(value, kind):
        errors.setdefault(path, []).append(_("%(what)s is expected.") % {"what": what})
        return False
    return True


def settings_check(data: Any) -> dict[str, list[str]]:
    """Everything wrong with a settings file, by JSON path ("node.kind", "mappings[1].match_keys", ...)."""
    errors: dict[str, list[str]] = {}
    if not _expect(data, dict, "$", errors, _("An object")):
        return errors
    if data.get("format") != FORMAT:
        errors["format"] = [_("Unknown format %(found)r; this Raccordo reads %(known)r.") % {
            "found": data.get("format"), "known": FORMAT}]
        return errors
    unknown = set(data) - {"format", "node", "mappings", "onec", "enterprisedata", "tasks"}
    if unknown:
        errors["$"] = [_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}]
    node = data.get("node")
    if _expect(node, dict, "node", errors, _("An object")):
        unknown = set(node) - {"code", *NODE_FIELDS}
        if unknown:
            errors["node"] = [_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}]
        probe = ExchangeNode(code=node.get("code") or "", **{k: v for k, v in node.items() if k in NODE_FIELDS})
        try:
            probe.clean_fields()
        except ValidationError as exc:
            errors.update(_model_errors(exc, "node"))
        if not isinstance(node.get("object_types", []), list):
            errors["node.object_types"] = [_("A list is expected.")]
    for path, row in _rows(data, "mappings", "object_type", MAPPING_FIELDS, _("This object type is mapped twice."),
                           errors):
        ok = all(_expect(row.get(k, []), list, f"{path}.{k}", errors, _("A list"))
                 for k in ("match_keys", "owned_fields"))
        ok = _expect(row.get("allow_create", True), bool, f"{path}.allow_create", errors, _("true or false")) \
            and ok
        ok = all(_expect(row.get(k) or {}, dict, f"{path}.{k}", errors, _("An object"))
                 for k in ("field_map", "filters")) and ok
        if ok and not all(isinstance(k, str) and isinstance(v, str) for k, v in (row.get("field_map") or {}).items()):
            errors.setdefault(f"{path}.field_map", []).append(_("Incoming field -> our field, both as text."))
            ok = False
        if ok:
            people = _people(row, path, errors)
            if not any(k.startswith(f"{path}.filters") or k == f"{path}.responsible" for k in errors):
                # Product groups need not exist yet in this database: they come with the first catalog.
                for name, msgs in mapping_check(_mapping_data(row, people), filters_in_data=False).items():
                    errors[f"{path}.{name}"] = msgs
    onec = data.get("onec")
    if onec is not None and _expect(onec, dict, "onec", errors, _("An object or null")):
        _refuse_unknown_keys(onec, set(ONEC_FIELDS), "onec", errors)
        try:
            OneCSettings(**{k: v for k, v in onec.items() if k in ONEC_FIELDS}).clean_fields(exclude=["node"])
        except (ValidationError, TypeError, ValueError) as exc:
            errors.update(_model_errors(exc, "onec") if isinstance(exc, ValidationError) else {"onec": [str(exc)]})
    if data.get("enterprisedata") is not None:
        errors.update(ed_section.section_check(data["enterprisedata"]))
        if isinstance(node, dict) and node.get("kind") != "enterprisedata":
            errors.setdefault("enterprisedata", []).append(_("Only an EnterpriseData node has these settings."))
    for path, row in _rows(data, "tasks", "name", TASK_FIELDS, _("Two tasks have this name."), errors):
        errors.update(task_check(row, path))
    return errors


def _mapping_data(row: dict, people: dict[str, Any]) -> MappingData:
    filters = {k: list(v) if isinstance(v, list) else v for k, v in (row.get("filters") or {}).items()}
    if people.get("managers") is not None:
        filters["managers"] = people["managers"]
    return MappingData(object_type=row.get("object_type", ""), match_keys=list(row.get("match_keys", [])),
                       allow_create=row.get("allow_create", True),
                       owned_fields=list(row["owned_fields"]) if "owned_fields" in row else None,
                       conflict_policy=row.get("conflict_policy", "accounting"),
                       field_map=dict(row.get("field_map") or {}), filters=filters,
                       responsible=people.get("responsible"))


@transaction.atomic
def settings_import(*, user, data: Any, password: str | None = None) -> ExchangeNode:
    """Create or update the node named in `data` (by code) with its mappings, 1C settings and tasks.

    Nothing is written when anything is wrong (SettingsInvalid lists each problem by its JSON path).
    Mappings and tasks the file does not name are left as they are.
    """
    errors = settings_check(data)
    if errors:
        raise SettingsInvalid(errors)
    values = {k: v for k, v in data["node"].items() if k in NODE_FIELDS}
    node = ExchangeNode.objects.filter(code=data["node"]["code"]).first()
    if node is None:
        node = node_create(user=user, code=data["node"]["code"], name=values.get("name", ""),
                           kind=values.get("kind", "onec-http"), login=values.get("login", ""),
                           password=password or "", path=values.get("path", ""))
        node = record_update(node, user=user, data=values, fields=NODE_FIELDS)
    else:
        if password:
            values["password_hash"] = _hashed(password)
        node = record_update(node, user=user, data=values, fields=(*NODE_FIELDS, "password_hash"))
    for i, row in enumerate(data.get("mappings", [])):
        people = _people(row, f"mappings[{i}]", {})
        mapping_save(user=user, node=node, data=_mapping_data(row, people), filters_in_data=False)
    if data.get("onec") is not None:
        found = OneCSettings.objects.filter(node=node).first()
        if found is None:
            record_create(OneCSettings, user=user, data={"node": node, **data["onec"]}, fields=("node", *ONEC_FIELDS))
        else:
            record_update(found, user=user, data=data["onec"], fields=ONEC_FIELDS)
    if data.get("enterprisedata") is not None:
        try:
            ed_section.section_import(user=user, node=node, row=data["enterprisedata"])
        except ExchangeRefused as exc:   # what peer_setup refuses (an FTP transport without a server, ...)
            raise SettingsInvalid({"enterprisedata": [exc.message]}) from exc
    for row in data.get("tasks", []):
        task_save(user=user, node=node, data=row)
    return node


def _hashed(password: str) -> str:
    probe = ExchangeNode()
    probe.set_password(password)
    return probe.password_hash


def settings_problem_lines(exc: SettingsInvalid) -> list[str]:
    return [f"{path}: {' '.join(msgs)}" for path, msgs in exc.errors.items()]


__all__ = ["FORMAT", "OBJECT_TYPES", "SettingsInvalid", "settings_check", "settings_export", "settings_import"]
