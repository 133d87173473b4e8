"""Generate a CommerceML 2.07 exchange the way 1C:Trade Management writes it: import.xml + offers.xml.

N products in a 3-level group tree, 20 properties (half of them with value lists), 3 price types,
5 warehouses with per-warehouse stock. Written in a stream, so 1M products take no memory.

    python bench/gen_cml.py N OUTDIR [--seed S]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

NS = "urn:1C.ru:commerceml_2"
PRICE_TYPES = [("pt-wholesale", "Оптовая"), ("pt-retail", "Розничная"), ("pt-dealer", "Дилерская")]
WAREHOUSES = [(f"wh-{i}", name) for i, name in enumerate(["Москва", "Санкт-Петербург", "Казань", "Новосибирск",
                                                          "Екатеринбург"])]
WORDS = ["Насос", "Кран", "Фильтр", "Клапан", "Труба", "Муфта", "Шланг", "Датчик", "Редуктор", "Мотор",
         "Pompa", "Valvola", "Filtro", "Tubo", "Raccordo"]


def _head(kind_attr: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.07" '
            f'ДатаФормирования="2026-11-28T10:00:00">\n{kind_attr}')


def generate(n: int, outdir: Path, seed: int = 1) -> tuple[Path, Path]:
    rnd = random.Random(seed)
    outdir.mkdir(parents=True, exist_ok=True)
    groups = []
    for a in range(5):
        groups.append((f"g{a}", None, f"Раздел {a}"))
        for b in range(6):
            groups.append((f"g{a}-{b}", f"g{a}", f"Группа {a}.{b}"))
            for c in range(4):
                groups.append((f"g{a}-{b}-{c}", f"g{a}-{b}", f"Подгруппа {a}.{b}.{c}"))
    leaves = [g for g in groups if g[0].count("-") == 2]
    props = [(f"prop-{i}", f"Свойство {i}", i % 2 == 0) for i in range(20)]

    def tree(parent):
        out = []
        for gid, pid, name in groups:
            if pid == parent:
                children = tree(gid)
                out.append(f"<Группа><Ид>{gid}</Ид><Наименование>{name}</Наименование>"
                           + (f"<Группы>{''.join(children)}</Группы>" if children else "") + "</Группа>")
        return out

    import_path = outdir / "import.xml"
    with import_path.open("w", encoding="utf-8") as f:
        f.write(_head(""))
        f.write("<Классификатор><Ид>cls</Ид><Наименование>Классификатор (Основной каталог)</Наименование>")
        f.write(f"<Группы>{''.join(tree(None))}</Группы><Свойства>")
        for pid, name, listed in props:
            f.write(f"<Свойство><Ид>{pid}</Ид><Наименование>{name}</Наименование>")
            if listed:
                f.write("<ТипЗначений>Справочник</ТипЗначений><ВариантыЗначений>")
                f.write("".join(f"<Справочник><ИдЗначения>{pid}-v{k}</ИдЗначения><Значение>Значение {k}</Значение>"
                                "</Справочник>" for k in range(8)))
                f.write("</ВариантыЗначений>")
            else:
                f.write("<ТипЗначений>Число</ТипЗначений>")
            f.write("</Свойство>")
        f.write("</Свойства></Классификатор>\n")
        f.write('<Каталог СодержитТолькоИзменения="false"><Ид>cat</Ид><ИдКлассификатора>cls</ИдКлассификатора>'
                "<Наименование>Основной каталог товаров</Наименование><Товары>\n")
        for i in range(n):
            group = leaves[i % len(leaves)][0]
            name = f"{rnd.choice(WORDS)} {rnd.choice(WORDS).lower()} {i}"
            f.write(f"<Товар><Ид>p-{i:07d}</Ид><Штрихкод>{4600000000000 + i}</Штрихкод><Артикул>ART-{i:07d}</Артикул>"
                    f"<Наименование>{name}</Наименование>"
                    '<БазоваяЕдиница Код="796 " НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт'
                    "</БазоваяЕдиница>"
                    f"<Группы><Ид>{group}</Ид></Группы><Описание>Описание товара {i}</Описание><ЗначенияСвойств>")
            for pid, _name, listed in props[:6]:
                value = f"{pid}-v{rnd.randrange(8)}" if listed else f"{rnd.randrange(1, 500)},{rnd.randrange(100):02d}"
                f.write(f"<ЗначенияСвойства><Ид>{pid}</Ид><Значение>{value}</Значение></ЗначенияСвойства>")
            f.write("</ЗначенияСвойств><СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>20"
                    "</Ставка></СтавкаНалога></СтавкиНалогов><ЗначенияРеквизитов><ЗначениеРеквизита>"
                    "<Наименование>ВидНоменклатуры</Наименование><Значение>Товар</Значение></ЗначениеРеквизита>"
                    f"<ЗначениеРеквизита><Наименование>Полное наименование</Наименование><Значение>{name} полное"
                    "</Значение></ЗначениеРеквизита></ЗначенияРеквизитов></Товар>\n")
        f.write("</Товары></Каталог></КоммерческаяИнформация>\n")

    offers_path = outdir / "offers.xml"
    with offers_path.open("w", encoding="utf-8") as f:
        f.write(_head(""))
        f.write('<ПакетПредложений СодержитТолькоИзменения="false"><Ид>cat#</Ид>'
                "<Наименование>Пакет предложений</Наименование><ИдКаталога>cat</ИдКаталога>"
                "<ИдКлассификатора>cls</ИдКлассификатора><ТипыЦен>")
        f.write("".join(f"<ТипЦены><Ид>{pid}</Ид><Наименование>{name}</Наименование><Валюта>RUB</Валюта>"
                        "<Налог><Наименование>НДС</Наименование><УчтеноВСумме>true</УчтеноВСумме></Налог></ТипЦены>"
                        for pid, name in PRICE_TYPES))
        f.write("</ТипыЦен><Склады>")
        f.write("".join(f"<Склад><Ид>{wid}</Ид><Наименование>{name}</Наименование></Склад>" for wid, name in WAREHOUSES))
        f.write("</Склады><Предложения>\n")
        for i in range(n):
            base = rnd.randrange(100, 100000)
            f.write(f"<Предложение><Ид>p-{i:07d}</Ид><Артикул>ART-{i:07d}</Артикул><Наименование>Товар {i}"
                    "</Наименование><БазоваяЕдиница Код=\"796\">шт</БазоваяЕдиница><Цены>")
            for k, (pid, _name) in enumerate(PRICE_TYPES):
                f.write(f"<Цена><Представление>{base} RUB за шт</Представление><ИдТипаЦены>{pid}</ИдТипаЦены>"
                        f"<ЦенаЗаЕдиницу>{base * (100 - 5 * k) / 100:.2f}</ЦенаЗаЕдиницу><Валюта>RUB</Валюта>"
                        "<Единица>шт</Единица><Коэффициент>1</Коэффициент></Цена>")
            quantities = [rnd.randrange(0, 50) for _ in WAREHOUSES]
            f.write(f"</Цены><Количество>{sum(quantities)}</Количество>")
            f.write("".join(f'<Склад ИдСклада="{wid}" КоличествоНаСкладе="{q}"/>'
                            for (wid, _n), q in zip(WAREHOUSES, quantities, strict=True)))
            f.write("</Предложение>\n")
        f.write("</Предложения></ПакетПредложений></КоммерческаяИнформация>\n")
    return import_path, offers_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for path in generate(args.n, args.outdir, args.seed):
        print(f"{path} {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
