"""Reading CSV and XLSX files as a header and a stream of rows: the encoding and delimiter of a CSV detected, an
XLSX checked (zip limits, encryption, DTDs) before openpyxl reads it, and a preview for the mapping form."""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError as ElementTreeParseError

from django.utils.translation import gettext as _
from lxml.etree import LxmlError

from raccordo.core.errors import exception_text

from ..uploads import UploadRefused, zip_check
from .columns import (
    PREVIEW_ROWS,
    XLSX_MAX_ENTRIES,
    XLSX_MAX_RATIO,
    XLSX_MAX_TOTAL,
    TabularError,
    guess_mapping,
    max_file_size,
)

# --- reading ----------------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One row of a sheet: its line in the file and its cells by header."""

    line: int                  # the row number a person sees (CSV line, sheet row)
    values: dict[str, Any]     # column header -> cell value


@dataclass
class Sheet:
    """A file read as its headers and a stream of rows; `close` releases the file."""

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
    best = max(counts, key=counts.__getitem__)
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
    from openpyxl import load_workbook  # heavy: loaded only when a workbook is read, not at start-up

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
    if path.stat().st_size > max_file_size():
        raise TabularError(_("The file is larger than %(limit)s MB.") % {"limit": max_file_size() // (1024 * 1024)})
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
        from openpyxl import load_workbook  # heavy: loaded only when a workbook is read, not at start-up

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

