"""Reading the change journal: a record's history (with field names and linked records resolved) and the
administrators' audit view."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from raccordo.core.ids import parse_uuid
from raccordo.core.journal import MASK, history_for, is_secret_field
from raccordo.core.models import ChangeJournal

from .policy import visible

HIDDEN = _("(not visible to you)")
EXTRA_LABELS = {"shared_with": _("shared with"),
                # parties.merge: the survivor names the duplicate it took in, the duplicate the survivor
                "merged": _("merged from"), "merged_id": _("id of the merged counterparty"),
                "merged_records": _("records moved"), "merged_into": _("merged into"),
                "merged_into_id": _("id of the counterparty merged into"),
                # sales.services.invoices: the document's lines, one summary each (line_summary)
                "lines": _("Lines")}


@dataclass
class FieldChange:
    name: str
    label: str
    before: Any
    after: Any


@dataclass
class HistoryRow:
    entry: ChangeJournal
    changes: list[FieldChange] = field(default_factory=list)


def _display(field_obj, value, resolved: dict, name: str = "") -> Any:
    if value is None or value == "":
        return None
    if is_secret_field(name):
        return MASK     # entries written before the journal masked secrets still hold them
    if field_obj is None:
        return resolved.get(str(value), value)
    if field_obj.is_relation:
        return resolved.get(str(value), HIDDEN)
    if field_obj.choices:
        return dict(field_obj.flatchoices).get(value, value)
    if isinstance(field_obj, models.BooleanField):
        return _("yes") if value else _("no")
    return _typed(field_obj, value)


def _typed(field_obj, value) -> Any:
    """A journaled value (stored as JSON text) as the Python value it was, so the page formats it per locale:
    amounts as numbers, dates as dates, times in the reader's time zone."""
    try:
        if isinstance(field_obj, models.DecimalField):
            # Money keeps its cents (150 000,00), as the field holds it.
            return Decimal(str(value)).quantize(Decimal(1).scaleb(-(field_obj.decimal_places or 0)))
        if isinstance(field_obj, models.DateTimeField):
            moment = parse_datetime(str(value))
            return timezone.localtime(moment) if moment and timezone.is_aware(moment) else (moment or value)
        if isinstance(field_obj, models.DateField):
            return parse_date(str(value)) or value
    except (InvalidOperation, ValueError):  # an old entry in another shape: shown as it was stored
        return value
    return value


def _resolve(model, entries: list[ChangeJournal], user) -> dict[str, str]:
    """Display text of the linked records named in the changes, among those `user` may see."""
    wanted: dict[type, set] = {}
    user_model = get_user_model()
    for entry in entries:
        for name, pair in (entry.changes or {}).items():
            try:
                target = model._meta.get_field(name).related_model if name != "shared_with" else user_model
            except Exception:  # a field since removed from the model
                continue
            if target is None:
                continue
            for pk in (parse_uuid(value) for value in pair if value):
                if pk is not None:
                    wanted.setdefault(target, set()).add(pk)
    resolved: dict[str, str] = {}
    for target, ids in wanted.items():
        # Colleagues are named; any other record only if the reader may see it.
        qs = target.objects.filter(pk__in=ids)
        if target is not user_model:
            qs = visible(qs, user)
        resolved.update({str(obj.pk): str(obj) for obj in qs})
    return resolved


def record_history(*, user, obj: models.Model, limit: int = 200) -> list[HistoryRow]:
    """The journal of one record the caller already holds (got through a selector), newest first."""
    if not visible(type(obj).objects.filter(pk=obj.pk), user).exists():
        return []
    entries = list(history_for(obj)[:limit])
    model = type(obj)
    resolved = _resolve(model, entries, user)
    rows = []
    for entry in entries:
        row = HistoryRow(entry=entry)
        for name, pair in sorted((entry.changes or {}).items()):
            before, after = (list(pair) + [None, None])[:2]
            try:
                field_obj = model._meta.get_field(name)
                label = str(field_obj.verbose_name)
            except Exception:
                field_obj, label = None, str(EXTRA_LABELS.get(name, name))
            row.changes.append(FieldChange(name=name, label=label, before=_display(field_obj, before, resolved, name),
                                           after=_display(field_obj, after, resolved, name)))
        rows.append(row)
    return rows


def field_label(model: type[models.Model] | None, name: str) -> str:
    """A journaled field's name in words (its verbose name, in the reader's language)."""
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    try:
        return str(model._meta.get_field(name).verbose_name) if model is not None else name
    except Exception:  # a field since removed from the model: its stored name is all there is
        return name


def changed_fields(entry: ChangeJournal) -> list[str]:
    """The fields an audit entry changed, in words; a secret field is named, its values never shown."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    return [field_label(model, name) for name in (entry.changes or {})]


def journal_list(*, user, filters: dict | None = None) -> QuerySet[ChangeJournal]:
    """The whole journal for the audit view (administrators), with optional filters:
    user (id), content_type (id), origin, date_from, date_to (ISO dates), q (object text or id)."""
    qs = visible(ChangeJournal.objects.select_related("content_type", "user"), user)
    filters = filters or {}
    if filters.get("user"):
        qs = qs.filter(user_id=filters["user"]) if parse_uuid(filters["user"]) else qs.none()
    if filters.get("content_type"):
        value = str(filters["content_type"])
        qs = qs.filter(content_type_id=int(value)) if value.isdigit() else qs.none()
    if filters.get("origin"):
        qs = qs.filter(origin=filters["origin"])
    start, end = parse_date(filters.get("date_from") or ""), parse_date(filters.get("date_to") or "")
    if start:
        qs = qs.filter(at__date__gte=start)
    if end:
        qs = qs.filter(at__date__lte=end)
    if filters.get("q"):
        term = filters["q"].strip()
        qs = qs.filter(object_id=term) if parse_uuid(term) else qs.filter(object_repr__icontains=term)
    return qs.order_by("-seq")


def journal_content_types():
    """The record types that appear in the journal, for the audit view's filter."""
    ids = ChangeJournal.objects.values_list("content_type_id", flat=True).distinct()
    return ContentType.objects.filter(pk__in=ids).order_by("app_label", "model")


__all__ = ["FieldChange", "HistoryRow", "changed_fields", "field_label", "journal_content_types", "journal_list",
           "record_history"]


def name_now(entries) -> None:
    """Give each journal entry `shown_name`: its record's name now, in the reader's language (a reminder's
    text, a renamed client), or the name it had when written (`object_repr`) once the record is gone.
    One query per record type on the page."""
    wanted: dict[int, set] = {}
    for entry in entries:
        wanted.setdefault(entry.content_type_id, set()).add(entry.object_id)
    names: dict[tuple[int, str], str] = {}
    for ct_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        for obj in model._default_manager.filter(pk__in=[i for i in ids if i]):
            names[(ct_id, str(obj.pk))] = str(obj)
    for entry in entries:
        entry.shown_name = names.get((entry.content_type_id, str(entry.object_id)), entry.object_repr)
