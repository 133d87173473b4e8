"""The printed invoice: a PDF (WeasyPrint) with the own company's requisites, bank details, VAT breakdown
and the total in words (num2words).

The language of the printed invoice follows the own company that issues it: a Russian company (country RU)
prints in Russian, an Italian one (IT) in Italian, any other in English. The words for the amount name the
invoice's currency in that language ("рублей", "euro"); when num2words has no words for a currency in that
language, the integer part is spelled and the currency code and cents follow ("... RUB 56/100").
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation
from num2words import num2words

from raccordo.core.money import format_money

from .models import Invoice

LANGUAGE_BY_COUNTRY = {"RU": "ru", "IT": "it"}
BABEL = {"ru": "ru_RU", "it": "it_IT", "en": "en"}


def invoice_language(invoice: Invoice) -> str:
    """The language an invoice is printed and e-mailed in: the issuing own company's country decides."""
    return LANGUAGE_BY_COUNTRY.get((invoice.own_company.country or "").upper(), "en")


def amount_in_words(amount: Decimal, currency: str, language: str) -> str:
    """'Одна тысяча двести тридцать четыре рубля, пятьдесят шесть копеек' — capitalised, as invoices print it."""

    amount = Decimal(amount).quantize(Decimal("0.01"))
    try:
        text = num2words(amount, to="currency", lang=language, currency=currency)
    except (NotImplementedError, KeyError, ValueError):
        whole = int(amount)
        cents = int((amount - whole) * 100)
        text = f"{num2words(whole, lang=language)} {currency} {cents:02d}/100"
    return text[:1].upper() + text[1:]


def vat_breakdown(invoice: Invoice) -> list[dict]:
    """Net, VAT and gross per VAT rate, from the stored (rounded) lines, so the breakdown adds up to the totals."""
    groups: OrderedDict = OrderedDict()
    for line in invoice.lines.all():
        rate = line.vat_rate
        g = groups.setdefault(rate, {"rate": rate, "net": Decimal("0"), "vat": Decimal("0"), "gross": Decimal("0")})
        net = line.amount - line.vat_amount if invoice.vat_included else line.amount
        g["net"] += net
        g["vat"] += line.vat_amount
        g["gross"] += net + line.vat_amount
    return sorted(groups.values(), key=lambda g: (g["rate"] is None, g["rate"] or 0))


def invoice_pdf(invoice: Invoice) -> bytes:
    """Render the invoice as a PDF document in its language."""
    # Importing WeasyPrint loads Pango and its fonts (6-9 s measured on a busy 2-core box): only a process that prints pays.
    from weasyprint import HTML

    language = invoice_language(invoice)
    locale = BABEL[language]

    def fmt(value) -> str:
        return format_money(Decimal(value), invoice.currency, locale=locale)

    lines = [{"n": i, "line": line, "price": fmt(line.price), "amount": fmt(line.amount),
              "vat": fmt(line.vat_amount)} for i, line in enumerate(invoice.lines.select_related("unit"), start=1)]
    breakdown = [{**g, "net_f": fmt(g["net"]), "vat_f": fmt(g["vat"]), "gross_f": fmt(g["gross"])}
                 for g in vat_breakdown(invoice)]
    bank = (invoice.own_company.bank_accounts.order_by("-is_primary", "bank_name").first()
            if invoice.own_company_id else None)
    with translation.override(language):
        html = render_to_string("sales/invoice_pdf.html", {
            "invoice": invoice, "company": invoice.own_company, "bank": bank, "buyer": invoice.counterparty,
            "bank_account": (bank.iban or bank.account_number) if bank else "",
            "lines": lines, "breakdown": breakdown, "language": language,
            "subtotal": fmt(invoice.subtotal), "vat": fmt(invoice.vat_amount), "total": fmt(invoice.total),
            "words": amount_in_words(invoice.total, invoice.currency, language),
        })
    return HTML(string=html).write_pdf()


def invoice_filename(invoice: Invoice) -> str:
    number = (invoice.number or "draft").replace("/", "-").replace(" ", "_")
    return f"invoice-{number}.pdf"
