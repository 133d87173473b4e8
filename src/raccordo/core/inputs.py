"""Limits on what people and programs type, applied where input enters (form, serializer and filter fields).

Each limit keeps a value inside what the database and Python can hold, so bad input is a message next to
its field and never a 500 (security finding L5):

* dates and times between 1900 and 2999: year 1 in a time zone east of UTC is year 0 in UTC, which
  Python cannot represent (`OverflowError` when the value is stored or compared);
* search terms without NUL and at most SEARCH_TERM_MAX characters: SQLite refuses a LIKE pattern over
  50,000 characters, PostgreSQL any NUL in a text parameter.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)
# Longer than any name, INN, phone, e-mail or document number anyone searches for.
SEARCH_TERM_MAX = 200


def validate_date_range(value) -> None:
    """Refuse a date or date-time outside 1900-2999."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(_("Enter a date between %(min)s and %(max)s."), code="date.out_of_range",
                              params={"min": DATE_MIN.year, "max": DATE_MAX.year})


def bound_dates(fields) -> None:
    """Give every date and date-time field of a form (a dict of fields) the 1900-2999 range."""
    for field in fields.values():
        if isinstance(field, forms.DateField | forms.DateTimeField) and validate_date_range not in field.validators:
            field.validators.append(validate_date_range)


class BoundedDatesMixin:
    """A form whose date and date-time fields accept 1900-2999 only (see `bound_dates`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_dates(self.fields)


def search_term(value: str | None) -> str:
    """A search term as typed, without NUL and control characters, cut to SEARCH_TERM_MAX characters."""
    text = "".join(ch for ch in (value or "") if ch >= " " or ch == "\t")
    return text.strip()[:SEARCH_TERM_MAX].strip()
