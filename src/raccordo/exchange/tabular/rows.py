"""A file's row turned into a record's fields: values cleaned, phones and e-mails split and checked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from raccordo.core.phones import normalize_phone

from .columns import (
    COUNTERPARTIES,
    MULTI,
    REQUIRED,
    TRUE_WORDS,
    VALUE_SEPARATORS,
)
from .reading import Row

# --- rows to records --------------------------------------------------------------------------------------------


class RowError(Exception):
    """A row that cannot be imported, with the column and the code its run item names."""

    def __init__(self, message: str, column: str = "", code: str = "exchange.tabular.invalid"):
        super().__init__(message)
        self.message, self.column, self.code = message, column, code


@dataclass
class Parsed:
    """A row turned into a record's fields, its phones and e-mails, and the column each field came from."""

    row: Row
    data: dict[str, Any] = field(default_factory=dict)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)   # field -> column it came from


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)   # a spreadsheet number: an INN or an article is not 7.7e9
    return str(value).strip()


def parse_row(row: Row, mapping: dict[str, str], kind: str) -> Parsed:
    """Map a row's cells to fields; phones to E.164 and e-mails checked here, so errors name their column."""
    parsed = Parsed(row)
    for column, name in mapping.items():
        value = _text(row.values.get(column))
        parsed.columns.setdefault(name, column)
        if name in MULTI:
            for part in (p.strip() for p in VALUE_SEPARATORS.split(value) if p.strip()):
                if name == "phone":
                    try:
                        parsed.phones.append(normalize_phone(part))
                    except ValidationError as exc:
                        raise RowError(" ".join(exc.messages), column, "exchange.tabular.phone") from exc
                else:
                    try:
                        validate_email(part.lower())
                    except ValidationError as exc:
                        raise RowError(_("“%(value)s” is not an e-mail address.") % {"value": part}, column,
                                       "exchange.tabular.email") from exc
                    parsed.emails.append(part.lower())
            continue
        if not value:
            continue
        if name == "is_service":
            parsed.data[name] = value.lower() in TRUE_WORDS
        elif name == "vat_rate":
            parsed.data[name] = value.replace("%", "").replace(",", ".").strip()
        elif name in ("inn", "kpp", "counterparty_inn", "counterparty_kpp"):
            parsed.data[name] = re.sub(r"\s", "", value)
        else:
            parsed.data[name] = value
    for name in REQUIRED[kind]:
        if not parsed.data.get(name):
            column = next((c for c, n in mapping.items() if n == name), name)
            raise RowError(_("The required field “%(field)s” is empty.") % {"field": name}, column,
                           "exchange.tabular.required")
    if kind == COUNTERPARTIES and parsed.data.get("inn") and "kind" not in parsed.data:
        parsed.data["kind"] = "legal" if len(parsed.data["inn"]) == 10 else "sole_trader"
    return parsed

