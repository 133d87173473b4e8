"""What a template is filled with: the variables of a deal or an invoice, as plain text, in one shape.

Every value is already formatted for the document's language (money with its currency sign, dates in words,
amounts in words), so a template needs no filters and an administrator's template cannot break on a number.
The same shape, filled with a sample company and client (`sample_context`), checks an uploaded template and
lists the variables on the templates page (`VARIABLES`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date as Date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from django.utils.translation import gettext_lazy as _

from raccordo.core.money import format_money

from .words import amount_in_words

BABEL = {"ru": "ru_RU", "it": "it_IT"}
ZERO = Decimal("0")


@dataclass
class Source:
    """What a document is made of, whether it comes from a deal or an invoice."""

    company: Any                      # parties.OwnCompany (or None: a deal before any company exists)
    client: Any                       # parties.Counterparty
    lines: list                       # DealLine or InvoiceLine rows
    currency: str
    vat_included: bool
    total: Decimal
    deal: Any = None
    invoice: Any = None
    contact: Any = None
    manager: Any = None
    company_bank: Any = None          # parties.BankAccount, the primary one
    client_bank: Any = None
    client_address: str = ""


def _money(value, currency: str, language: str) -> str:
    return format_money(Decimal(value or 0), currency, locale=BABEL[language])


def _date(value: Date | None, language: str) -> str:
    return format_date(value, "long", locale=BABEL[language]) if value else ""


def _requisites(party) -> dict[str, str]:
    fields = ("name", "full_name", "inn", "kpp", "ogrn", "vat_number", "tax_code", "country")
    data = {f: (getattr(party, f, "") or "") if party is not None else "" for f in fields}
    data["full_name"] = data["full_name"] or data["name"]
    return data


def _bank(account) -> dict[str, str]:
    if account is None:
        return {"name": "", "bic": "", "account": "", "correspondent_account": "", "iban": ""}
    return {"name": account.bank_name, "bic": account.bic, "account": account.account_number or account.iban,
            "correspondent_account": account.correspondent_account, "iban": account.iban}


def _lines(source: Source, language: str) -> tuple[list[dict], list[dict], Decimal, Decimal]:
    """The lines as text, the VAT breakdown per rate, and the net and VAT totals from the stored lines."""
    cur = source.currency
    rows, groups = [], OrderedDict()
    net_total = vat_total = ZERO
    for n, line in enumerate(source.lines, start=1):
        net = line.amount - line.vat_amount if source.vat_included else line.amount
        net_total += net
        vat_total += line.vat_amount
        rate = line.vat_rate
        g = groups.setdefault(rate, {"net": ZERO, "vat": ZERO})
        g["net"] += net
        g["vat"] += line.vat_amount
        rows.append({"n": str(n), "description": line.description,
                     "quantity": f"{line.quantity.normalize():f}", "unit": str(line.unit or ""),
                     "price": _money(line.price, cur, language),
                     "discount": f"{line.discount_percent.normalize():f}" if line.discount_percent else "",
                     "vat_rate": f"{rate.normalize():f}" if rate is not None else "",
                     "vat": _money(line.vat_amount, cur, language), "net": _money(net, cur, language),
                     "amount": _money(line.amount, cur, language)})
    breakdown = [{"rate": f"{rate.normalize():f}" if rate is not None else "",
                  "net": _money(g["net"], cur, language), "vat": _money(g["vat"], cur, language),
                  "gross": _money(g["net"] + g["vat"], cur, language)} for rate, g in groups.items()]
    return rows, breakdown, net_total, vat_total


def _person(user) -> dict[str, str]:
    if user is None:
        return {"name": "", "email": ""}
    return {"name": user.get_full_name() or user.get_username(), "email": user.email or ""}


def build_context(source: Source, *, number: str, day: Date, language: str) -> dict[str, Any]:
    """The variables of a document made from `source` (see VARIABLES), formatted for `language`."""
    rows, breakdown, net_total, vat_total = _lines(source, language)
    company, client, cur = source.company, source.client, source.currency
    deal, invoice, contract = source.deal, source.invoice, getattr(source.invoice, "contract", None)
    return {
        "document": {"number": number, "date": _date(day, language), "date_short": day.strftime("%d.%m.%Y")},
        "company": {**_requisites(company), "address": getattr(company, "address", "") or "",
                    "director": getattr(company, "director", "") or "",
                    "chief_accountant": getattr(company, "chief_accountant", "") or ""},
        "bank": _bank(source.company_bank),
        "client": {**_requisites(client), "address": source.client_address},
        "client_bank": _bank(source.client_bank),
        "contact": {"name": str(source.contact or ""), "position": getattr(source.contact, "position", "") or ""},
        "manager": _person(source.manager),
        "deal": {"title": deal.title if deal else "", "expected_close": _date(getattr(deal, "expected_close", None),
                                                                               language)},
        "invoice": {"number": getattr(invoice, "number", "") or "", "date": _date(getattr(invoice, "date", None), language),
                    "due_date": _date(getattr(invoice, "due_date", None), language)},
        "contract": {"number": getattr(contract, "number", "") or "",
                     "date": _date(getattr(contract, "date", None), language)},
        "lines": rows,
        "vat_breakdown": breakdown,
        "totals": {"net": _money(net_total, cur, language), "vat": _money(vat_total, cur, language),
                   "total": _money(source.total, cur, language), "currency": cur,
                   "vat_included": source.vat_included, "has_vat": bool(vat_total),
                   "quantity": str(len(rows))},
        "amount_in_words": amount_in_words(source.total, cur, language),
        # Replaced by the images themselves when rendering (rendering.render_docx); empty when the company has none.
        "stamp": "",
        "signature": "",
    }


# The variables a template may use, for the templates page; the check of an upload uses the sample context.
VARIABLES: list[tuple[str, Any]] = [
    ("document.number", _("the document's own number (per kind and year)")),
    ("document.date / document.date_short", _("the document's date, in words / as 31.12.2026")),
    ("company.name, full_name, inn, kpp, ogrn, vat_number, tax_code, country, address, director, chief_accountant",
     _("our own company's requisites")),
    ("bank.name, bic, account, correspondent_account, iban", _("our company's primary bank account")),
    ("client.name, full_name, inn, kpp, ogrn, vat_number, tax_code, country, address", _("the client's requisites")),
    ("client_bank.name, bic, account, correspondent_account, iban", _("the client's primary bank account")),
    ("contact.name, position", _("the deal's contact person")),
    ("manager.name, email", _("the responsible manager")),
    ("deal.title, expected_close", _("the deal")),
    ("invoice.number, date, due_date", _("the invoice (documents made from an invoice)")),
    ("contract.number, date", _("the invoice's contract, if any")),
    ("lines: n, description, quantity, unit, price, discount, vat_rate, vat, net, amount",
     _("one row per line: {%tr for l in lines %} … {{ l.description }} … {%tr endfor %}")),
    ("vat_breakdown: rate, net, vat, gross", _("net, VAT and gross per VAT rate")),
    ("totals.net, vat, total, currency, vat_included, has_vat, quantity", _("the totals")),
    ("amount_in_words", _("the total in words (“Одна тысяча двести рублей 50 копеек”)")),
    ("stamp, signature", _("the company's stamp and signature images, as {{ stamp }} in their own run")),
]
