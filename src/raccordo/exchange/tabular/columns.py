"""What a tabular import reads: the kinds of records, the fields of each with their column headers in three
languages, the choices for duplicates, and mapping a file's columns to fields."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raccordo.core.errors import ApplicationError


def max_file_size() -> int:
    """The largest file a tabular import reads, in bytes (TABULAR_MAX_FILE_SIZE, read at call time)."""
    return getattr(settings, "TABULAR_MAX_FILE_SIZE", 50 * 1024 * 1024)


# An XLSX is a zip: a workbook of 50 MB holds a few dozen parts; its sheets compress well, but not 1000:1.
XLSX_MAX_ENTRIES = 1000
XLSX_MAX_TOTAL = 1024 * 1024 * 1024
XLSX_MAX_RATIO = 200
PREVIEW_ROWS = 10
BATCH_SIZE = 500

COUNTERPARTIES, CONTACTS, PRODUCTS = "counterparties", "contacts", "products"
KINDS = (COUNTERPARTIES, CONTACTS, PRODUCTS)
KIND_LABELS = {COUNTERPARTIES: gettext_lazy("Counterparties"), CONTACTS: gettext_lazy("Contact persons"),
               PRODUCTS: gettext_lazy("Products")}


class OnDuplicate:
    """What a row that duplicates a record does: skipped, merged into it, or created anyway."""

    SKIP = "skip"
    MERGE = "merge"
    CREATE = "create"
    CHOICES = (SKIP, MERGE, CREATE)


# The fields each kind of row may fill, with the column headers (English, Italian, Russian) that mean them.
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    COUNTERPARTIES: {
        "name": ("name", "company", "nome", "ragione sociale", "наименование", "название", "контрагент"),
        "full_name": ("full name", "legal name", "nome completo", "полное наименование"),
        "kind": ("kind", "type", "tipo", "вид", "тип"),
        "inn": ("inn", "инн"),
        "kpp": ("kpp", "кпп"),
        "ogrn": ("ogrn", "огрн"),
        "vat_number": ("vat", "vat number", "partita iva", "p.iva", "piva"),
        "tax_code": ("tax code", "codice fiscale"),
        "country": ("country", "paese", "nazione", "страна"),
        "segment": ("segment", "segmento", "сегмент"),
        "website": ("website", "web", "site", "sito", "сайт"),
        "notes": ("notes", "note", "comment", "commento", "комментарий", "примечание"),
        "phone": ("phone", "phones", "telephone", "tel", "telefono", "телефон", "телефоны"),
        "email": ("email", "e-mail", "mail", "posta", "почта", "электронная почта", "эл. почта"),
    },
    CONTACTS: {
        "counterparty_inn": ("counterparty inn", "company inn", "инн", "inn", "инн контрагента"),
        "counterparty_kpp": ("counterparty kpp", "кпп", "kpp", "кпп контрагента"),
        "counterparty": ("counterparty", "company", "azienda", "cliente", "контрагент", "организация", "компания"),
        "last_name": ("last name", "surname", "cognome", "фамилия"),
        "first_name": ("first name", "name", "nome", "имя"),
        "middle_name": ("middle name", "patronymic", "отчество"),
        "position": ("position", "job title", "title", "ruolo aziendale", "qualifica", "должность"),
        "role": ("role", "ruolo", "роль"),
        "notes": ("notes", "note", "commento", "комментарий", "примечание"),
        "phone": ("phone", "telephone", "tel", "mobile", "telefono", "cellulare", "телефон", "мобильный"),
        "email": ("email", "e-mail", "mail", "posta", "почта", "электронная почта"),
    },
    PRODUCTS: {
        "article": ("article", "sku", "code", "articolo", "codice", "артикул", "код"),
        "barcode": ("barcode", "ean", "codice a barre", "штрихкод", "штрих-код"),
        "name": ("name", "product", "nome", "prodotto", "descrizione breve", "наименование", "номенклатура",
                 "товар"),
        "full_name": ("full name", "nome completo", "полное наименование"),
        "description": ("description", "descrizione", "описание"),
        "vat_rate": ("vat rate", "vat", "iva", "aliquota iva", "ставка ндс", "ндс"),
        "is_service": ("service", "servizio", "услуга"),
    },
}
REQUIRED = {COUNTERPARTIES: ("name",), CONTACTS: ("first_name",), PRODUCTS: ("name",)}
MULTI = {"phone", "email"}
VALUE_SEPARATORS = re.compile(r"[;,\n]+")
TRUE_WORDS = {"1", "true", "yes", "y", "si", "sì", "да", "x", "+"}


class TabularError(ApplicationError):
    """A file that cannot be imported at all (too large, unreadable, hostile, no usable columns)."""

    code = "exchange.tabular.file"



def _norm(text: str) -> str:
    return re.sub(r"[\s_]+", " ", str(text).strip().lower().replace("ё", "е"))


def guess_mapping(headers: list[str], kind: str) -> dict[str, str]:
    """Column header -> field, from the headers' words in English, Italian or Russian (or the field name)."""
    fields = FIELDS[kind]
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = _norm(header)
        for name, aliases in fields.items():
            if name in taken and name not in MULTI:
                continue
            if key == name.replace("_", " ") or key in aliases:
                mapping[header] = name
                taken.add(name)
                break
    return mapping


def check_mapping(mapping: dict[str, str], kind: str, headers: list[str] | None = None) -> list[str]:
    """What is wrong with a column mapping: unknown fields or columns, a field mapped twice, a required one missing."""
    problems = []
    fields = FIELDS[kind]
    for column, name in mapping.items():
        if name not in fields:
            problems.append(_("Unknown field “%(field)s” for column “%(column)s”.") % {"field": name, "column": column})
        if headers is not None and column not in headers:
            problems.append(_("The file has no column “%(column)s”.") % {"column": column})
    seen: dict[str, str] = {}
    for column, name in mapping.items():
        if name in seen and name not in MULTI:
            problems.append(_("The field “%(field)s” is mapped from two columns.") % {"field": name})
        seen[name] = column
    for name in REQUIRED[kind]:
        if name not in seen:
            problems.append(_("The required field “%(field)s” is not mapped to a column.") % {"field": name})
    if kind == CONTACTS and not ({"counterparty_inn", "counterparty"} & set(seen)):
        problems.append(_("Map a column to the counterparty (its INN or its name)."))
    return problems


def choices_check(kind: str, on_duplicate: str) -> None:
    """TabularError unless `kind` is a kind of import and `on_duplicate` a choice for duplicates."""
    if kind not in KINDS:
        raise TabularError(_("Unknown kind of import: %(kind)s") % {"kind": kind})
    if on_duplicate not in OnDuplicate.CHOICES:
        raise TabularError(_("Unknown choice for duplicates: %(value)s") % {"value": on_duplicate})
