"""Lists as files (CSV, XLSX). The querysets come from `*_export` selectors, already narrowed by the policy."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

CSV_INJECTION = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A cell a spreadsheet would run as a formula is quoted (CSV injection).
    return "'" + text if text.startswith(CSV_INJECTION) else text


def _counterparty_columns():
    return [
        (_("Name"), lambda c: c.name), (_("Full name"), lambda c: c.full_name), (_("Kind"), lambda c: c.get_kind_display()),
        (_("INN"), lambda c: c.inn), (_("KPP"), lambda c: c.kpp), (_("VAT number"), lambda c: c.vat_number),
        (_("Country"), lambda c: c.country), (_("Responsible"), lambda c: c.responsible or ""),
        (_("VIP"), lambda c: _("yes") if c.is_vip else ""),
        (_("Phones"), lambda c: ", ".join(p.number for p in c.phones.all())),
        (_("E-mails"), lambda c: ", ".join(e.address for e in c.emails.all())),
        (_("Tags"), lambda c: ", ".join(t.name for t in c.tags.all())),
    ]


class _Echo:
    def write(self, value):
        return value


def table_response(rows, columns, *, basename: str, fmt: str = "csv"):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(basename[:31])
        sheet.append([str(label) for label, _get in columns])
        for row in rows:
            sheet.append([_cell(get(row)) for _label, get in columns])
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(buffer.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.xlsx"'
        return response
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # so Excel opens UTF-8 (Cyrillic names) correctly
        yield writer.writerow([str(label) for label, _get in columns])
        for row in rows:
            yield writer.writerow([_cell(get(row)) for _label, get in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.csv"'
    return response


def counterparties_response(qs, *, fmt: str = "csv"):
    qs = qs.select_related("responsible").prefetch_related("phones", "emails", "tags")
    return table_response(qs.iterator(chunk_size=1000), _counterparty_columns(), basename="counterparties", fmt=fmt)
