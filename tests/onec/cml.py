"""CommerceML files as 1C sends them to a website: import.xml (classifier + catalog) and offers.xml."""

from __future__ import annotations

import io
import zipfile

PRICE_TYPE = "pt-1"
WAREHOUSE = "wh-1"


def import_xml(ids, *, full: bool = True) -> bytes:
    groups = "".join(f"<Группа><Ид>g{i}</Ид><Наименование>Group {i}</Наименование></Группа>" for i in range(3))
    goods = "".join(
        f"<Товар><Ид>p{i}</Ид><Артикул>A{i:05d}</Артикул><Наименование>Product {i}</Наименование>"
        f"<БазоваяЕдиница Код=\"796\">шт</БазоваяЕдиница><Группы><Ид>g{i % 3}</Ид></Группы>"
        f"<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>20</Ставка></СтавкаНалога>"
        f"</СтавкиНалогов></Товар>" for i in ids)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация ВерсияСхемы="2.05">'
        f"<Классификатор><Ид>c</Ид><Наименование>C</Наименование><Группы>{groups}</Группы></Классификатор>"
        f"<Каталог СодержитТолькоИзменения=\"{'false' if full else 'true'}\"><Ид>c</Ид>"
        f"<ИдКлассификатора>c</ИдКлассификатора><Наименование>Catalog</Наименование><Товары>{goods}</Товары>"
        "</Каталог></КоммерческаяИнформация>"
    ).encode()


def offers_xml(ids, *, full: bool = True, price: str = "100.50") -> bytes:
    offers = "".join(
        f"<Предложение><Ид>p{i}</Ид><Наименование>Product {i}</Наименование><Цены><Цена>"
        f"<ИдТипаЦены>{PRICE_TYPE}</ИдТипаЦены><ЦенаЗаЕдиницу>{price}</ЦенаЗаЕдиницу><Валюта>руб</Валюта>"
        f"</Цена></Цены><Количество>{i % 7}</Количество><Склад ИдСклада=\"{WAREHOUSE}\" КоличествоНаСкладе=\"{i % 7}\"/>"
        "</Предложение>" for i in ids)
    return (
        '\ufeff<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация ВерсияСхемы="2.05">'
        f"<ПакетПредложений СодержитТолькоИзменения=\"{'false' if full else 'true'}\"><Ид>c#</Ид>"
        "<Наименование>Offers</Наименование><ИдКаталога>c</ИдКаталога><ИдКлассификатора>c</ИдКлассификатора>"
        f"<ТипыЦен><ТипЦены><Ид>{PRICE_TYPE}</Ид><Наименование>Опт</Наименование><Валюта>RUB</Валюта></ТипЦены>"
        f"</ТипыЦен><Склады><Склад><Ид>{WAREHOUSE}</Ид><Наименование>Main</Наименование></Склад></Склады>"
        f"<Предложения>{offers}</Предложения></ПакетПредложений></КоммерческаяИнформация>"
    ).encode()


def zipped(files: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()
