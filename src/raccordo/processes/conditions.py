"""Conditions of an automation rule: "field operator value" lines, parsed once when saved, checked per change.

    amount > 100000
    counterparty.is_vip = true
    shipped_on changed
    accounting_status contains shipped

Every condition must hold. A field may follow one relation ("counterparty.city"); a related record compares
by its name or its id. `changed` holds when the change that fired the rule altered the field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext as _

# Longest first, so ">=" is not read as ">" followed by "=...".
OPERATORS = ("is empty", "is set", "changed", "contains", "!=", ">=", "<=", "=", ">", "<")
UNARY = {"is empty", "is set", "changed"}


def _field(model: type[models.Model], path: str) -> models.Field:
    """The model field a dotted path names (one relation at most), or ValidationError saying which part is wrong."""
    parts = path.split(".")
    if len(parts) > 2:
        raise ValueError(_("“%(path)s”: follow one relation at most (e.g. counterparty.city).") % {"path": path})
    try:
        field = model._meta.get_field(parts[0])
        if len(parts) == 2:
            if not field.is_relation or field.related_model is None:
                raise ValueError(_("“%(name)s” is not a related record.") % {"name": parts[0]})
            field = field.related_model._meta.get_field(parts[1])
    except FieldDoesNotExist:
        raise ValueError(_("no field “%(path)s” on %(model)s") % {
            "path": path, "model": model._meta.verbose_name}) from None
    if not getattr(field, "concrete", False):
        raise ValueError(_("“%(path)s” is not a field of the record itself.") % {"path": path})
    return field


def parse(text: str, model: type[models.Model] | None) -> list[dict[str, str]]:
    """Conditions from lines of text; an error names the line and what is wrong with it."""
    conditions, errors = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        field, _sep, rest = line.partition(" ")
        rest = rest.strip()
        op = next((o for o in OPERATORS if rest == o or rest.startswith(o + " ") or (
            o not in UNARY and o[0] in "!=<>" and rest.startswith(o))), None)
        try:
            if op is None:
                raise ValueError(_("say how to compare: one of %(ops)s") % {"ops": ", ".join(OPERATORS)})
            value = rest[len(op):].strip()
            if op not in UNARY and not value:
                raise ValueError(_("a value is missing after “%(op)s”") % {"op": op})
            if model is not None:
                _field(model, field)
        except ValueError as exc:
            errors.append(_("Line %(n)s (“%(line)s”): %(error)s.") % {"n": number, "line": line, "error": exc})
            continue
        conditions.append({"field": field, "op": op, "value": "" if op in UNARY else value})
    if errors:
        raise ValidationError(errors)
    return conditions


def as_text(conditions: list[dict[str, str]]) -> str:
    """The stored conditions as the lines the editor shows."""
    return "\n".join(" ".join(p for p in (c["field"], c["op"], c.get("value", "")) if p) for c in conditions)


def _value(obj, path: str) -> Any:
    for part in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        return None


def _equal(actual: Any, wanted: str) -> bool:
    if isinstance(actual, models.Model):
        return wanted.casefold() in (str(actual).casefold(), str(actual.pk))
    if isinstance(actual, bool):
        return wanted.strip().lower() in (("true", "yes", "1", "да", "sì", "si") if actual else
                                          ("false", "no", "0", "нет"))
    if isinstance(actual, int | float | Decimal):
        number = _number(wanted)
        return number is not None and Decimal(str(actual)) == number
    if isinstance(actual, dt.date):
        return actual.isoformat()[:len(wanted)] == wanted
    return str(actual if actual is not None else "").casefold() == wanted.casefold()


def _order(actual: Any, wanted: str) -> int | None:
    """-1, 0, 1 comparing `actual` with `wanted` as numbers, else as dates or text; None when not comparable."""
    if actual is None:
        return None
    if isinstance(actual, dt.date):
        left, right = actual.isoformat()[:len(wanted)], wanted
    else:
        a, b = _number(actual), _number(wanted)
        left, right = (a, b) if a is not None and b is not None else (str(actual).casefold(), wanted.casefold())
    return (left > right) - (left < right)


def holds(condition: dict[str, str], obj, changes: dict[str, Any] | None = None) -> bool:
    """Does one condition hold for `obj` (and the change that fired the rule, `changes` of the journal)?"""
    path, op, wanted = condition["field"], condition["op"], condition.get("value", "")
    if op == "changed":
        return path in (changes or {})
    actual = _value(obj, path)
    empty = actual is None or actual == ""
    if op in ("is set", "is empty"):
        return empty == (op == "is empty")
    if op == "=":
        return _equal(actual, wanted)
    if op == "!=":
        return not _equal(actual, wanted)
    if op == "contains":
        return wanted.casefold() in str(actual if actual is not None else "").casefold()
    order = _order(actual, wanted)
    if order is None:
        return False
    return {">": order > 0, "<": order < 0, ">=": order >= 0, "<=": order <= 0}[op]


def all_hold(conditions: list[dict[str, str]], obj, changes: dict[str, Any] | None = None) -> bool:
    return all(holds(c, obj, changes) for c in conditions or ())
