"""Small CommerceML files for the mapping and conflict tests: products with what a test wants to vary."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

GROUPS = (("g1", "Tools", None), ("g2", "Food", None), ("g21", "Fruit", "g2"))
PRICE_TYPE = "pt"


def _groups(groups) -> str:
    def tree(parent):
        out = ""
        for gid, name, up in groups:
            if up == parent:
                inner = tree(gid)
                out += (f"<Группа><Ид>{gid}</Ид><Наименование>{name}</Наименование>"
                        + (f"<Группы>{inner}</Группы>" if inner else "") + "</Группа>")
        return out
    return tree(None)


def catalog(products: list[dict], *, generated: str = "", groups=GROUPS, full: bool = False) -> bytes:
    """import + offers in one file. A product: id, name, article, group, description, requisites, price."""
    goods, offers = "", ""
    for p in products:
        requisites = "".join(f"<ЗначениеРеквизита><Наименование>{escape(k)}</Наименование>"
                             f"<Значение>{escape(v)}</Значение></ЗначениеРеквизита>"
                             for k, v in (p.get("requisites") or {}).items())
        goods += (f"<Товар><Ид>{p['id']}</Ид><Артикул>{escape(p.get('article', ''))}</Артикул>"
                  f"<Наименование>{escape(p['name'])}</Наименование>"
                  + (f"<Группы><Ид>{p['group']}</Ид></Группы>" if p.get("group") else "")
                  + (f"<Описание>{escape(p['description'])}</Описание>" if p.get("description") else "")
                  + (f"<ЗначенияРеквизитов>{requisites}</ЗначенияРеквизитов>" if requisites else "")
                  + "</Товар>")
        if p.get("price") is not None:
            offers += (f"<Предложение><Ид>{p['id']}</Ид><Наименование>{escape(p['name'])}</Наименование>"
                       f"<Цены><Цена><ИдТипаЦены>{PRICE_TYPE}</ИдТипаЦены><ЦенаЗаЕдиницу>{p['price']}</ЦенаЗаЕдиницу>"
                       "<Валюта>RUB</Валюта></Цена></Цены></Предложение>")
    stamp = f' ДатаФормирования="{generated}"' if generated else ""
    only = "false" if full else "true"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация ВерсияСхемы="2.05"{stamp}>'
        f"<Классификатор><Ид>c</Ид><Наименование>C</Наименование><Группы>{_groups(groups)}</Группы></Классификатор>"
        f'<Каталог СодержитТолькоИзменения="{only}"><Ид>c</Ид><ИдКлассификатора>c</ИдКлассификатора>'
        f"<Наименование>Catalog</Наименование><Товары>{goods}</Товары></Каталог>"
        + (f'<ПакетПредложений СодержитТолькоИзменения="{only}"><Ид>c#</Ид><Наименование>Offers</Наименование>'
           f"<ИдКаталога>c</ИдКаталога><ТипыЦен><ТипЦены><Ид>{PRICE_TYPE}</Ид><Наименование>Опт</Наименование>"
           f"<Валюта>RUB</Валюта></ТипЦены></ТипыЦен><Предложения>{offers}</Предложения></ПакетПредложений>"
           if offers else "")
        + "</КоммерческаяИнформация>"
    ).encode()


def document(doc_id: str, counterparty: dict, *, generated: str = "", product: str = "p1") -> bytes:
    """One order from accounting naming one buyer: id, name, full_name, inn, kpp, address, email."""
    cp = counterparty
    contacts = (f"<Контакты><Контакт><Тип>Почта</Тип><Значение>{cp['email']}</Значение></Контакт></Контакты>"
                if cp.get("email") else "")
    address = f"<Адрес><Представление>{escape(cp['address'])}</Представление></Адрес>" if cp.get("address") else ""
    stamp = f' ДатаФормирования="{generated}"' if generated else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация ВерсияСхемы="2.05"{stamp}>'
        f"<Документ><Ид>{doc_id}</Ид><Номер>{doc_id}</Номер><Дата>2026-11-20</Дата><Время>10:00:00</Время>"
        "<ХозОперация>Заказ товара</ХозОперация><Роль>Продавец</Роль><Валюта>руб</Валюта><Курс>1</Курс>"
        "<Сумма>100</Сумма><Контрагенты><Контрагент>"
        f"<Ид>{cp['id']}</Ид><Наименование>{escape(cp['name'])}</Наименование>"
        f"<ПолноеНаименование>{escape(cp.get('full_name', ''))}</ПолноеНаименование>"
        f"<ИНН>{cp.get('inn', '')}</ИНН><КПП>{cp.get('kpp', '')}</КПП><Роль>Покупатель</Роль>{address}{contacts}"
        "</Контрагент></Контрагенты>"
        f"<Товары><Товар><Ид>{product}</Ид><Наименование>Thing</Наименование><ЦенаЗаЕдиницу>100</ЦенаЗаЕдиницу>"
        "<Количество>1</Количество><Сумма>100</Сумма></Товар></Товары></Документ></КоммерческаяИнформация>"
    ).encode()


def write(tmp_path: Path, data: bytes, name: str = "import.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
