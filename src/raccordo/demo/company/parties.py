"""The small demo's sales departments, counterparties (Russian and Italian) and their contact persons."""

from __future__ import annotations

import datetime as dt

from stdnum.it import codicefiscale

from raccordo.access.models import Department, User
from raccordo.parties import services as parties
from raccordo.parties.models import Counterparty

from .. import data
from ..generators import (
    inn10_from_body,
    inn12_from_body,
    italian_iban,
    kpp_for,
    latin_slug,
    ogrn_from,
    ogrnip_from,
    partita_iva_from_body,
    ru_account,
)
from .state import DemoState


def create_departments(demo: DemoState) -> None:
    """Two sales departments: the head sees hers and the departments below; VIP clients stay with theirs."""
    for name, usernames in (("Sales Russia", ["elena", "anna", "dmitry"]), ("Sales Italy", ["giulia", "marco"])):
        department, _created = Department.objects.get_or_create(name=name)
        User.objects.filter(username__in=usernames, department__isnull=True).update(department=department)


def create_counterparties(demo: DemoState) -> None:
    """The Russian and Italian clients of the word lists, each with its manager, and one Italian plumber."""
    ref = demo.ref
    russian_managers = [m for m in ref.managers if m.language != "it"] or ref.managers
    italian_managers = [m for m in ref.managers if m.language == "it"] or ref.managers
    for i, (name, kind) in enumerate(data.RU_COMPANIES):
        cp = _russian_counterparty(demo, i, name, kind, russian_managers[i % len(russian_managers)])
        demo.counterparties.append(cp)
        demo.backdate.append((Counterparty, cp.pk, demo.at(demo.days_ago(70, 700))))
    for j, (name, form) in enumerate(data.IT_COMPANIES):
        cp = _italian_counterparty(demo, j, name, form, italian_managers[j % len(italian_managers)])
        demo.counterparties.append(cp)
        demo.backdate.append((Counterparty, cp.pk, demo.at(demo.days_ago(70, 700))))
    demo.counterparties.append(_italian_sole_trader(demo, italian_managers[0]))


def _russian_counterparty(demo: DemoState, i: int, name: str, kind: str, manager: User) -> Counterparty:
    """The `i`-th Russian client: tax ids by its kind, a legal address, every third company a bank account."""
    rnd, ref = demo.rnd, demo.ref
    city, region, address, postcode = data.RU_CITIES[i % len(data.RU_CITIES)]
    serial = 1_000_000 + i * 7919
    values = {"kind": kind, "name": name, "country": "RU", "responsible": manager,
              "segment": rnd.choice(["wholesale", "installers", "developers"])}
    if kind == "legal":
        inn = inn10_from_body(f"{region}{rnd.randint(1, 99):02d}{serial % 100000:05d}")
        values.update(full_name=f"ООО «{name}»", inn=inn, kpp=kpp_for(inn),
                      ogrn=ogrn_from(year=rnd.randint(2005, 2022), region=region, serial=serial),
                      website=f"https://{latin_slug(name)}.example")
    else:
        values.update(full_name=name, inn=inn12_from_body(f"{region}{rnd.randint(1, 99):02d}{serial % 1_000_000:06d}"))
        if kind == "sole_trader":
            values["ogrn"] = ogrnip_from(year=rnd.randint(2010, 2023), region=region, serial=serial)
    if i % 5 == 1:
        values["price_type"] = ref.price_types["retail"]
    values["is_vip"] = i in (0, 4, 9)
    tags = [ref.tags[t] for t in rnd.sample(["wholesale", "installer", "contractor", "MCE 2026"], k=rnd.randint(0, 2))]
    if values["is_vip"]:
        tags.append(ref.tags["key account"])
    domain = f"{latin_slug(name)}.example"
    cp = parties.counterparty_create(user=manager, data=values, tags=tags,
                                     phones=[demo.next_phone(False)], emails=[f"info@{domain}"])
    parties.address_add(user=manager, counterparty=cp, data={
        "kind": "legal", "text": f"{postcode}, {address.format(n=rnd.randint(1, 120))}", "postcode": postcode,
        "city": city, "country": "RU"})
    if kind == "legal" and i % 3 == 0:
        parties.bank_account_add(user=manager, data={
            "counterparty": cp, "bank_name": "АО «Альфа-Банк»", "bic": "044525593",
            "correspondent_account": "30101810200000000593",
            "account_number": ru_account(bic="044525593", serial=serial), "currency": "RUB"})
    return cp


def _italian_counterparty(demo: DemoState, j: int, name: str, form: str, manager: User) -> Counterparty:
    """The `j`-th Italian client: a partita IVA, euro prices, an address, every second one an IBAN."""
    rnd, ref = demo.rnd, demo.ref
    city, address, postcode, _n = data.IT_CITIES[j % len(data.IT_CITIES)]
    piva = partita_iva_from_body(f"{(j * 104729 + 3301) % 10_000_000:07d}", rnd.randint(1, 100))
    cp = parties.counterparty_create(user=manager, data={
        "kind": "legal", "name": name, "full_name": f"{name} {form}", "country": "IT", "vat_number": piva,
        "tax_code": piva, "responsible": manager, "price_type": ref.price_types["eur"],
        "website": f"https://www.{latin_slug(name)}.example", "is_vip": j == 4,
        "segment": rnd.choice(["installers", "distributors"])},
        tags=[ref.tags[t] for t in rnd.sample(["distributor", "installer", "Aquatherm 2026"], k=rnd.randint(0, 2))],
        phones=[demo.next_phone(True)], emails=[f"info@{latin_slug(name)}.example"])
    parties.address_add(user=manager, counterparty=cp, data={
        "kind": "legal", "text": address.format(n=rnd.randint(1, 90)), "postcode": postcode, "city": city,
        "country": "IT"})
    if j % 2 == 0:
        parties.bank_account_add(user=manager, data={
            "counterparty": cp, "bank_name": "UniCredit S.p.A.", "bic": "UNCRITMM",
            "iban": _it_iban(j), "currency": "EUR"})
    return cp


def _italian_sole_trader(demo: DemoState, manager: User) -> Counterparty:
    """An Italian plumber working on his own: a sole trader known by his codice fiscale."""
    name, cf = data.IT_SOLE_TRADER
    return parties.counterparty_create(user=manager, data={
        "kind": "sole_trader", "name": name, "full_name": name, "country": "IT", "responsible": manager,
        "tax_code": cf + codicefiscale.calc_check_digit(cf), "price_type": demo.ref.price_types["eur"]},
        phones=[demo.next_phone(True)], emails=["paolo.giordano@idraulico-giordano.example"])


def create_contacts(demo: DemoState) -> None:
    """One to three contact persons per company (one per sole trader, none for a private person)."""
    rnd = demo.rnd
    for cp in demo.counterparties:
        italian = cp.country == "IT"
        if cp.kind == "individual":
            count = 0
        elif cp.kind == "sole_trader":
            count = 1
        else:
            count = rnd.choice([1, 2, 2, 3])
        demo.contacts[cp.pk] = []
        for k in range(count):
            female = rnd.random() < 0.45
            if italian:
                first = rnd.choice(data.IT_FEMALE if female else data.IT_MALE)
                last, middle = rnd.choice(data.IT_SURNAMES), ""
                position = data.IT_POSITIONS[k] if k < len(data.IT_POSITIONS) else rnd.choice(data.IT_POSITIONS)
            else:
                first, middle = rnd.choice(data.RU_FEMALE if female else data.RU_MALE)
                last = rnd.choice(data.RU_SURNAMES) + ("а" if female else "")
                position = data.RU_POSITIONS[k] if k < len(data.RU_POSITIONS) else rnd.choice(data.RU_POSITIONS)
            domain = _domain(cp)
            birthday = None
            if rnd.random() < 0.5:
                birthday = dt.date(rnd.randint(1965, 1995), rnd.randint(1, 12), rnd.randint(1, 28))
            contact = parties.contact_create(
                user=cp.responsible, counterparty=cp,
                data={"first_name": first, "last_name": last, "middle_name": middle, "position": position,
                      "role": data.CONTACT_ROLES[k % len(data.CONTACT_ROLES)], "birthday": birthday},
                phones=[demo.next_phone(italian)],
                emails=[f"{latin_slug(first)}.{latin_slug(last)}@{domain}"])
            demo.contacts[cp.pk].append(contact)


def _domain(cp: Counterparty) -> str:
    if cp.website:
        return cp.website.split("//", 1)[-1].removeprefix("www.")
    return f"{latin_slug(cp.name) or 'mail'}.example"


def _it_iban(j: int) -> str:
    return italian_iban(abi="02008", cab=f"{1600 + j * 7:05d}", account=f"{(j * 7919 + 104) % 10**12:012d}")
