"""Memory stays flat however many records a file holds."""

from __future__ import annotations

import gc
import tracemalloc
from decimal import Decimal
from pathlib import Path

from raccordo.exchange.formats.commerceml import PackageInfo, ProductRec, read

from .test_commerceml_hostile import _probe

N = 50_000

PRODUCT = """    <Товар>
      <Ид>{i:08d}-0000-0000-0000-000000000000</Ид>
      <Артикул>ART-{i}</Артикул>
      <Наименование>Товар номер {i} с довольно длинным наименованием для объёма</Наименование>
      <БазоваяЕдиница Код="796 " НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>
      <Группы><Ид>g-{g}</Ид></Группы>
      <Описание>Описание товара {i}. Lorem ipsum dolor sit amet, consectetur adipiscing elit.</Описание>
      <ЗначенияСвойств>
        <ЗначенияСвойства><Ид>weight</Ид><Значение>{i},5</Значение></ЗначенияСвойства>
        <ЗначенияСвойства><Ид>color</Ид><Значение>c-{g}</Значение></ЗначенияСвойства>
      </ЗначенияСвойств>
      <СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>20</Ставка></СтавкаНалога></СтавкиНалогов>
      <ЗначенияРеквизитов>
        <ЗначениеРеквизита><Наименование>ВидНоменклатуры</Наименование><Значение>Товар</Значение></ЗначениеРеквизита>
        <ЗначениеРеквизита><Наименование>Полное наименование</Наименование><Значение>Товар {i}</Значение></ЗначениеРеквизита>
      </ЗначенияРеквизитов>
    </Товар>
"""

# a lean product for the tracemalloc run (tracemalloc slows every allocation down)
LEAN_PRODUCT = """<Товар><Ид>{i:08d}</Ид><Артикул>ART-{i}</Артикул><Наименование>Товар номер {i} с наименованием</Наименование>
<БазоваяЕдиница Код="796 ">шт</БазоваяЕдиница><Группы><Ид>g-{g}</Ид></Группы>
<ЗначенияСвойств><ЗначенияСвойства><Ид>weight</Ид><Значение>{i},5</Значение></ЗначенияСвойства></ЗначенияСвойств></Товар>
"""

OFFER = """<Предложение><Ид>{i:08d}#c</Ид><Цены><Цена><ИдТипаЦены>pt</ИдТипаЦены><ЦенаЗаЕдиницу>{i}.50</ЦенаЗаЕдиницу>
<Валюта>RUB</Валюта></Цена></Цены><Количество>{i}</Количество><Склад ИдСклада="w" КоличествоНаСкладе="{i}"/></Предложение>
"""


def write_catalog(path: Path, n: int, offers: bool = True, product: str = PRODUCT) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write('<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.08">\n')
        fh.write(
            '<Каталог СодержитТолькоИзменения="false"><Ид>cat</Ид><ИдКлассификатора>cls</ИдКлассификатора>\n'
        )
        fh.write("<Наименование>Big</Наименование><Товары>\n")
        for i in range(1, n + 1):
            fh.write(product.format(i=i, g=i % 97))
        fh.write("</Товары></Каталог>\n")
        if offers:
            fh.write("<ПакетПредложений><Ид>cat#</Ид><Предложения>\n")
            for i in range(1, n + 1):
                fh.write(OFFER.format(i=i))
            fh.write("</Предложения></ПакетПредложений>")
        fh.write("</КоммерческаяИнформация>\n")


def test_50k_products_stream_with_flat_memory(tmp_path: Path):
    path = tmp_path / "big.xml"
    write_catalog(path, N, offers=False, product=LEAN_PRODUCT)
    assert path.stat().st_size > 15_000_000

    gc.collect()
    tracemalloc.start()
    products = 0
    last = None
    try:
        for rec in read(path):
            if isinstance(rec, ProductRec):
                products += 1
                last = rec
            else:
                assert isinstance(rec, PackageInfo) and rec.kind == "catalog"
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert products == N
    assert last.path == f"/КоммерческаяИнформация/Каталог/Товары/Товар[{N}]"
    assert last.property_decimal("weight") == Decimal(f"{N}.5")
    assert peak < 30_000_000, f"tracemalloc peak {peak / 1e6:.1f} MB"


def test_50k_products_and_offers_whole_process_memory(tmp_path: Path):
    """libxml2's own allocations are invisible to tracemalloc: check the process RSS too."""
    path = tmp_path / "big.xml"
    write_catalog(path, N)
    result = _probe(path)
    assert result["code"] is None
    assert result["count"] == 2 * N + 2
    assert result["rss_growth_kb"] < 100 * 1024, result
