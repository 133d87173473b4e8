"""A scheduled report as an e-mail: HTML for the body (and the preview page), plain text, and an XLSX workbook.

The workbook has a first sheet saying what the report is (its name, period, as whom, when made) and one sheet
per part; numbers, amounts and dates are written as such, so the figures can be summed in a spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from raccordo.core.xmltext import xml_text

from .selectors.digest import Digest, Section

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Text a spreadsheet would run as a formula is quoted, as in the list exports (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {"money": "#,##0.00", "percent": "0.0", "int": "0", "date": "yyyy-mm-dd",
                  "datetime": "yyyy-mm-dd hh:mm"}


def cell_text(value, kind: str) -> str:
    """A value as the HTML body shows it, in the current language's number and date formats."""
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "money":
        return number_format(value, 2, force_grouping=True)
    if kind == "percent":
        return f"{number_format(value, 1)} %"
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _display_rows(section: Section) -> list[list[dict]]:
    return [[{"text": cell_text(value, column.kind), "num": column.kind not in ("text",)}
             for value, column in zip(row, section.columns, strict=True)] for row in section.rows]


def digest_subject(digest: Digest) -> str:
    return _("%(name)s: %(start)s – %(end)s") % {
        "name": digest.name, "start": date_format(digest.start, "SHORT_DATE_FORMAT"),
        "end": date_format(digest.end, "SHORT_DATE_FORMAT")}


def digest_context(digest: Digest) -> dict:
    """What reports/scheduled/_digest.html shows: the report and its parts' rows as text."""
    return {"digest": digest, "sections": [{"section": s, "rows": _display_rows(s)} for s in digest.sections]}


def digest_html(digest: Digest) -> str:
    """The report as the HTML body of the e-mail (inline styles: mail readers drop style sheets)."""
    return render_to_string("reports/scheduled/email.html", digest_context(digest))


def digest_text(digest: Digest) -> str:
    """The plain-text part: what the report is and how many rows each part has; the figures are attached."""
    lines = [digest_subject(digest), _("Computed as %(person)s.") % {"person": digest.run_as}, ""]
    for section in digest.sections:
        lines.append(_("%(title)s: %(n)s rows") % {"title": section.title, "n": len(section.rows)})
    lines += ["", _("The figures are in the attached XLSX file.")]
    return "\n".join(lines)


def _xlsx_value(value, kind: str):
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, int | float | Decimal | dt.date) and not isinstance(value, bool):
        return value
    text = xml_text(str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name.lower())
    return name


def digest_xlsx(digest: Digest) -> bytes:
    """The report as an XLSX workbook (bytes)."""
    book = Workbook()
    about = book.active
    about.title = _sheet_title(_("Report"), used := set())
    bold = Font(bold=True)
    for label, value in [(_("Report"), digest.name), (_("From"), digest.start), (_("To"), digest.end),
                         (_("Computed as"), digest.run_as), (_("Made at"), _xlsx_value(digest.made_at, "datetime"))]:
        about.append([label, _xlsx_value(value, "text") if isinstance(value, str) else value])
        about.cell(row=about.max_row, column=1).font = bold
    for section in digest.sections:
        sheet = book.create_sheet(_sheet_title(section.title, used))
        sheet.append([column.label for column in section.columns])
        for cell in sheet[1]:
            cell.font = bold
        for row in section.rows:
            sheet.append([_xlsx_value(v, c.kind) for v, c in zip(row, section.columns, strict=True)])
            for cell, column in zip(sheet[sheet.max_row], section.columns, strict=True):
                if column.kind in NUMBER_FORMATS and cell.value is not None:
                    cell.number_format = NUMBER_FORMATS[column.kind]
        notes = [section.note] if section.note else []
        if section.truncated:
            notes.append(_("Only the first %(n)s rows are shown.") % {"n": len(section.rows)})
        for note in notes:
            sheet.append([])
            sheet.append([note])
        for index, column in enumerate(section.columns, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = \
                max(12, min(40, len(column.label) + 4))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def digest_filename(digest: Digest) -> str:
    return f"{slugify(digest.name) or 'report'}-{digest.end.isoformat()}.xlsx"
