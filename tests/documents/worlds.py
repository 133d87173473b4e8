"""A Russian and an Italian sale, each with its own company, client, deal and issued invoice, for the documents tests."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from docx import Document

from raccordo.parties.models import Address, BankAccount, Counterparty, Email, OwnCompany
from raccordo.sales.models import Deal, Invoice
from raccordo.sales.services import LineInput, deal_create, invoice_create, invoice_issue
from tests.factories import CounterpartyFactory


def png(width: int = 60, height: int = 60, rgb: tuple[int, int, int] = (40, 70, 160)) -> bytes:
    """A plain PNG picture of one colour (a stand-in for a scanned stamp or signature)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PIXEL_PNG = png()


@dataclass
class Sale:
    company: OwnCompany
    client: Counterparty
    deal: Deal
    invoice: Invoice
    language: str
    words: str          # the total in words as the document must print it
    requisite: str      # a requisite of the own company the document must print


def russian_sale(ref, user) -> Sale:
    company = ref["own_company"]
    company.country, company.address, company.director = "RU", "Москва, ул. Тверская, д. 1", "Иванов И. И."
    company.stamp.save("stamp.png", ContentFile(PIXEL_PNG), save=False)
    company.signature.save("signature.png", ContentFile(png(80, 30, (10, 10, 10))), save=False)
    company.save()
    BankAccount.objects.create(own_company=company, bank_name="ПАО Сбербанк", bic="044525225",
                               account_number="40702810938000000001", correspondent_account="30101810400000000225")
    client = CounterpartyFactory(responsible=user, name="Ромашка", full_name="ООО «Ромашка»", kpp="773601001",
                                 country="RU")
    Address.objects.create(counterparty=client, text="ул. Ленина, д. 2", city="Казань", postcode="420000")
    Email.objects.create(counterparty=client, address="buyer@romashka.ru")
    lines = [LineInput(description="Насос ЦНС-38", quantity=Decimal("2"), price=Decimal("500.25"),
                       vat_rate=Decimal("20")),
             LineInput(description="Монтаж", quantity=Decimal("1"), price=Decimal("200"), vat_rate=Decimal("20"))]
    deal = deal_create(user=user, data={"title": "Насосы для котельной", "counterparty": client, "currency": "RUB"},
                       lines=lines)
    invoice = invoice_issue(user=user, invoice=invoice_create(user=user, lines=lines, data={
        "own_company": company, "counterparty": client, "deal": deal, "currency": "RUB"}))
    return Sale(company, client, deal, invoice, "ru", "Одна тысяча двести рублей 50 копеек", company.inn)


def italian_sale(ref, user) -> Sale:
    company = OwnCompany.objects.create(name="Raccordo Italia", full_name="Raccordo Italia S.r.l.", country="IT",
                                        vat_number="IT01234567897", tax_code="01234567897", currency="EUR",
                                        address="Via Roma 1, 20121 Milano (MI)", director="Mario Rossi",
                                        vat_rate=Decimal("22"))
    BankAccount.objects.create(own_company=company, bank_name="Intesa Sanpaolo", bic="BCITITMM",
                               iban="IT60X0542811101000000123456", currency="EUR")
    client = CounterpartyFactory(responsible=user, name="Bianchi", full_name="Bianchi S.p.A.", inn="",
                                 country="IT", vat_number="IT00743110157", sdi_code="ABC1234")
    Address.objects.create(counterparty=client, text="Corso Italia 10", city="Torino", postcode="10121",
                           country="IT")
    Email.objects.create(counterparty=client, address="acquisti@bianchi.it")
    lines = [LineInput(description="Pompa centrifuga", quantity=Decimal("2"), price=Decimal("500.25"),
                       vat_rate=Decimal("22")),
             LineInput(description="Installazione", quantity=Decimal("1"), price=Decimal("200"),
                       vat_rate=Decimal("22"))]
    deal = deal_create(user=user, data={"title": "Pompe per la centrale", "counterparty": client, "currency": "EUR"},
                       lines=lines)
    invoice = invoice_issue(user=user, invoice=invoice_create(user=user, lines=lines, data={
        "own_company": company, "counterparty": client, "deal": deal, "currency": "EUR"}))
    return Sale(company, client, deal, invoice, "it", "Milleduecento euro e cinquanta centesimi", "IT01234567897")


def docx_text(data: bytes) -> str:
    """All the text of a DOCX document: paragraphs, then every table cell, read back with python-docx (the
    no-break spaces money is formatted with read as plain spaces)."""
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts).replace("\xa0", " ").replace("\u202f", " ")


def docx_pictures(data: bytes) -> int:
    doc = Document(io.BytesIO(data))
    return sum(1 for rel in doc.part.rels.values() if "image" in rel.reltype)
