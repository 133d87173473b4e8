"""Reading a deal or an invoice into a `context.Source`, and the sample one an uploaded template is checked with."""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal
from types import SimpleNamespace

from raccordo.parties.models import OwnCompany
from raccordo.parties.selectors import default_own_company, own_company_list
from raccordo.sales.models import Deal, Invoice

from .context import Source

LANGUAGE_BY_COUNTRY = {"RU": "ru", "IT": "it"}


def _primary_account(party):
    return party.bank_accounts.order_by("-is_primary", "bank_name").first() if party is not None else None


def _address(client) -> str:
    address = client.addresses.order_by("kind").first()
    if address is None:
        return ""
    return ", ".join(p for p in (address.postcode, address.city, address.text) if p)


def deal_company(deal: Deal, *, user=None):
    """The own company a deal's documents come from: one in the client's country, else the default one."""
    country = (deal.counterparty.country or "").upper()
    companies = own_company_list(user=user) if user is not None else OwnCompany.objects.all()
    same = companies.filter(country=country).order_by("-is_default", "name").first()
    return same or default_own_company(user=user)


def deal_source(deal: Deal, *, user=None, company=None) -> Source:
    """A deal as a document's source: its lines (or its amount as one line) and an own company (`deal_company`)."""
    company = company or deal_company(deal, user=user)
    lines = list(deal.lines.select_related("unit").order_by("position"))
    if not lines and deal.amount:
        # The same rule as "Create invoice": a deal without lines is one line of its amount.
        lines = [SimpleNamespace(description=deal.title, quantity=Decimal("1"), unit="", price=deal.amount,
                                 discount_percent=Decimal("0"), vat_rate=None, vat_amount=Decimal("0"),
                                 amount=deal.amount)]
    total = sum((line.amount for line in lines), Decimal("0"))
    return Source(company=company, client=deal.counterparty, lines=lines, currency=deal.currency,
                  vat_included=True, total=total, deal=deal, contact=deal.contact, manager=deal.manager,
                  company_bank=_primary_account(company), client_bank=_primary_account(deal.counterparty),
                  client_address=_address(deal.counterparty))


def invoice_source(invoice: Invoice) -> Source:
    """An invoice as a document's source: its own company, lines and totals."""
    lines = list(invoice.lines.select_related("unit").order_by("position"))
    return Source(company=invoice.own_company, client=invoice.counterparty, lines=lines, currency=invoice.currency,
                  vat_included=invoice.vat_included, total=invoice.total, deal=invoice.deal, invoice=invoice,
                  contact=getattr(invoice.deal, "contact", None), manager=invoice.responsible,
                  company_bank=_primary_account(invoice.own_company),
                  client_bank=_primary_account(invoice.counterparty), client_address=_address(invoice.counterparty))


def source_language(source: Source) -> str:
    """The language a document is made in unless chosen: the client's country, else the company's, else Russian."""
    for party in (source.client, source.company):
        language = LANGUAGE_BY_COUNTRY.get((getattr(party, "country", "") or "").upper())
        if language:
            return language
    return "ru"


class _SampleContact:
    position = "Buyer"

    def __str__(self) -> str:
        return "A. Buyer"


def sample_source() -> Source:
    """A made-up company, client and two lines: what an uploaded template is rendered with when it is checked."""
    company = SimpleNamespace(name="Sample LLC", full_name="Sample LLC", inn="7707083893", kpp="773601001",
                              ogrn="1027700132195", vat_number="IT01234567897", tax_code="", country="RU",
                              address="Moscow, Tverskaya 1", director="I. Ivanov", chief_accountant="P. Petrova")
    client = SimpleNamespace(name="Client LLC", full_name="Client LLC", inn="7736207543", kpp="773601001",
                             ogrn="", vat_number="", tax_code="", country="RU")
    bank = SimpleNamespace(bank_name="Sample Bank", bic="044525225", account_number="40702810900000000001",
                           correspondent_account="30101810400000000225", iban="")
    lines = [SimpleNamespace(description=f"Item {n}", quantity=Decimal(n), unit="pcs", price=Decimal("100.00"),
                             discount_percent=Decimal("0"), vat_rate=Decimal("20"),
                             vat_amount=Decimal("16.67") * n, amount=Decimal("100.00") * n) for n in (1, 2)]
    deal = SimpleNamespace(title="Sample deal", expected_close=Date(2026, 12, 31))
    contract = SimpleNamespace(number="1/2026", date=Date(2026, 1, 15))
    invoice = SimpleNamespace(number="2026-00001", date=Date(2026, 6, 1), due_date=Date(2026, 6, 15),
                              contract=contract)
    return Source(company=company, client=client, lines=lines, currency="RUB", vat_included=True,
                  total=Decimal("300.00"), deal=deal, invoice=invoice,
                  contact=_SampleContact(),
                  manager=None, company_bank=bank, client_bank=bank, client_address="Moscow, Lenina 2")
