"""Lists as files (CSV, XLSX). The querysets come from `*_export` selectors, already narrowed by the policy."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from decimal import Decimal

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from raccordo.core.downloads import set_download_name
from raccordo.core.xmltext import xml_text

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


def _xlsx_value(value):
    """A cell of a workbook: numbers and dates stay numbers and dates; text is quoted like in CSV and made
    fit for XML (openpyxl refuses control characters a name may hold, and the whole export would fail)."""
    if value is None or isinstance(value, bool):
        return _cell(value) if isinstance(value, bool) else None
    if isinstance(value, int | float | Decimal | dt.date):
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        return value
    # Cleaned before quoting: "\x01=SUM(..)" must end quoted, not as a formula.
    return _cell(xml_text(str(value)))


def _text_value(value) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)   # a number is never a formula: "-5.00" stays a number
    return _cell(value)


def xlsx_max_rows() -> int:
    """Rows an XLSX export holds at most (a spreadsheet of more is not read by people; CSV has no limit)."""
    return int(getattr(settings, "EXPORT_XLSX_MAX_ROWS", 100_000))


def table_response(rows, columns, *, basename: str, fmt: str = "csv", summary=None):
    """A list as a file: CSV streamed row by row (any length), or an XLSX workbook written row by row
    (openpyxl write-only, to a temporary file) holding at most `xlsx_max_rows()` rows, with a note when
    the list was longer. `rows` may be any iterable (a queryset's iterator); `columns` are (label, getter).

    summary: (label, value) pairs put before the table (CSV) or on a sheet of their own (XLSX),
    e.g. the counters of an exchange run.
    """
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    header = [str(label) for label, _get in columns]
    if fmt == "xlsx":

        limit = xlsx_max_rows()
        book = Workbook(write_only=True)
        if summary:
            about = book.create_sheet(str(_("Summary"))[:31])
            for label, value in summary:
                about.append([str(label), _xlsx_value(value)])
        sheet = book.create_sheet(basename[:31])
        sheet.append(header)
        count = 0
        for row in rows:
            if count >= limit:
                sheet.append([str(_("Only the first %(limit)s rows are in this workbook: export as CSV for all of "
                                    "them.") % {"limit": limit})])
                break
            sheet.append([_xlsx_value(get(row)) for _label, get in columns])
            count += 1
        out = tempfile.TemporaryFile()
        book.save(out)
        out.seek(0)
        response = FileResponse(out, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        set_download_name(response, f"{basename}-{stamp}.xlsx")
        response["X-Export-Rows"] = str(count)
        return response
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # so Excel opens UTF-8 (Cyrillic names) correctly
        if summary:
            for label, value in summary:
                yield writer.writerow([str(label), _text_value(value)])
            yield writer.writerow([])
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_text_value(get(row)) for _label, get in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    set_download_name(response, f"{basename}-{stamp}.csv")
    return response


def export_format(request) -> str:
    return "xlsx" if request.GET.get("format") == "xlsx" else "csv"


def counterparties_response(qs, *, fmt: str = "csv"):
    qs = qs.select_related("responsible").prefetch_related("phones", "emails", "tags")
    return table_response(qs.iterator(chunk_size=1000), _counterparty_columns(), basename="counterparties", fmt=fmt)


# --- the columns of each list (the rows come already narrowed to what the user may export) --------------------


def _user(user) -> str:
    return str(user) if user is not None else ""


def contact_columns():
    return [
        (_("Last name"), lambda c: c.last_name), (_("First name"), lambda c: c.first_name),
        (_("Middle name"), lambda c: c.middle_name), (_("Position"), lambda c: c.position), (_("Role"), lambda c: c.role),
        (_("Counterparty"), lambda c: c.counterparty.name), (_("INN"), lambda c: c.counterparty.inn),
        (_("Phones"), lambda c: ", ".join(p.number for p in c.phones.all())),
        (_("E-mails"), lambda c: ", ".join(e.address for e in c.emails.all())),
        (_("Birthday"), lambda c: c.birthday), (_("Active"), lambda c: _("yes") if c.is_active else _("no")),
    ]


def deal_columns():
    return [
        (_("Title"), lambda d: d.title), (_("Counterparty"), lambda d: d.counterparty.name),
        (_("Funnel"), lambda d: d.funnel.name), (_("Stage"), lambda d: d.stage.name), (_("Amount"), lambda d: d.amount),
        (_("Currency"), lambda d: d.currency), (_("Probability, %"), lambda d: d.probability),
        (_("Expected close date"), lambda d: d.expected_close), (_("Manager"), lambda d: _user(d.manager)),
        (_("Created"), lambda d: d.created_at), (_("Closed"), lambda d: d.closed_at),
        (_("Reason lost"), lambda d: d.lost_reason),
    ]


def invoice_columns():
    return [
        (_("Number"), lambda i: i.number), (_("Date"), lambda i: i.date), (_("Due date"), lambda i: i.due_date),
        (_("Counterparty"), lambda i: i.counterparty.name), (_("INN"), lambda i: i.counterparty.inn),
        (_("Status"), lambda i: i.get_status_display()), (_("Total"), lambda i: i.total),
        (_("VAT"), lambda i: i.vat_amount), (_("Paid"), lambda i: i.paid_amount), (_("Currency"), lambda i: i.currency),
        (_("Responsible"), lambda i: _user(i.responsible)), (_("Number in accounting"), lambda i: i.accounting_number),
        (_("Status in accounting"), lambda i: i.accounting_status),
    ]


def product_columns():
    return [
        (_("Article"), lambda p: p.article), (_("Name"), lambda p: p.name), (_("Full name"), lambda p: p.full_name),
        (_("Group"), lambda p: p.group.name if p.group else ""), (_("Unit"), lambda p: str(p.unit or "")),
        (_("VAT rate, %"), lambda p: p.vat_rate), (_("Barcode"), lambda p: p.barcode),
        (_("Service"), lambda p: _("yes") if p.is_service else ""), (_("Active"), lambda p: _("yes") if p.is_active else _("no")),
    ]


def task_columns():
    return [
        (_("Title"), lambda t: t.title), (_("Status"), lambda t: t.get_status_display()),
        (_("Priority"), lambda t: t.get_priority_display()), (_("Due"), lambda t: t.due_at),
        (_("Counterparty"), lambda t: t.counterparty.name if t.counterparty else ""),
        (_("Deal"), lambda t: t.deal.title if t.deal else ""), (_("Assignee"), lambda t: _user(t.assignee)),
        (_("Author"), lambda t: _user(t.author)), (_("Completed"), lambda t: t.completed_at),
    ]


def complaint_columns():
    return [
        (_("Subject"), lambda c: c.subject), (_("Counterparty"), lambda c: c.counterparty.name),
        (_("Received"), lambda c: c.received_at), (_("Deadline"), lambda c: c.deadline),
        (_("Status"), lambda c: c.get_status_display()), (_("Responsible"), lambda c: _user(c.responsible)),
        (_("Resolution"), lambda c: c.resolution),
    ]


def receivable_columns(today: dt.date):
    def days(invoice) -> int:
        return (today - invoice.due_date).days if invoice.due_date and invoice.due_date < today else 0

    def bucket(invoice) -> str:
        n = days(invoice)
        if n <= 0:
            return str(_("Not yet due"))
        return "0–30" if n <= 30 else "31–60" if n <= 60 else "61–90" if n <= 90 else "90+"

    return [
        (_("Counterparty"), lambda i: i.counterparty.name), (_("INN"), lambda i: i.counterparty.inn),
        (_("Number"), lambda i: i.number), (_("Date"), lambda i: i.date), (_("Due date"), lambda i: i.due_date),
        (_("Days past due"), days), (_("Ageing"), bucket), (_("Total"), lambda i: i.total),
        (_("Paid"), lambda i: i.paid_amount), (_("Owed"), lambda i: i.total - i.paid_amount),
        (_("Currency"), lambda i: i.currency), (_("Responsible"), lambda i: _user(i.responsible)),
    ]
