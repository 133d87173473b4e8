"""Generated catalogs for the life-cycle tests: several catalogs, deleted goods (both ways 1C marks them),
variants, variants of deleted goods, goods that exist only as named offers, full and changes-only files."""

from __future__ import annotations

from dataclasses import dataclass, field

PRICE_TYPE = "pt-1"
WAREHOUSE = "wh-1"
HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация ВерсияСхемы="2.05">\n'


@dataclass
class Good:
    id: str
    deleted: str = ""          # "", "mark" (ПометкаУдаления, 2.05+) or "status" (Статус="Удален", 2.04)
    name: str = ""
    images: tuple[str, ...] = ()   # Картинка: import_files/… beside the XML


@dataclass
class Offer:
    id: str                    # "p5" or "p5#r" (a characteristic of p5)
    price: str = "100.00"
    quantity: int = 3
    name: str = ""             # a named offer creates its product when no good was sent


@dataclass
class Catalog:
    id: str
    goods: list[Good] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)


def import_xml(catalog: Catalog, *, full: bool = True, goods: list[Good] | None = None) -> bytes:
    """One catalog's goods (with its classifier's group)."""
    items = []
    for good in goods if goods is not None else catalog.goods:
        status = ' Статус="Удален"' if good.deleted == "status" else ""
        mark = "<ПометкаУдаления>true</ПометкаУдаления>" if good.deleted == "mark" else ""
        pictures = "".join(f"<Картинка>{image}</Картинка>" for image in good.images)
        items.append(f"<Товар{status}><Ид>{good.id}</Ид><Артикул>{catalog.id}-{good.id}</Артикул>"
                     f"<Наименование>{good.name or 'Good ' + good.id}</Наименование>{mark}{pictures}"
                     f"<БазоваяЕдиница Код=\"796\">шт</БазоваяЕдиница><Группы><Ид>{catalog.id}-g</Ид></Группы>"
                     "</Товар>")
    return (HEADER +
            f"<Классификатор><Ид>{catalog.id}-cl</Ид><Наименование>Classifier</Наименование><Группы><Группа>"
            f"<Ид>{catalog.id}-g</Ид><Наименование>Group {catalog.id}</Наименование></Группа></Группы>"
            f"</Классификатор>\n<Каталог СодержитТолькоИзменения=\"{'false' if full else 'true'}\">"
            f"<Ид>{catalog.id}</Ид><ИдКлассификатора>{catalog.id}-cl</ИдКлассификатора>"
            f"<Наименование>Catalog {catalog.id}</Наименование><Товары>\n" + "\n".join(items) +
            "\n</Товары></Каталог></КоммерческаяИнформация>").encode()


def offers_xml(catalog: Catalog, *, full: bool = True, offers: list[Offer] | None = None) -> bytes:
    """One catalog's offers: prices and stock (1C's offers.xml)."""
    items = []
    for offer in offers if offers is not None else catalog.offers:
        name = f"<Наименование>{offer.name}</Наименование>" if offer.name else ""
        items.append(f"<Предложение><Ид>{offer.id}</Ид>{name}<Цены><Цена><ИдТипаЦены>{PRICE_TYPE}</ИдТипаЦены>"
                     f"<ЦенаЗаЕдиницу>{offer.price}</ЦенаЗаЕдиницу><Валюта>RUB</Валюта></Цена></Цены>"
                     f"<Количество>{offer.quantity}</Количество></Предложение>")
    return (HEADER +
            f"<ПакетПредложений СодержитТолькоИзменения=\"{'false' if full else 'true'}\"><Ид>{catalog.id}#</Ид>"
            f"<Наименование>Offers {catalog.id}</Наименование><ИдКаталога>{catalog.id}</ИдКаталога>"
            f"<ИдКлассификатора>{catalog.id}-cl</ИдКлассификатора>"
            f"<ТипыЦен><ТипЦены><Ид>{PRICE_TYPE}</Ид><Наименование>Retail</Наименование><Валюта>RUB</Валюта>"
            f"</ТипЦены></ТипыЦен><Склады><Склад><Ид>{WAREHOUSE}</Ид><Наименование>Main</Наименование></Склад>"
            "</Склады><Предложения>\n" + "\n".join(items) +
            "\n</Предложения></ПакетПредложений></КоммерческаяИнформация>").encode()


def before() -> dict[str, bytes]:
    """The exchange that comes first: catalog A with goods that the next one drops, deletes, or keeps;
    catalog B beside it."""
    a = Catalog("cat-a", [Good(f"p{i}") for i in range(8)],
                [*(Offer(f"p{i}") for i in range(8)), Offer("p3#x", name="Good p3 (XL)"),
                 Offer("p5#r", name="Good p5 (red)"), Offer("p5#b", name="Good p5 (blue)"),
                 Offer("q1", name="Only an offer 1"), Offer("q2", name="Only an offer 2")])
    b = Catalog("cat-b", [Good("b0"), Good("b1")], [Offer("b0"), Offer("b1")])
    return {"import.xml": import_xml(a), "offers.xml": offers_xml(a),
            "import_b.xml": import_xml(b), "offers_b.xml": offers_xml(b)}


def after() -> dict[str, bytes]:
    """The exchange under test, catalog A only: p6 dropped, p3 and p7 marked deleted (both ways), p8 new
    and deleted, p9 new; p3#x a variant of a deleted good, p5#b and q2 dropped from the offers, q3 new;
    offers for the deleted goods p7 and p8."""
    a = Catalog("cat-a",
                [Good("p0"), Good("p1"), Good("p2"), Good("p3", deleted="mark"), Good("p4"), Good("p5"),
                 Good("p7", deleted="status"), Good("p8", deleted="mark"), Good("p9")],
                [*(Offer(f"p{i}", price="120.00") for i in (0, 1, 2, 4, 5, 7, 8, 9)), Offer("p3#x", name="Good p3 (XL)"),
                 Offer("p5#r", name="Good p5 (red)"), Offer("q1", name="Only an offer 1"),
                 Offer("q3", name="Only an offer 3")])
    return {"import.xml": import_xml(a), "offers.xml": offers_xml(a)}


EXPECTED_ACTIVE = {
    "p0": True, "p1": True, "p2": True, "p3": False, "p4": True, "p5": True, "p6": False, "p7": False,
    "p8": False, "p9": True, "p3#x": False, "p5#r": True, "p5#b": False, "q1": True, "q2": False, "q3": True,
    "b0": True, "b1": True,
}
