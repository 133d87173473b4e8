"""Import of counterparties, contact persons and products from CSV / XLSX files with a column mapping.

Rows are read streaming (csv with its encoding and delimiter detected; openpyxl in read-only mode,
formulas read as their values), mapped to fields, checked for duplicates against the existing data
and within the file before anything is written, and written through the domain services
(`counterparty_create`, `contact_create`, `product_create` ...), one transaction per batch and one
savepoint per row, so a row is written whole or not at all. The outcome is an exchange run with the
same counters and per-row items (file, line, column) as any other import.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError as ElementTreeParseError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml.etree import LxmlError

from raccordo.access import policy
from raccordo.catalog.models import Product
from raccordo.catalog.services import product_create, product_update
from raccordo.core.context import change_context
from raccordo.core.errors import ApplicationError, exception_text
from raccordo.core.phones import normalize_phone
from raccordo.parties import search as search_index
from raccordo.parties.models import Counterparty, Email, Phone
from raccordo.parties.services import (
    contact_create,
    contact_update,
    counterparty_create,
    counterparty_update,
    email_add,
    phone_add,
)

from .engine import RunRecorder, finish_run, start_run, validation_message
from .mappings import responsible_for_new
from .models import ExchangeNode, Run, RunItem
from .sources import keep_sources
from .uploads import UploadRefused, zip_check

MAX_FILE_SIZE = getattr(settings, "TABULAR_MAX_FILE_SIZE", 50 * 1024 * 1024)
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
_SPLIT = re.compile(r"[;,\n]+")
_TRUE = {"1", "true", "yes", "y", "si", "sì", "да", "x", "+"}


class TabularError(ApplicationError):
    """A file that cannot be imported at all (too large, unreadable, hostile, no usable columns)."""

    code = "exchange.tabular.file"


# --- reading ----------------------------------------------------------------------------------------------------


@dataclass
class Row:
    line: int                  # the row number a person sees (CSV line, sheet row)
    values: dict[str, Any]     # column header -> cell value


@dataclass
class Sheet:
    headers: list[str]
    rows: Iterator[Row]
    close: Callable[[], None] = lambda: None


def _header(value: Any, index: int) -> str:
    text = str(value).strip() if value is not None else ""
    return text or f"#{index + 1}"


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # The head may end inside a multi-byte character: an incremental decoder does not mind that.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1251"


def _detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(path: Path) -> Sheet:
    with path.open("rb") as raw:
        head = raw.read(64 * 1024)
    encoding = _detect_encoding(head)
    text = path.open("r", encoding=encoding, newline="", errors="strict")
    try:
        first = head.decode(encoding, errors="ignore").splitlines()[0] if head else ""
        delimiter = _detect_delimiter(first)
        reader = csv.reader(text, delimiter=delimiter)
        header_row = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as exc:
        text.close()
        raise TabularError(_("The file cannot be read as CSV: %(error)s") % {"error": exc}) from exc
    if header_row is None:
        text.close()
        raise TabularError(_("The file is empty."))
    headers = [_header(h, i) for i, h in enumerate(header_row)]

    def rows() -> Iterator[Row]:
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                yield Row(reader.line_num, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers)})
        except (UnicodeDecodeError, csv.Error) as exc:
            raise TabularError(_("The file cannot be read past line %(line)s: %(error)s")
                               % {"line": reader.line_num, "error": exc}) from exc
        finally:
            text.close()

    return Sheet(headers, rows(), text.close)


# What openpyxl lets through from a broken sheet while its rows are read (it parses them lazily).
_SHEET_ERRORS = (ElementTreeParseError, LxmlError, ValueError, KeyError, EOFError, zipfile.BadZipFile)
_DTD_MARKS = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


def _declares_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether a workbook member declares a DTD: entities defined there are how XML bombs and XXE work.

    Read in chunks (sizes were checked before); a mark split across two chunks is caught by the overlap.
    """
    tail = b""
    with zf.open(info) as member:
        while chunk := member.read(1 << 16):
            window = (tail + chunk).upper()
            if any(mark in window for mark in _DTD_MARKS):
                return True
            tail = chunk[-32:]
    return False


def _read_xlsx(path: Path) -> Sheet:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zip_check(zf, packed_size=path.stat().st_size, max_entries=XLSX_MAX_ENTRIES,
                              max_total=XLSX_MAX_TOTAL, max_ratio=XLSX_MAX_RATIO)
            if any(i.flag_bits & 0x1 for i in infos):
                raise TabularError(_("The workbook is encrypted."))
            if any(_declares_dtd(zf, info) for info in infos if info.filename.lower().endswith((".xml", ".rels"))):
                raise TabularError(_("The workbook contains a document type declaration (DTD): spreadsheet "
                                     "programs never write one. Save it again as XLSX or as CSV."))
    except zipfile.BadZipFile as exc:
        raise TabularError(_("The file is not an XLSX workbook.")) from exc
    except UploadRefused as exc:
        raise TabularError(exc.reason) from exc
    try:
        # data_only: a formula is read as the value the spreadsheet last computed, never as its text.
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook
        raise TabularError(_("The workbook cannot be read: %(error)s") % {"error": exc}) from exc
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        book.close()
        raise TabularError(_("The workbook has no sheet."))
    it = sheet.iter_rows(values_only=True)
    try:
        header_row = next(it, None)
    except _SHEET_ERRORS as exc:   # the sheet's XML is read lazily, from here on
        book.close()
        raise TabularError(_("The workbook cannot be read: %(error)s") % {"error": exception_text(exc)}) from exc
    if header_row is None:
        book.close()
        raise TabularError(_("The file is empty."))
    headers = [_header(h, i) for i, h in enumerate(header_row)]

    def rows() -> Iterator[Row]:
        try:
            for number, cells in enumerate(it, start=2):
                if not any(c not in (None, "") for c in cells):
                    continue
                yield Row(number, {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(headers)})
        except _SHEET_ERRORS as exc:   # a sheet's XML broken past its header
            raise TabularError(_("The workbook cannot be read: %(error)s") % {"error": exception_text(exc)}) from exc
        finally:
            book.close()

    return Sheet(headers, rows(), book.close)


def open_sheet(path: str | Path) -> Sheet:
    """The header and a stream of rows of a CSV or XLSX file, after the checks an uploaded file needs."""
    path = Path(path)
    if not path.is_file():
        raise TabularError(_("No such file."))
    if path.stat().st_size > MAX_FILE_SIZE:
        raise TabularError(_("The file is larger than %(limit)s MB.") % {"limit": MAX_FILE_SIZE // (1024 * 1024)})
    with path.open("rb") as raw:
        magic = raw.read(4)
    if magic == b"PK\x03\x04":
        return _read_xlsx(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise TabularError(_("The file is not an XLSX workbook."))
    return _read_csv(path)


def count_rows(path: str | Path) -> int:
    """How many rows below the header a file has, cheaply, for a progress bar: a CSV's lines (a quoted cell
    spanning lines counts each), an XLSX sheet's stated dimension (0 when the workbook does not state it)."""
    path = Path(path)
    with path.open("rb") as raw:
        magic = raw.read(4)
    if magic == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception:  # an unreadable workbook: the import itself says why  # noqa: BLE001
            return 0
        try:
            rows = (book.worksheets[0].max_row or 0) if book.worksheets else 0
        finally:
            book.close()
        return max(rows - 1, 0)
    lines, last = 0, b""
    with path.open("rb") as raw:
        while chunk := raw.read(1024 * 1024):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last and last != b"\n":
        lines += 1   # the last line has no line break
    return max(lines - 1, 0)


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


def preview(path: str | Path, kind: str, mapping: dict[str, str] | None = None,
            limit: int = PREVIEW_ROWS) -> dict[str, Any]:
    """The headers, the guessed (or given) mapping and the first rows of a file, for the mapping form."""
    sheet = open_sheet(path)
    try:
        rows = []
        for row in sheet.rows:
            rows.append(row)
            if len(rows) >= limit:
                break
    finally:
        sheet.close()
    return {"headers": sheet.headers, "mapping": mapping or guess_mapping(sheet.headers, kind), "rows": rows}


# --- rows to records --------------------------------------------------------------------------------------------


class RowError(Exception):
    def __init__(self, message: str, column: str = "", code: str = "exchange.tabular.invalid"):
        super().__init__(message)
        self.message, self.column, self.code = message, column, code


@dataclass
class Parsed:
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
            for part in (p.strip() for p in _SPLIT.split(value) if p.strip()):
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
            parsed.data[name] = value.lower() in _TRUE
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


# --- duplicates --------------------------------------------------------------------------------------------------


def _keys(kind: str, p: Parsed) -> list[tuple[str, str, str]]:
    """(key kind, key, field) a row is recognised by: INN+KPP, e-mail, phone in E.164, article."""
    keys: list[tuple[str, str, str]] = []
    if kind == COUNTERPARTIES and p.data.get("inn"):
        keys.append(("inn", f"{p.data['inn']}/{p.data.get('kpp', '')}", "inn"))
    if kind == PRODUCTS and p.data.get("article"):
        keys.append(("article", p.data["article"].lower(), "article"))
    keys += [("email", e, "email") for e in p.emails]
    keys += [("phone", n, "phone") for n in p.phones]
    return keys


def _existing(kind: str, batch: list[Parsed], user=None) -> dict[tuple[str, str], Any]:
    """The existing records that rows of a batch duplicate, by key: one query per key kind.

    Only among the records `user` sees (user=None: the system, all of them). A match the importer may not
    see is no match: the row reads exactly as a new record would (created, or "would be created" in a dry
    run), so an import never tells whether an INN, phone or e-mail belongs to someone else's or a VIP
    client (report L1). The price is a second record for that client, made by the importer and theirs,
    which is what typing it in by hand would give too; reporting "exists, not visible to you" was not
    chosen, as it is the very answer the probe is after.
    """
    def scoped(qs):
        return qs if user is None else policy.visible(qs, user)

    found: dict[tuple[str, str], Any] = {}
    inns = {p.data["inn"] for p in batch if kind == COUNTERPARTIES and p.data.get("inn")}
    if inns:
        for obj in scoped(Counterparty.objects.filter(inn__in=inns)):
            found.setdefault(("inn", f"{obj.inn}/{obj.kpp}"), obj)
            found.setdefault(("inn", f"{obj.inn}/"), obj)   # a row without KPP is the same INN
    articles = {p.data["article"] for p in batch if kind == PRODUCTS and p.data.get("article")}
    if articles:
        for obj in scoped(Product.objects.filter(article__in=articles)):
            found.setdefault(("article", obj.article.lower()), obj)
    emails = {e for p in batch for e in p.emails}
    phones = {n for p in batch for n in p.phones}
    if kind in (COUNTERPARTIES, CONTACTS):
        with_contact = kind == CONTACTS
        owner = "contact" if with_contact else "counterparty"
        if emails:
            for point in scoped(Email.objects.filter(address__in=emails, contact__isnull=not with_contact)
                                .select_related(owner)):
                found.setdefault(("email", point.address), getattr(point, owner))
        if phones:
            for point in scoped(Phone.objects.filter(number__in=phones, contact__isnull=not with_contact)
                                .select_related(owner)):
                found.setdefault(("phone", point.number), getattr(point, owner))
    return found


# --- the import --------------------------------------------------------------------------------------------------


@dataclass
class TabularImport:
    kind: str
    mapping: dict[str, str]
    on_duplicate: str
    user: Any
    recorder: RunRecorder
    file: str
    seen: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)   # key -> (line, record or None)
    responsible: Any = None   # new counterparties of a node's import: its mapping's responsible (see mappings)

    def item(self, outcome: str, p: Parsed | Row, *, code: str = "", message: str = "", column: str = "",
             obj: Any = None, changes: dict | None = None) -> None:
        row = p.row if isinstance(p, Parsed) else p
        # Duplicates are looked for among what the user sees (_existing); a record of an earlier row of the
        # file is theirs too. Checked again all the same: a record the user does not see is never named.
        shown = obj is not None and (self.user is None or policy.can(self.user, "view", obj))
        object_id = obj.pk if shown else None
        self.recorder.add(RunItem(outcome=outcome, object_type=f"tabular.{self.kind}", object_id=object_id,
                                  code=code[:64], message=message, file=self.file[:255], line=row.line,
                                  path=column[:500], changes=changes))

    def fail(self, row: Row, exc: RowError) -> None:
        self.recorder.count("failed")
        self.item("failed", row, code=exc.code, message=exc.message, column=exc.column)

    def batch(self, rows: list[Row], done: int | None = None) -> None:
        """Write a batch of rows in one transaction, with the run's counters and progress (`done`)."""
        parsed: list[Parsed] = []
        for row in rows:
            try:
                parsed.append(parse_row(row, self.mapping, self.kind))
            except RowError as exc:
                self.fail(row, exc)
        existing = _existing(self.kind, parsed, self.user)
        # The search documents of the batch's counterparties are written once, at the end of the batch.
        with transaction.atomic(), search_index.deferred():
            for p in parsed:
                self.one(p, existing)
            if done is not None:
                self.recorder.run.progress_done = done
            self.recorder.save()

    def one(self, p: Parsed, existing: dict) -> None:
        keys = _keys(self.kind, p)
        duplicate = None   # (what, column, record or None, line in this file or None)
        for key_kind, key, name in keys:
            column = p.columns.get(name, name)
            if (key_kind, key) in self.seen:
                line, obj = self.seen[(key_kind, key)]
                duplicate = (key_kind, column, obj, line)
                break
            if (key_kind, key) in existing:
                duplicate = (key_kind, column, existing[(key_kind, key)], None)
                break
        if duplicate is not None and self.on_duplicate != OnDuplicate.CREATE:
            key_kind, column, obj, line = duplicate
            where = (_("row %(line)s of this file") % {"line": line}) if line else _("an existing record")
            if self.on_duplicate == OnDuplicate.SKIP or obj is None:
                self.recorder.count("skipped")
                self.item("duplicate", p, code=f"exchange.tabular.duplicate.{key_kind}", column=column, obj=obj,
                          message=_("Duplicate of %(where)s (same %(key)s): skipped.") % {"where": where,
                                                                                          "key": key_kind})
                return
            self.write(p, keys, merge_into=obj, duplicate_note=(key_kind, column, where))
            return
        if duplicate is not None:
            key_kind, column, obj, line = duplicate
            where = (_("row %(line)s of this file") % {"line": line}) if line else _("an existing record")
            self.item("duplicate", p, code=f"exchange.tabular.duplicate.{key_kind}", column=column, obj=obj,
                      message=_("Duplicate of %(where)s (same %(key)s): created anyway.") % {"where": where,
                                                                                             "key": key_kind})
        self.write(p, keys)

    def write(self, p: Parsed, keys, *, merge_into=None, duplicate_note=None) -> None:
        try:
            with transaction.atomic():   # one row: all of it or nothing of it
                obj, outcome, changes = (self.merge(p, merge_into) if merge_into is not None else self.create(p))
        except RowError as exc:
            self.fail(p.row, exc)
            return
        except ValidationError as exc:
            self.fail(p.row, RowError(validation_message(exc), self._column(exc, p), "exchange.record.invalid"))
            return
        except ApplicationError as exc:
            self.fail(p.row, RowError(exc.message, "", exc.code))
            return
        self.recorder.count(outcome)
        for key_kind, key, _name in keys:
            self.seen.setdefault((key_kind, key), (p.row.line, obj))
            if key_kind == "inn":
                self.seen.setdefault((key_kind, key.split("/")[0] + "/"), (p.row.line, obj))
        if duplicate_note is not None:
            key_kind, column, where = duplicate_note
            self.item("duplicate", p, code=f"exchange.tabular.duplicate.{key_kind}", column=column, obj=obj,
                      changes=changes or None,
                      message=_("Duplicate of %(where)s (same %(key)s): merged.") % {"where": where, "key": key_kind})
        elif outcome in ("created", "updated"):
            self.recorder.planned(outcome=outcome, object_type=f"tabular.{self.kind}", object_id=obj.pk,
                                  changes=changes, message=str(obj))
        if not self.recorder.dry_run:
            # Every row written has its outcome on the run page, linked to its record (the journal has the changes).
            self.item(outcome, p, obj=obj, message=str(obj)[:500])

    def _column(self, exc: ValidationError, p: Parsed) -> str:
        names = list(getattr(exc, "error_dict", {}) or {})
        names = ["phone" if n == "number" else "email" if n == "address" else n for n in names]
        return ", ".join(p.columns.get(n, n) for n in names)

    def _counterparty(self, p: Parsed) -> Counterparty:
        inn, kpp, name = p.data.get("counterparty_inn"), p.data.get("counterparty_kpp"), p.data.get("counterparty")
        qs = Counterparty.objects.all() if self.user is None else policy.visible(Counterparty.objects.all(), self.user)
        if inn:
            qs = qs.filter(inn=inn, **({"kpp": kpp} if kpp else {}))
            column = p.columns.get("counterparty_inn", "")
        elif name:
            qs = qs.filter(name__iexact=name)
            column = p.columns.get("counterparty", "")
        else:
            raise RowError(_("The row names no counterparty."), "", "exchange.tabular.counterparty")
        found = list(qs[:2])
        if len(found) != 1:
            raise RowError(_("No counterparty matches “%(value)s”.") % {"value": inn or name} if not found else
                           _("More than one counterparty matches “%(value)s”.") % {"value": inn or name},
                           column, "exchange.tabular.counterparty")
        return found[0]

    def _fields(self, p: Parsed) -> dict[str, Any]:
        return {k: v for k, v in p.data.items() if k not in ("counterparty", "counterparty_inn", "counterparty_kpp")}

    def create(self, p: Parsed):
        from raccordo.core.journal import diff, snapshot

        data = self._fields(p)
        if self.kind == COUNTERPARTIES:
            if self.responsible is not None and not data.get("responsible"):
                data["responsible"] = self.responsible
            obj = counterparty_create(user=self.user, data=data, phones=p.phones, emails=p.emails)
        elif self.kind == CONTACTS:
            obj = contact_create(user=self.user, counterparty=self._counterparty(p), data=data, phones=p.phones,
                                 emails=p.emails)
        else:
            obj = product_create(user=self.user, data=data)
        return obj, "created", diff({}, snapshot(obj))

    def merge(self, p: Parsed, obj):
        """Fill the existing record with the row's non-empty values and add its new phones and e-mails."""
        from raccordo.core.journal import diff, snapshot

        obj.refresh_from_db()
        before = snapshot(obj)
        data = self._fields(p)
        if self.kind == COUNTERPARTIES:
            counterparty_update(user=self.user, counterparty=obj, data=data)
            counterparty, contact = obj, None
        elif self.kind == CONTACTS:
            contact_update(user=self.user, contact=obj, data=data)
            counterparty, contact = obj.counterparty, obj
        else:
            product_update(user=self.user, product=obj, data=data)
            counterparty = contact = None
        changes = diff(before, snapshot(obj))
        if counterparty is not None:
            owner = {"contact": contact} if contact is not None else {"contact__isnull": True}
            have_phones = set(Phone.objects.filter(counterparty=counterparty, **owner).values_list("number", flat=True))
            have_emails = set(Email.objects.filter(counterparty=counterparty, **owner).values_list("address", flat=True))
            for number in p.phones:
                if number not in have_phones:
                    phone_add(user=self.user, counterparty=counterparty, contact=contact, number=number)
                    changes.setdefault("phones", [None, []])[1].append(number)
            for address in p.emails:
                if address not in have_emails:
                    email_add(user=self.user, counterparty=counterparty, contact=contact, address=address)
                    changes.setdefault("emails", [None, []])[1].append(address)
        return obj, ("updated" if changes else "unchanged"), changes


def tabular_import(*, path: str | Path, kind: str, user=None, mapping: dict[str, str] | None = None,
                   on_duplicate: str = OnDuplicate.SKIP, dry_run: bool = False, node: ExchangeNode | None = None,
                   file_name: str = "", batch_size: int = BATCH_SIZE,
                   progress: Callable[[Run], None] | None = None, run: Run | None = None,
                   lines: Collection[int] | None = None, keep: bool = False) -> Run:
    """Import counterparties, contact persons or products from a CSV / XLSX file; return the finished run.

    Duplicates (INN+KPP, e-mail, phone, article — of existing records or of earlier rows) are found
    before a row is written and are skipped, merged into the record they duplicate, or created
    anyway (`on_duplicate`); each is listed in the run with its line and column. dry_run=True does
    everything inside a transaction rolled back at the end and reports what would happen.

    run: a run opened beforehand (a background import the page already shows); lines: only the rows
    on these lines (a retry of the failed ones); keep=True keeps a copy of the file with the run so it
    can be retried. What the run was started with is in `run.params`. Progress is counted in rows and
    saved with each batch, in the batch's own transaction.
    """
    if kind not in KINDS:
        raise TabularError(_("Unknown kind of import: %(kind)s") % {"kind": kind})
    if on_duplicate not in OnDuplicate.CHOICES:
        raise TabularError(_("Unknown choice for duplicates: %(value)s") % {"value": on_duplicate})
    path = Path(path)
    file_name = file_name or path.name
    if run is None:
        run = start_run(node=node, kind="dry-run" if dry_run else "tabular", files=[file_name], user=user)
    if keep:
        path = keep_sources(run, [path])[0]
    wanted = set(lines) if lines is not None else None
    run.params = {**(run.params or {}), "action": "tabular", "path": str(path.resolve()), "kind": kind,
                  "mapping": dict(mapping or {}), "on_duplicate": on_duplicate, "dry_run": dry_run,
                  "file_name": file_name}
    if wanted is not None:
        run.params["lines"] = sorted(wanted)
    run.save(update_fields=["params"])
    recorder = RunRecorder(run, dry_run=dry_run)
    try:
        sheet = open_sheet(path)
    except TabularError as exc:
        run.failed += 1
        recorder.add(RunItem(outcome="failed", object_type="file", code=exc.code, message=exc.message,
                             file=file_name[:255]))
        recorder.save()
        return finish_run(run, error=exc.message)
    mapping = dict(mapping) if mapping else guess_mapping(sheet.headers, kind)
    if not run.params["mapping"]:
        run.params["mapping"] = mapping
    problems = check_mapping(mapping, kind, sheet.headers)
    if problems:
        sheet.close()
        recorder.add(RunItem(outcome="failed", object_type="file", code="exchange.tabular.mapping",
                             message=" ".join(problems), file=file_name[:255]))
        run.failed += 1
        recorder.save()
        return finish_run(run, error=" ".join(problems))
    # In rows: of the whole file, or of the lines a retry takes.
    run.progress_total = len(wanted) if wanted is not None else (run.progress_total or count_rows(path))
    run.progress_done = 0
    run.save(update_fields=["params", "progress_total", "progress_done"])
    job = TabularImport(kind=kind, mapping=mapping, on_duplicate=on_duplicate, user=user, recorder=recorder,
                        file=file_name, responsible=responsible_for_new(node))

    def work() -> Run:
        # The origin stays the caller's (ui, cli): a file brought by a person is their change, not a peer's.
        with change_context(node=node.code if node else None, request_id=f"run-{run.pk}"):
            batch: list[Row] = []
            taken = 0
            try:
                for row in sheet.rows:
                    if wanted is not None:
                        if row.line not in wanted:
                            continue
                        taken += 1
                    batch.append(row)
                    if len(batch) >= batch_size:
                        job.batch(batch, taken if wanted is not None else row.line - 1)
                        batch = []
                        if progress is not None:
                            progress(run)
                if batch:
                    job.batch(batch)
            except TabularError as exc:
                if batch:   # the rows read before the unreadable part are imported all the same
                    job.batch(batch)
                recorder.add(RunItem(outcome="failed", object_type="file", code=exc.code, message=exc.message,
                                     file=file_name[:255]))
                run.failed += 1
                recorder.save()
                return finish_run(run, error=exc.message)
            finally:
                sheet.close()
        run.progress_done = run.progress_total
        return finish_run(run)

    if not dry_run:
        return work()
    try:
        with transaction.atomic():
            work()
            transaction.set_rollback(True)
    finally:
        recorder.persist()
    return run


# --- uploads -----------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx")


def _upload_dir(user) -> Path:
    return Path(settings.VAR_DIR) / "tabular" / str(getattr(user, "pk", "system"))


def upload_store(*, user, uploaded) -> tuple[str, Path]:
    """Keep an uploaded file for the mapping step: its size capped while copying; return (token, path).

    The file lives under the user's own directory, named by a random token, so one person cannot
    import another's upload and no name from the browser reaches the file system.
    """
    import secrets

    suffix = Path(getattr(uploaded, "name", "") or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise TabularError(_("Upload a CSV or XLSX file."))
    if getattr(uploaded, "size", 0) and uploaded.size > MAX_FILE_SIZE:
        raise TabularError(_("The file is larger than %(limit)s MB.") % {"limit": MAX_FILE_SIZE // (1024 * 1024)})
    directory = _upload_dir(user)
    directory.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    path = directory / f"{token}{suffix}"
    written = 0
    with path.open("wb") as out:
        for chunk in uploaded.chunks():
            written += len(chunk)
            if written > MAX_FILE_SIZE:
                out.close()
                path.unlink(missing_ok=True)
                raise TabularError(_("The file is larger than %(limit)s MB.")
                                   % {"limit": MAX_FILE_SIZE // (1024 * 1024)})
            out.write(chunk)
    return token, path


def upload_get(*, user, token: str) -> Path:
    """The stored upload of `user` with this token, or TabularError."""
    if not _TOKEN.match(token or ""):
        raise TabularError(_("The uploaded file is no longer available: upload it again."))
    for suffix in UPLOAD_SUFFIXES:
        path = _upload_dir(user) / f"{token}{suffix}"
        if path.is_file():
            return path
    raise TabularError(_("The uploaded file is no longer available: upload it again."))


def may_import(user, kind: str) -> bool:
    """Administrators, and roles that may add records of this kind (counterparties; products: the catalog)."""
    subject = "catalog" if kind == PRODUCTS else "counterparties"
    return policy.allows(user, "add", subject)
